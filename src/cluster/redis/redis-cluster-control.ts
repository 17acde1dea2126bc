import { Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError, type RedisNodeConfig, type RedisTimings } from '../../config/app-config.js';
import { ClusterControl, type ChangeMasterContext, type NodePersisted } from '../cluster-control.js';
import {
  NodeNotActiveError,
  NodeNotFoundError,
  NodePersistFailedError,
  TopologyNotHealthyError,
} from '../cluster.errors.js';
import type { ClusterNode, NodeStatus } from '../node.js';
import { NodesRepository } from '../nodes.repository.js';
import { RedisGroup, type RedisMember } from './redis-group.js';
import { STEP_POLL_MS, Switchover, SWITCHOVER_STEPS } from './switchover.js';
import { mastersOf, statusOf, toClusterNodes, topologyProblem, type NodeObservation } from './topology.js';

/**
 * A live Redis (or Valkey) primary/replica group. Every node is observed (INFO replication) every NODE_POLL_MS
 * and the API answers from the last observation, so a down node never slows a request; change_master is a
 * coordinated FAILOVER (see Switchover).
 */
export class RedisClusterControl extends ClusterControl implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RedisClusterControl.name);
  private group?: RedisGroup;
  /** The last complete round of observations, replaced in one assignment: readers never see half a round. */
  private observations: readonly NodeObservation[] = [];
  private pollTimer?: NodeJS.Timeout;
  private reportedProblem?: string;
  /** Aborted when the service stops: a switchover in progress stops at its next safe point. */
  private readonly stopping = new AbortController();
  private switchover?: Promise<unknown>;
  readonly changeMasterSteps = SWITCHOVER_STEPS;

  constructor(
    private readonly nodes: NodesRepository,
    private readonly configured: readonly RedisNodeConfig[],
    private readonly timings: RedisTimings,
  ) {
    super();
  }

  /**
   * Uids are kept by address in the NodesRepository: 1, 2, 3... in CLUSTER_NODES order on first start, the same
   * ones after a restart whatever the order. The store keeps nothing else for this adapter (its `role` column
   * is not used: roles live in the servers).
   */
  async onModuleInit(): Promise<void> {
    await this.nodes.seed(
      this.configured.map((node, index) => ({
        uid: index + 1,
        addr: node.addr,
        status: 'provisioning',
        role: 'slave',
      })),
    );
    const uidOf = new Map((await this.nodes.list()).map((node) => [node.addr, node.uid]));
    const members = this.configured.map((node) => {
      const uid = uidOf.get(node.addr);
      if (uid === undefined) {
        throw new ConfigError(
          'CLUSTER_NODES',
          `${node.addr} is not among the nodes stored on first start (${[...uidOf.keys()].join(', ')}); ` +
            'node uids are kept by address.',
        );
      }
      return { uid, node };
    });
    this.group = new RedisGroup(
      members.sort((a, b) => a.uid - b.uid),
      this.timings,
      this.logger,
    );
    await this.group.connect();
    await this.poll();
    this.logger.log(`Managing the Redis group ${this.configured.map((node) => node.addr).join(', ')}.`);
  }

  async onApplicationShutdown(): Promise<void> {
    clearTimeout(this.pollTimer);
    this.stopping.abort(new DOMException('The service stopped.', 'AbortError'));
    await this.switchover?.catch(() => undefined);
    this.group?.disconnect();
  }

  listNodes(): Promise<ClusterNode[]> {
    return Promise.resolve(toClusterNodes(this.observations));
  }

  getNode(uid: number): Promise<ClusterNode | undefined> {
    return Promise.resolve(toClusterNodes(this.observations).find((node) => node.uid === uid));
  }

  async masterUid(): Promise<number | undefined> {
    const masters = mastersOf(await this.group!.inspectAll());
    return masters.length === 1 ? masters[0].uid : undefined;
  }

  checkChangeMaster(uid: number): Promise<void> {
    this.precondition(this.observations, uid, ['active']);
    return Promise.resolve();
  }

  async changeMaster(uid: number, context: ChangeMasterContext): Promise<void> {
    const group = this.group!;
    // From the servers as they are now, not the last observation: the run may have waited in the queue.
    // A target still linking is accepted here: the first step waits until the master has it online.
    const master = this.precondition(await group.inspectAll(), uid, ['active', 'provisioning']);
    if (master.uid === uid) return; // already master: nothing to do
    const signal = AbortSignal.any([context.signal, this.stopping.signal]);
    const switchover = new Switchover(group, this.timings, master, group.member(uid)!, context, signal);
    this.switchover = switchover.run();
    try {
      await this.switchover;
    } finally {
      this.switchover = undefined;
      await this.refresh(); // the API shows the outcome at once
    }
  }

  /**
   * BGSAVE, then LASTSAVE until it moves (within CHANGE_MASTER_STEP_TIMEOUT_MS). LASTSAVE counts whole seconds, so
   * a save in the same second as the previous one would not move it: the save starts in a later second.
   */
  async persistNode(uid: number, signal: AbortSignal): Promise<NodePersisted> {
    const member = this.group!.member(uid);
    if (!member) throw new NodeNotFoundError(uid);
    const lastSave = async () => Number(await this.group!.command(member, 'LASTSAVE'));
    let before: number;
    try {
      before = await lastSave();
    } catch {
      throw new NodeNotActiveError(uid, 'down');
    }
    const [serverSeconds] = (await this.group!.command(member, 'TIME')) as [string, string];
    if (Number(serverSeconds) <= before) await sleep(1000, undefined, { signal });
    try {
      // SCHEDULE: a save already in progress (started before this call) is followed by ours.
      await this.group!.command(member, 'BGSAVE', 'SCHEDULE');
    } catch (error) {
      throw new NodePersistFailedError(uid, error instanceof Error ? error.message : String(error));
    }
    const deadline = Date.now() + this.timings.stepTimeoutMs;
    for (;;) {
      await sleep(STEP_POLL_MS, undefined, { signal });
      const after = await lastSave().catch(() => before);
      if (after > before)
        return { uid, addr: member.node.addr, savedAt: new Date(after * 1000).toISOString() };
      if (Date.now() > deadline) {
        throw new NodePersistFailedError(
          uid,
          `LASTSAVE did not move within ${this.timings.stepTimeoutMs} ms.`,
        );
      }
    }
  }

  /** Throws the 404/406/409 that a change_master to `uid` meets; returns the current master. */
  private precondition(
    observations: readonly NodeObservation[],
    uid: number,
    accepted: readonly NodeStatus[],
  ): RedisMember {
    const target = observations.find((node) => node.uid === uid);
    if (!target) throw new NodeNotFoundError(uid);
    const status = statusOf(target);
    if (!accepted.includes(status)) throw new NodeNotActiveError(uid, status);
    const problem = topologyProblem(observations);
    if (problem) throw new TopologyNotHealthyError(problem);
    return this.group!.member(mastersOf(observations)[0].uid)!;
  }

  /** One round of observations, then the next one NODE_POLL_MS later. */
  private async poll(): Promise<void> {
    await this.refresh();
    if (!this.stopping.signal.aborted)
      this.pollTimer = setTimeout(() => void this.poll(), this.timings.pollMs);
  }

  /** INFO replication on every node, within the command timeout. */
  private async refresh(): Promise<void> {
    this.observations = await this.group!.inspectAll();
    // Half-way through a switchover a round can catch both roles moving: judge the topology once it is over.
    if (!this.switchover) this.report(topologyProblem(this.observations));
  }

  /** Logs a topology problem once when it appears and once when it is gone, not on every round. */
  private report(problem: string | undefined): void {
    if (problem === this.reportedProblem) return;
    this.reportedProblem = problem;
    if (problem) this.logger.warn(`The Redis group is not one master with its replicas: ${problem}`);
    else this.logger.log('The Redis group is one master with its replicas.');
  }
}
