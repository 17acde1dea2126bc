import { parseReplicationInfo } from './replication-info.js';
import { describeTopology, toClusterNodes, topologyProblem, type NodeObservation } from './topology.js';

// Trimmed from redis-server 7.0 answers.
const MASTER_INFO = [
  '# Replication',
  'role:master',
  'connected_slaves:2',
  'slave0:ip=127.0.0.1,port=7002,state=online,offset=1500,lag=0',
  'slave1:ip=127.0.0.1,port=7003,state=wait_bgsave,offset=0,lag=0',
  'master_failover_state:no-failover',
  'master_repl_offset:1600',
].join('\r\n');

const replicaInfo = (port: number, link: 'up' | 'down', offset: number, syncing = 0): string =>
  [
    'role:slave',
    'master_host:127.0.0.1',
    `master_port:${port}`,
    `master_link_status:${link}`,
    `master_sync_in_progress:${syncing}`,
    `slave_repl_offset:${offset}`,
  ].join('\r\n');

const observed = (uid: number, text?: string): NodeObservation => ({
  uid,
  addr: `127.0.0.1:${7000 + uid}`,
  info: text === undefined ? undefined : parseReplicationInfo(text),
  lastSeen: '2026-01-01T00:00:00.000Z',
});

describe('INFO replication and the topology it describes', () => {
  it('parses a master with its listed replicas and a replica with its link', () => {
    expect(parseReplicationInfo(MASTER_INFO)).toEqual({
      role: 'master',
      offset: 1600,
      failoverState: 'no-failover',
      replicas: [
        { addr: '127.0.0.1:7002', state: 'online', offset: 1500 },
        { addr: '127.0.0.1:7003', state: 'wait_bgsave', offset: 0 },
      ],
    });
    expect(parseReplicationInfo(replicaInfo(7001, 'up', 1500))).toEqual({
      role: 'slave',
      offset: 1500,
      masterAddr: '127.0.0.1:7001',
      linkUp: true,
      syncing: false,
    });
    expect(() => parseReplicationInfo('role:sentinel')).toThrow(/sentinel/);
  });

  it('gives real roles, statuses and lag: active, provisioning (link down or syncing), down', () => {
    const nodes = toClusterNodes([
      observed(1, MASTER_INFO),
      observed(2, replicaInfo(7001, 'up', 1500)),
      observed(3, replicaInfo(7001, 'down', 0, 1)),
      { ...observed(4), lastRole: 'slave' },
    ]);
    expect(nodes.map(({ uid, role, status }) => ({ uid, role, status }))).toEqual([
      { uid: 1, role: 'master', status: 'active' },
      { uid: 2, role: 'slave', status: 'active' },
      { uid: 3, role: 'slave', status: 'provisioning' },
      { uid: 4, role: 'slave', status: 'down' },
    ]);
    expect(nodes[1].replication).toEqual({
      offset: 1500,
      masterAddr: '127.0.0.1:7001',
      lagBytes: 100,
      lastSeen: '2026-01-01T00:00:00.000Z',
    });
  });

  it('names what is wrong with a group that is not one master with its replicas', () => {
    const healthy = [observed(1, MASTER_INFO), observed(2, replicaInfo(7001, 'up', 1)), observed(3)];
    expect(topologyProblem(healthy)).toBeUndefined(); // a down replica is down, not a second topology
    expect(topologyProblem([observed(1, MASTER_INFO), observed(2, MASTER_INFO)])).toMatch(
      /2 nodes are master \(127\.0\.0\.1:7001, 127\.0\.0\.1:7002\)/,
    );
    expect(topologyProblem([observed(1), observed(2, replicaInfo(7001, 'down', 1))])).toMatch(
      /no node answers as master/,
    );
    expect(topologyProblem([observed(1, MASTER_INFO), observed(2, replicaInfo(9999, 'up', 1))])).toMatch(
      /127\.0\.0\.1:7002 replicates from 127\.0\.0\.1:9999, not from the master 127\.0\.0\.1:7001/,
    );
    expect(describeTopology(healthy)).toBe(
      '1 127.0.0.1:7001 master; 2 127.0.0.1:7002 replica of 127.0.0.1:7001 (link up); 3 127.0.0.1:7003 down',
    );
  });
});
