import { setTimeout as sleep } from 'node:timers/promises';
import type { RedisTimings } from '../../config/app-config.js';
import { DomainError } from '../../errors/domain-error.js';
import type { ChangeMasterContext } from '../cluster-control.js';
import type { RedisGroup, RedisMember } from './redis-group.js';
import { describeTopology, type NodeObservation } from './topology.js';

/** How often a step re-reads the servers while it waits for them. */
export const STEP_POLL_MS = 20;
/** While verifying, a server that does not follow the new master yet gets REPLICAOF again every this many polls. */
const REPOINT_EVERY_ROUNDS = 10;

/** A switchover that could not be done: the run ends `failed` with this code and the topology as verified. */
export class ChangeMasterFailedError extends DomainError {
  constructor(code: string, description: string) {
    super('conflict', code, description);
  }
}

const abortError = (signal: AbortSignal): unknown =>
  signal.reason ?? new DOMException('The switchover was stopped.', 'AbortError');

/** `to` is master and `from` replicates from it: the roles have switched. */
function switched(from: NodeObservation, to: NodeObservation): boolean {
  return to.info?.role === 'master' && from.info?.role === 'slave' && from.info.masterAddr === to.addr;
}

/** `master` answers as a master that is not in the middle of a failover. */
const settledMaster = (master: NodeObservation): boolean =>
  master.info?.role === 'master' && master.info.failoverState === 'no-failover';

/** The steps of a switchover, in order (see Switchover). */
export const SWITCHOVER_STEPS = [
  'check_target_in_sync',
  'failover',
  'wait_for_switch',
  'repoint_replicas',
  'verify',
] as const;

/**
 * One coordinated switchover of the group's master to `target`, with Redis's own FAILOVER: the master pauses
 * writes, waits until the target has the whole replication stream, then swaps roles, so no acknowledged write
 * is lost. Steps: check_target_in_sync -> failover -> wait_for_switch (the point of no return once the roles
 * switched) -> repoint_replicas -> verify.
 */
export class Switchover {
  constructor(
    private readonly group: RedisGroup,
    private readonly timings: RedisTimings,
    private readonly master: RedisMember,
    private readonly target: RedisMember,
    private readonly context: ChangeMasterContext,
    /** The run's signal, also aborted when the service stops. */
    private readonly signal: AbortSignal,
  ) {}

  async run(): Promise<void> {
    const progress = (percent: number, step: (typeof SWITCHOVER_STEPS)[number]) =>
      this.context.progress(percent, step);
    const { node } = this.target;
    await progress(0, 'check_target_in_sync');
    await this.waitUntil(
      'the target to be an online replica of the master',
      async () => {
        const master = await this.group.inspect(this.master);
        return (
          master.info?.role === 'master' &&
          master.info.replicas.some((replica) => replica.addr === node.addr && replica.state === 'online')
        );
      },
      this.signal,
    );
    this.signal.throwIfAborted(); // the last moment at which nothing has changed
    await progress(20, 'failover');
    await this.group.command(
      this.master,
      'FAILOVER',
      'TO',
      node.host,
      node.port,
      'TIMEOUT',
      this.timings.failoverTimeoutMs,
    );
    await progress(40, 'wait_for_switch');
    await this.waitForSwitch();
    await progress(60, 'repoint_replicas');
    await this.repointReplicas();
    await progress(80, 'verify');
    await this.verify();
  }

  /**
   * Waits until the roles switched, then declares the point of no return. A cancel before that aborts the
   * failover; Redis rolling it back (timeout, target gone) fails the run with the topology as it is.
   */
  private async waitForSwitch(): Promise<void> {
    const deadline = Date.now() + this.timings.failoverTimeoutMs + this.timings.stepTimeoutMs;
    for (;;) {
      if (this.signal.aborted) return this.abortFailover();
      const [master, target] = await Promise.all([
        this.group.inspect(this.master),
        this.group.inspect(this.target),
      ]);
      if (switched(master, target)) {
        try {
          await this.context.pointOfNoReturn();
        } catch (error) {
          // A cancel was recorded just before the roles switched: put the old master back, then stop.
          await this.handBack();
          throw error;
        }
        return;
      }
      if (settledMaster(master)) {
        // Redis ended the failover without switching: it timed out, or the target went away.
        const topology = describeTopology(await this.group.inspectAll());
        if (!target.info) {
          throw new ChangeMasterFailedError(
            'target_down',
            `Node ${this.target.uid} (${this.target.node.addr}) stopped answering during the switchover; node ${this.master.uid} is still master. Topology: ${topology}`,
          );
        }
        throw new ChangeMasterFailedError(
          'failover_timeout',
          `Node ${this.target.uid} did not catch up within ${this.timings.failoverTimeoutMs} ms; Redis rolled the failover back and node ${this.master.uid} is still master. Topology: ${topology}`,
        );
      }
      if (Date.now() > deadline) {
        throw new ChangeMasterFailedError(
          'switch_timeout',
          `The roles did not switch in time. Topology: ${describeTopology(await this.group.inspectAll())}`,
        );
      }
      await sleep(STEP_POLL_MS);
    }
  }

