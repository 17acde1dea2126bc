import type pg from 'pg';
import type { LeaderFence } from '../../actions/coordination.js';
import { inTransaction } from '../../storage/postgres/postgres-transaction.js';
import { preparedQuery } from '../../storage/postgres/prepared-query.js';
import type { NodeStatus } from '../node.js';

/** A replica as the registry holds it; `status` and `master` are judged on the database's clock. */
export interface ReplicaNodeRow {
  readonly uid: number;
  readonly addr: string;
  readonly status: NodeStatus;
  /** Whether it holds an unexpired leader lease. */
  readonly master: boolean;
  readonly lastSeen: string;
}

/** What holding the lease gave: the epoch of the turn and, on a hand-over, the change_master run to complete. */
export interface LeaseGrant {
  readonly epoch: number;
  readonly handoverRun?: string;
}

/** The state a replica says it is in with each heartbeat. */
export type ReplicaState = 'provisioning' | 'active' | 'stopped';

/**
 * The node registry and the leader lease in PostgreSQL (tables of migration 3). Every time is the database's
 * `now()`, so replicas never compare their own clocks. A pool of its own keeps the heartbeats off the request
 * pool: a saturated service still renews its lease.
 */
export class ReplicaStore {
  constructor(private readonly pool: pg.Pool) {}

  /** The uid of the node at `addr`, created on its first registration and kept across restarts. */
  async register(addr: string, ownerId: string): Promise<number> {
    const [row] = await this.query<{ uid: number }>(
      `INSERT INTO replica_nodes (addr, state, heartbeat_at, owner_id) VALUES ($1, 'provisioning', now(), $2)
       ON CONFLICT (addr) DO UPDATE SET state = 'provisioning', heartbeat_at = now(), owner_id = EXCLUDED.owner_id
       RETURNING uid`,
      [addr, ownerId],
    );
    return row.uid;
  }

  /** Says the process at `uid` is alive in `state`; a process replaced at the same address writes nothing. */
  async heartbeat(uid: number, ownerId: string, state: ReplicaState): Promise<void> {
    await this.query(
      'UPDATE replica_nodes SET heartbeat_at = now(), state = $3 WHERE uid = $1 AND owner_id = $2',
      [uid, ownerId, state],
    );
  }

  /**
   * Renews this process's lease, adopts one handed to it, or takes one that ran out (when `mayAcquire`), in one
   * conditional write; `undefined` when another process holds an unexpired lease. A lease taken afresh gets
   * the next epoch; a renewed or handed-over one keeps its epoch (the hand-over already moved it on).
   */
  async holdLease(
    uid: number,
    ownerId: string,
    leaseMs: number,
    mayAcquire: boolean,
  ): Promise<LeaseGrant | undefined> {
    const [row] = await this.query<{ epoch: string; handover_run: string | null }>(
      `UPDATE leader_lease SET
         epoch = CASE WHEN owner_id = $2 AND expires_at > now() THEN epoch ELSE epoch + 1 END,
         handover_run = CASE WHEN owner_id = $2 AND expires_at > now() THEN handover_run END,
         node_uid = $1, owner_id = $2, expires_at = now() + $3 * interval '1 millisecond'
       WHERE (owner_id = $2 AND expires_at > now()) OR ($4 AND expires_at <= now())
       RETURNING epoch, handover_run`,
      [uid, ownerId, leaseMs, mayAcquire],
    );
    return row && { epoch: Number(row.epoch), handoverRun: row.handover_run ?? undefined };
  }

  /**
   * Moves the lease from `from` to the node `to` (its current process) under a new epoch, fenced by `from`; with
   * `run`, that change_master run moves to the target's process too (owner and lease, in the same transaction),
   * for the new primary to complete. Returns whether the lease moved: false when `from` no longer held it.
   */
  transfer(
    from: LeaderFence,
    to: number,
    leaseMs: number,
    run?: { actionUid: string; leaseExpiresAt: string },
  ) {
    return inTransaction(this.pool, async (client) => {
      const moved = await client.query<{ owner_id: string }>(
        `UPDATE leader_lease SET node_uid = $3, epoch = epoch + 1, handover_run = $5,
           owner_id = (SELECT owner_id FROM replica_nodes WHERE uid = $3),
           expires_at = now() + $4 * interval '1 millisecond'
         WHERE node_uid = $1 AND epoch = $2 AND expires_at > now()
         RETURNING owner_id`,
        [from.nodeUid, from.epoch, to, leaseMs, run?.actionUid ?? null],
      );
      const owner = moved.rows[0]?.owner_id;
      if (owner === undefined) return false;
      // Only the owner and its lease change (nothing a client watches): the new primary's completion is the
      // write that is announced.
      if (run) {
        await client.query(
          `UPDATE action_runs SET owner_id = $2, lease_expires_at = $3 WHERE action_uid = $1 AND status = 'running'`,
          [run.actionUid, owner, run.leaseExpiresAt],
        );
      }
      return true;
    });
  }

  /** Every node, by uid; `down` once its heartbeat is older than `downAfterMs` or it stopped. */
  list(downAfterMs: number): Promise<ReplicaNodeRow[]> {
    return this.query<ReplicaNodeRow>(
      `SELECT uid, addr,
         CASE WHEN state = 'stopped' OR heartbeat_at <= now() - $1 * interval '1 millisecond' THEN 'down'
           ELSE state END AS status,
         COALESCE(lease.node_uid = uid AND lease.expires_at > now(), false) AS master,
         to_char(heartbeat_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "lastSeen"
       FROM replica_nodes CROSS JOIN leader_lease AS lease ORDER BY uid`,
      [downAfterMs],
    );
  }

  close(): Promise<void> {
    return this.pool.end();
  }

  private query<Row extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<Row[]> {
    return preparedQuery<Row>(this.pool, text, values);
  }
}
