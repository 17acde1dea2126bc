import type Database from 'better-sqlite3';
import type { ClusterNode } from '../../cluster/node.js';
import { NodesRepository } from '../../cluster/nodes.repository.js';

/**
 * Nodes in SQLite; the columns are the node's fields. A unique index allows at most one master, and the role
 * moves inside one transaction, so no reader and no crash ever sees zero or two masters.
 */
export class SqliteNodesRepository extends NodesRepository {
  private readonly selectAll;
  private readonly selectByUid;
  private readonly seedTransaction;
  private readonly setMasterTransaction;

  constructor(db: Database.Database) {
    super();
    this.selectAll = db.prepare<[], ClusterNode>('SELECT uid, addr, status, role FROM nodes ORDER BY uid');
    this.selectByUid = db.prepare<[number], ClusterNode>(
      'SELECT uid, addr, status, role FROM nodes WHERE uid = ?',
    );
    const count = db.prepare<[], { count: number }>('SELECT COUNT(*) AS count FROM nodes');
    const insert = db.prepare<[ClusterNode]>(
      'INSERT INTO nodes (uid, addr, status, role) VALUES (@uid, @addr, @status, @role)',
    );
    // Two statements, demote first: the unique index is checked row by row, so one UPDATE swapping the roles
    // could meet two masters half-way.
    const demote = db.prepare<[number]>("UPDATE nodes SET role = 'slave' WHERE role = 'master' AND uid <> ?");
    const promote = db.prepare<[number]>("UPDATE nodes SET role = 'master' WHERE uid = ?");
    this.seedTransaction = db.transaction((nodes: readonly ClusterNode[]): boolean => {
      if (count.get()?.count) return false;
      for (const node of nodes) insert.run(node);
      return true;
    });
    this.setMasterTransaction = db.transaction((uid: number): boolean => {
      if (!this.selectByUid.get(uid)) return false;
      demote.run(uid);
      promote.run(uid);
      return true;
    });
  }

  list(): Promise<ClusterNode[]> {
    return Promise.resolve(this.selectAll.all());
  }

  get(uid: number): Promise<ClusterNode | undefined> {
    return Promise.resolve(this.selectByUid.get(uid));
  }

  seed(nodes: readonly ClusterNode[]): Promise<boolean> {
    return Promise.resolve(this.seedTransaction(nodes));
  }

  setMaster(uid: number): Promise<boolean> {
    return Promise.resolve(this.setMasterTransaction(uid));
  }
}