  /** Stopped before the switch: abort Redis's failover and make sure the old master is master again. */
  private async abortFailover(): Promise<never> {
    await this.group.command(this.master, 'FAILOVER', 'ABORT').catch(() => undefined); // none in progress: fine
    const [master, target] = await Promise.all([
      this.group.inspect(this.master),
      this.group.inspect(this.target),
    ]);
    if (switched(master, target)) {
      await this.handBack(); // the switch won the race with the abort
    } else if (target.info?.role === 'master') {
      // Aborted half-way: the target was promoted while the old master took its role back.
      await this.group.command(this.target, 'REPLICAOF', this.master.node.host, this.master.node.port);
    }
    await this.waitUntil('the old master to be master again', async () => {
      const [master, target] = await Promise.all([
        this.group.inspect(this.master),
        this.group.inspect(this.target),
      ]);
      return settledMaster(master) && target.info?.role !== 'master';
    });
    throw abortError(this.signal);
  }

  /** Moves the master back to where it was, with the same coordinated failover the other way round. */
  private async handBack(): Promise<void> {
    const { host, port } = this.master.node;
    await this.group.command(
      this.target,
      'FAILOVER',
      'TO',
      host,
      port,
      'TIMEOUT',
      this.timings.failoverTimeoutMs,
    );
    await this.waitUntil('the old master to take its role back', async () => {
      const [master, target] = await Promise.all([
        this.group.inspect(this.master),
        this.group.inspect(this.target),
      ]);
      return switched(target, master) && settledMaster(master);
    });
  }

  /** Points every other server at the new master (the old master already follows it). */
  private async repointReplicas(): Promise<void> {
    const others = this.group.members.filter((member) => member !== this.target && member !== this.master);
    await Promise.all(others.map((member) => this.repoint(member)));
  }

  /** One REPLICAOF; a failure is left to `verify`, which tries again. */
  private async repoint(member: RedisMember): Promise<void> {
    const { host, port } = this.target.node;
    await this.group.command(member, 'REPLICAOF', host, port).catch(() => undefined);
  }

  /** The target is master, or `node` replicates from it with its link up and its sync done. */
  private linked(node: NodeObservation): boolean {
    if (node.uid === this.target.uid) return node.info?.role === 'master';
    return (
      node.info?.role === 'slave' &&
      node.info.masterAddr === this.target.node.addr &&
      node.info.linkUp &&
      !node.info.syncing
    );
  }

  /**
   * Waits until the target is the one master and every server is linked to it, within
   * CHANGE_MASTER_STEP_TIMEOUT_MS, re-pointing any server that does not follow it yet (it was down, paused,
   * or refused); the ones still not linked then are reported, with the topology, and the run fails.
   */
  private async verify(): Promise<void> {
    const deadline = Date.now() + this.timings.stepTimeoutMs;
    for (let round = 1; ; round++) {
      const observed = await this.group.inspectAll();
      const behind = observed.filter((node) => !this.linked(node));
      if (behind.length === 0) return;
      if (Date.now() > deadline) {
        const names = behind.map((node) => `${node.uid} (${node.addr})`).join(', ');
        const { uid, node } = this.target;
        throw new ChangeMasterFailedError(
          'replicas_not_linked',
          `Node ${uid} is master now, but node(s) ${names} do not replicate from it after ${this.timings.stepTimeoutMs} ms of retries; point them with REPLICAOF ${node.host} ${node.port}. Topology: ${describeTopology(observed)}`,
        );
      }
      if (round % REPOINT_EVERY_ROUNDS === 0) {
        const strays = behind.filter(
          (node) =>
            node.uid !== this.target.uid &&
            !(node.info?.role === 'slave' && node.info.masterAddr === this.target.node.addr),
        );
        await Promise.all(strays.map((node) => this.repoint(this.group.member(node.uid)!)));
      }
      await sleep(STEP_POLL_MS);
    }
  }

  /** Polls `done` until it holds, within CHANGE_MASTER_STEP_TIMEOUT_MS; stops on `signal` if given. */
  private async waitUntil(what: string, done: () => Promise<boolean>, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + this.timings.stepTimeoutMs;
    while (!(await done())) {
      signal?.throwIfAborted();
      if (Date.now() > deadline) {
        throw new ChangeMasterFailedError(
          'step_timeout',
          `Waited ${this.timings.stepTimeoutMs} ms for ${what}. Topology: ${describeTopology(await this.group.inspectAll())}`,
        );
      }
      await sleep(STEP_POLL_MS);
    }
  }
}
