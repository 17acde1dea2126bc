import { resolve } from 'node:path';
import { AppConfig, ConfigError } from './app-config.js';
import { StartupError } from './startup-error.js';

describe('AppConfig: DATABASE_URL and SHUTDOWN_GRACE_MS', () => {
  it.each([
    [undefined, { driver: 'sqlite', path: resolve('data/cluster-actions.db') }],
    ['', { driver: 'sqlite', path: resolve('data/cluster-actions.db') }],
    ['memory:', { driver: 'memory' }],
    ['sqlite:/var/lib/ca.db', { driver: 'sqlite', path: '/var/lib/ca.db' }],
    ['sqlite:./state/ca.db', { driver: 'sqlite', path: resolve('state/ca.db') }],
    ['sqlite:ca.db', { driver: 'sqlite', path: resolve('ca.db') }],
  ])('reads DATABASE_URL=%j', (url, database) => {
    expect(new AppConfig({ DATABASE_URL: url }).database).toEqual(database);
  });

  it.each(['postgres://db/ca', 'sqlite:', 'sqlite://ca.db', 'memory', 'MEMORY:', 'file:ca.db'])(
    'refuses DATABASE_URL=%s with a start-up error naming the variable',
    (url) => {
      const build = (): AppConfig => new AppConfig({ DATABASE_URL: url });
      expect(build).toThrow(ConfigError);
      expect(build).toThrow(StartupError);
      expect(build).toThrow(/^Invalid DATABASE_URL: '.*' is not supported; use 'sqlite:<file path>'/);
    },
  );

  it('waits 10 s for running actions on a graceful stop unless SHUTDOWN_GRACE_MS says otherwise', () => {
    expect(new AppConfig({}).shutdownGraceMs).toBe(10_000);
    expect(new AppConfig({ SHUTDOWN_GRACE_MS: '0' }).shutdownGraceMs).toBe(0);
    expect(new AppConfig({ SHUTDOWN_GRACE_MS: '600000' }).shutdownGraceMs).toBe(600_000);
  });

  it.each(['-1', '1.5', 'soon', '600001'])('refuses SHUTDOWN_GRACE_MS=%s', (value) => {
    expect(() => new AppConfig({ SHUTDOWN_GRACE_MS: value })).toThrow(/^Invalid SHUTDOWN_GRACE_MS/);
  });
});
