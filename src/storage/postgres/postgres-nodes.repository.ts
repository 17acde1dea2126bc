import type pg from 'pg';
import type { ClusterNode } from '../../cluster/node.js';
import { NodesRepository } from '../../cluster/nodes.repository.js';
import { inTransaction } from './postgres-transaction.js';
import { preparedQuery } from './prepared-query.js';

/**
 * Nodes in PostgreSQL, shared by every replica. A unique index allows at most one master, and the role moves in
 * one transaction that first locks every node: hand-overs from several replicas take turns, and no reader ever
 * sees zero or two masters.
 */
export class PostgresNodesRepository extends NodesRepository {
  constructor(private readonly pool: pg.Pool) {
    super();
  }

  async list(): Promise<ClusterNode[]> {
    return preparedQuery<ClusterNode>(this.pool, 'SELECT uid, addr, status, role FROM nodes ORDER BY uid');
  }

  async get(uid: number): Promise<ClusterNode | undefined> {
    const [node] = await preparedQuery<ClusterNode>(
      this.pool,
      'SELECT uid, addr, status, role FROM nodes WHERE uid = $1',
      [uid],
    );
    return node;
  }

  seed(nodes: readonly ClusterNode[]): Promise<boolean> {
    return inTransaction(this.pool, async (client) => {
      // Replicas starting at once: the first seeds, the others wait for it and then find nodes.
      await client.query('LOCK TABLE nodes IN SHARE ROW EXCLUSIVE MODE');
      const { rows } = await client.query('SELECT 1 FROM nodes LIMIT 1');
      if (rows.length > 0) return false;
      await client.query(
        `INSERT INTO nodes (uid, addr, status, role)
         SELECT * FROM unnest($1::integer[], $2::text[], $3::text[], $4::text[])`,
        [
          nodes.map((n) => n.uid),
          nodes.map((n) => n.addr),
          nodes.map((n) => n.status),
          nodes.map((n) => n.role),
        ],
      );
      return true;
    });
  }

  setMaster(uid: number): Promise<boolean> {
    return inTransaction(this.pool, async (client) => {
      // Locks every node: a concurrent hand-over waits, then sees this one's master and demotes it.
      const { rows } = await client.query<{ uid: number }>('SELECT uid FROM nodes ORDER BY uid FOR UPDATE');
      if (!rows.some((node) => node.uid === uid)) return false;
      // Two statements, demote first: the unique index is checked row by row, so one UPDATE swapping the
      // roles could meet two masters half-way.
      await client.query("UPDATE nodes SET role = 'slave' WHERE role = 'master' AND uid <> $1", [uid]);
      await client.query("UPDATE nodes SET role = 'master' WHERE uid = $1", [uid]);
      return true;
    });
  }
}
