import { resolve } from 'node:path';
import { AppConfig } from './app-config.js';

describe('AppConfig', () => {
  it('has working defaults', () => {
    const config = new AppConfig({});
    expect(config).toMatchObject({
      port: 8080,
      database: { driver: 'sqlite', path: resolve('data/cluster-actions.db') },
      shutdownGraceMs: 10_000,
      changeMasterStepMs: 500,
      logLevel: 'log',
      adminEmail: undefined,
      adminPassword: undefined,
    });
    expect(config.clusterNodes).toEqual([
      { uid: 1, status: 'active' },
      { uid: 2, status: 'active' },
      { uid: 3, status: 'active' },
    ]);
  });

  it('reads every variable', () => {
    const config = new AppConfig({
      PORT: '9000',
      ADMIN_EMAIL: 'ops@example.com',
      ADMIN_PASSWORD: 'long-enough',
      CLUSTER_NODES: '4:down, 5 ,6:provisioning',
      CHANGE_MASTER_STEP_MS: '0',
      LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({
      port: 9000,
      adminEmail: 'ops@example.com',
      adminPassword: 'long-enough',
      changeMasterStepMs: 0,
      logLevel: 'debug',
    });
    expect(config.clusterNodes).toEqual([
      { uid: 4, status: 'down' },
      { uid: 5, status: 'active' },
      { uid: 6, status: 'provisioning' },
    ]);
  });

  it.each([
    ['PORT', 'eighty', /Invalid PORT: 'eighty'/],
    ['PORT', '70000', /Invalid PORT/],
    ['PORT', '-1', /Invalid PORT/],
    ['CHANGE_MASTER_STEP_MS', '1.5', /Invalid CHANGE_MASTER_STEP_MS/],
    ['LOG_LEVEL', 'loud', /Invalid LOG_LEVEL: 'loud' is not one of fatal, error, warn, log, debug, verbose/],
    ['ADMIN_EMAIL', 'not-an-email', /Invalid ADMIN_EMAIL/],
    ['ADMIN_PASSWORD', 'short', /Invalid ADMIN_PASSWORD: it must be at least 8 characters/],
    ['CLUSTER_NODES', '1,x', /Invalid CLUSTER_NODES: 'x'/],
    ['CLUSTER_NODES', '1:sleeping', /Invalid CLUSTER_NODES: '1:sleeping': status must be one of/],
    ['CLUSTER_NODES', '1,1', /a node uid appears twice/],
    ['CLUSTER_NODES', '1:down,2:down', /at least one node must be active/],
    ['CLUSTER_NODES', '0', /positive uid/],
    ['CLUSTER_NODES', '1:active:extra', /Invalid CLUSTER_NODES/],
  ])('refuses %s=%s naming the variable', (name, value, message) => {
    expect(() => new AppConfig({ [name]: value })).toThrow(message);
  });
});
