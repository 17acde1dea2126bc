import type { ClusterNode, NodeRole, NodeStatus } from '../node.js';
import type { ReplicationInfo } from './replication-info.js';

/** One node as one round of INFO replication found it. */
export interface NodeObservation {
  readonly uid: number;
  readonly addr: string;
  /** Absent when the node did not answer in time. */
  readonly info?: ReplicationInfo;
  /** The role it last reported, kept while it is down so that the API shows what it was. */
  readonly lastRole?: NodeRole;
  readonly lastSeen?: string;
}

/** `down` when it did not answer; `provisioning` for a replica whose link is down or still syncing. */
export function statusOf({ info }: NodeObservation): NodeStatus {
  if (!info) return 'down';
  return info.role === 'slave' && (!info.linkUp || info.syncing) ? 'provisioning' : 'active';
}

/** The answering masters. */
export function mastersOf(observations: readonly NodeObservation[]): NodeObservation[] {
  return observations.filter((node) => node.info?.role === 'master');
}

/**
 * Why the group is not one master with its replicas, or `undefined` if it is. Down replicas do not count
 * against it (they are reported as down); a down master does (there is no master).
 */
export function topologyProblem(observations: readonly NodeObservation[]): string | undefined {
  const masters = mastersOf(observations);
  if (masters.length !== 1) {
    return masters.length === 0
      ? 'no node answers as master.'
      : `${masters.length} nodes are master (${masters.map((node) => node.addr).join(', ')}).`;
  }
  const master = masters[0];
  const strays = observations.filter(
    (node) => node.info?.role === 'slave' && node.info.masterAddr !== master.addr,
  );
  if (strays.length === 0) return undefined;
  const described = strays.map(
    (node) => `${node.addr} replicates from ${node.info?.role === 'slave' ? node.info.masterAddr : '?'}`,
  );
  return `${described.join('; ')}, not from the master ${master.addr}.`;
}

/** One line an operator can act on, e.g. `1 127.0.0.1:7001 master; 2 127.0.0.1:7002 replica of ... (link up)`. */
export function describeTopology(observations: readonly NodeObservation[]): string {
  return observations
    .map(({ uid, addr, info }) => {
      if (!info) return `${uid} ${addr} down`;
      if (info.role === 'master') return `${uid} ${addr} master`;
      const link = info.syncing ? 'syncing' : info.linkUp ? 'link up' : 'link down';
      return `${uid} ${addr} replica of ${info.masterAddr} (${link})`;
    })
    .join('; ');
}

/** The nodes for the API: real roles and statuses, offsets and each replica's lag behind its master. */
export function toClusterNodes(observations: readonly NodeObservation[]): ClusterNode[] {
  const offsetOf = new Map(
    observations.flatMap(({ addr, info }) => (info?.role === 'master' ? [[addr, info.offset] as const] : [])),
  );
  return observations.map((observation) => {
    const { uid, addr, info, lastRole, lastSeen } = observation;
    const masterOffset = info?.role === 'slave' ? offsetOf.get(info.masterAddr) : undefined;
    return {
      uid,
      addr,
      status: statusOf(observation),
      role: info?.role ?? lastRole ?? 'slave',
      replication: {
        offset: info?.offset,
        masterAddr: info?.role === 'slave' ? info.masterAddr : undefined,
        lagBytes:
          info?.role === 'slave' && masterOffset !== undefined
            ? Math.max(0, masterOffset - info.offset)
            : undefined,
        lastSeen,
      },
    };
  });
}
