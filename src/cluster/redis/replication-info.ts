/** A replica as its master lists it in INFO replication (`slaveN:ip=...,port=...,state=online,offset=...`). */
export interface ListedReplica {
  readonly addr: string;
  /** `online` once the replica has the stream; `wait_bgsave`, `send_bulk`... while it syncs. */
  readonly state: string;
  readonly offset: number;
}

/** What INFO replication says about a server's place in the group. */
export type ReplicationInfo =
  | {
      readonly role: 'master';
      readonly offset: number;
      /** `no-failover`, `waiting-for-sync` or `failover-in-progress` (Redis 6.2+). */
      readonly failoverState: string;
      readonly replicas: readonly ListedReplica[];
    }
  | {
      readonly role: 'slave';
      readonly offset: number;
      readonly masterAddr: string;
      readonly linkUp: boolean;
      readonly syncing: boolean;
    };

/** Parses the text of `INFO replication`; throws on a role it does not know (e.g. a sentinel). */
export function parseReplicationInfo(text: string): ReplicationInfo {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  const role = fields.get('role');
  if (role === 'master') {
    const replicas = [...fields]
      .filter(([name]) => /^slave\d+$/.test(name))
      .map(([, value]): ListedReplica => {
        const entry = new Map(value.split(',').map((pair) => pair.split('=') as [string, string]));
        return {
          addr: `${entry.get('ip')}:${entry.get('port')}`,
          state: entry.get('state') ?? 'unknown',
          offset: Number(entry.get('offset') ?? 0),
        };
      });
    return {
      role,
      offset: Number(fields.get('master_repl_offset') ?? 0),
      failoverState: fields.get('master_failover_state') ?? 'no-failover',
      replicas,
    };
  }
  if (role === 'slave') {
    return {
      role,
      offset: Number(fields.get('slave_repl_offset') ?? 0),
      masterAddr: `${fields.get('master_host')}:${fields.get('master_port')}`,
      linkUp: fields.get('master_link_status') === 'up',
      syncing: fields.get('master_sync_in_progress') === '1',
    };
  }
  throw new Error(`INFO replication reports role '${role}', not master or slave.`);
}
