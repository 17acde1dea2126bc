import type { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { RedisNodeConfig, RedisTimings } from '../../config/app-config.js';
import type { NodeRole } from '../node.js';
import { parseReplicationInfo } from './replication-info.js';
import type { NodeObservation } from './topology.js';

/** One server of the group: its uid (kept in the store by address), its settings and its connection. */
export interface RedisMember {
  readonly uid: number;
  readonly node: RedisNodeConfig;
  readonly client: Redis;
}

/**
 * The group's connections. One client per server, which never queues a command while disconnected and gives
 * every command REDIS_COMMAND_TIMEOUT_MS: a down or hung server costs a caller at most that long.
 */
export class RedisGroup {
  readonly members: readonly RedisMember[];
  private readonly lastSeen = new Map<number, string>();
  private readonly lastRole = new Map<number, NodeRole>();

  constructor(
    nodes: readonly { readonly uid: number; readonly node: RedisNodeConfig }[],
    timings: RedisTimings,
    logger: Logger,
  ) {
    this.members = nodes.map(({ uid, node }) => {
      const client = new Redis({
        host: node.host,
        port: node.port,
        username: node.username,
        password: node.password,
        tls: node.tls ? {} : undefined,
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        connectTimeout: timings.commandTimeoutMs,
        commandTimeout: timings.commandTimeoutMs,
        // Keep trying a down server at the observer's pace, for as long as the service runs.
        retryStrategy: () => timings.pollMs,
      });
      // Connection errors are expected while a server is down: the observer reports it as `down`.
      client.on('error', (error: Error) => logger.debug(`Node ${uid} (${node.addr}): ${error.message}`));
      return { uid, node, client };
    });
  }

  /** Opens every connection; a server that is down now is retried in the background. */
  async connect(): Promise<void> {
    await Promise.allSettled(this.members.map(({ client }) => client.connect()));
  }

  disconnect(): void {
    for (const { client } of this.members) client.disconnect();
  }

  member(uid: number): RedisMember | undefined {
    return this.members.find((member) => member.uid === uid);
  }

  /** INFO replication on one server, within the command timeout; a server that does not answer is down. */
  async inspect({ uid, node, client }: RedisMember): Promise<NodeObservation> {
    try {
      const info = parseReplicationInfo(await client.info('replication'));
      const lastSeen = new Date().toISOString();
      this.lastSeen.set(uid, lastSeen);
      this.lastRole.set(uid, info.role);
      return { uid, addr: node.addr, info, lastRole: info.role, lastSeen };
    } catch {
      return { uid, addr: node.addr, lastRole: this.lastRole.get(uid), lastSeen: this.lastSeen.get(uid) };
    }
  }

  inspectAll(): Promise<NodeObservation[]> {
    return Promise.all(this.members.map((member) => this.inspect(member)));
  }

  /** Sends one command (e.g. FAILOVER, REPLICAOF) within the command timeout. */
  command(member: RedisMember, name: string, ...args: (string | number)[]): Promise<unknown> {
    return member.client.call(name, ...args);
  }
}
