import {
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import {
  Coordination,
  type CoordinatorTurn,
  type LeaderFence,
  type Leadership,
} from '../../actions/coordination.js';
import type { ReplicaNodeConfig } from '../../config/app-config.js';
import { StoreUnavailableError } from '../../errors/domain-error.js';
import type { ReplicaState, ReplicaStore } from './replica-store.js';

/** The change_master step the new primary records once it coordinates, before the run completes. */
export const CONFIRM_STEP = 'target_confirms';

/** This process's turn as the primary, as far as it knows. */
interface Turn {
  readonly fence: LeaderFence;
  /**
   * Until when (performance.now(), a monotonic clock that also runs while the process is paused) the turn is
   * surely still held: the lease was renewed for NODE_LEASE_MS after this process sent the renewal, so the
   * database's own expiry comes later. Past it the process stops acting as primary before anyone can take over.
   */
  readonly validUntil: number;
}

/**
 * CLUSTER_NODES=replicas: this replica as a node. It registers (uid kept across restarts by NODE_ADDR), says
 * it is alive every NODE_HEARTBEAT_MS and, in the same beat, renews its leader lease or takes one that ran out.
 * The primary alone coordinates (executes runs, sweeps); every coordinator write is fenced by its epoch.
 */
export class ReplicaLeadership
  extends Coordination
  implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  readonly primaryExecutes = true;
  private readonly logger = new Logger('ReplicaCluster');
  private readonly listeners: ((leadership: Leadership) => Promise<void>)[] = [];
  private state: ReplicaState = 'provisioning';
  private current?: Turn;
  /** Set while the role is being handed over: this process neither coordinates nor takes the lease. */
  private handingOver = false;
  private timer?: NodeJS.Timeout;
  /** Beats and transfers, one after the other. */
  private serial: Promise<unknown> = Promise.resolve();
  private nextBeat?: Promise<void>;
  uid = 0;

  constructor(
    readonly store: ReplicaStore,
    readonly node: ReplicaNodeConfig,
  ) {
    super();
  }

  async onModuleInit(): Promise<void> {
    this.uid = await this.store.register(this.node.addr, this.ownerId);
    this.logger.log(`Registered as node ${this.uid} (${this.node.addr}), provisioning.`);
  }

  /** Serving: active from now on, and a candidate for the primary role. */
  async onApplicationBootstrap(): Promise<void> {
    this.state = 'active';
    this.timer = setInterval(() => void this.heartbeat(), this.node.heartbeatMs);
    await this.heartbeat();
  }

  turn(): CoordinatorTurn | undefined {
    const fence = this.handingOver ? undefined : this.validFence();
    return fence && { leader: fence };
  }

  /** Whether this process acts as the primary right now (its own role, as it reports it). */
  get isPrimary(): boolean {
    return this.validFence() !== undefined;
  }

  whileCoordinating(listener: (leadership: Leadership) => Promise<void>): void {
    this.listeners.push(listener);
  }

  /** Stops coordinating (it still renews its lease); returns the fence to hand over with, if it is the primary. */
  beginHandover(): LeaderFence | undefined {
    const fence = this.validFence();
    if (fence) this.handingOver = true;
    return fence;
  }

  /** The hand-over did not happen (cancelled before the transfer): coordinate again. */
  cancelHandover(): void {
    this.handingOver = false;
  }

  /**
   * Moves the lease to node `to` (see ReplicaStore.transfer); from then on this process is not the primary.
   * It waits for the beat in progress (and the coordinator work it started) and holds the next one back, so
   * that no renewal read before the transfer can make this process believe it still is the primary.
   */
  transfer(
    fence: LeaderFence,
    to: number,
    run?: { actionUid: string; leaseExpiresAt: string },
  ): Promise<boolean> {
    return this.exclusively(async () => {
      // No longer the primary from before the transfer commits (the target may coordinate right after it):
      // for a moment no node says it is the primary, never two. Back to it if the transfer was refused; after an
      // error (moved or not) the next beat tells.
      const turn = this.current;
      this.current = undefined;
      try {
        const moved = await this.store.transfer(fence, to, this.node.leaseMs, run);
        if (moved) this.logger.log(`Handed the primary role to node ${to} (epoch ${fence.epoch} ends).`);
        else this.current = turn;
        return moved;
      } finally {
        this.handingOver = false;
      }
    });
  }

  /** Graceful stop of the primary: the role goes to another active node before this one stops serving. */
  async beforeApplicationShutdown(): Promise<void> {
    this.state = 'stopped'; // never takes the lease again
    const fence = this.beginHandover();
    if (!fence) return;
    const nodes = await this.store.list(this.node.leaseMs).catch(() => []);
    const target = nodes.find((node) => node.uid !== this.uid && node.status === 'active');
    if (!target) {
      // Still handing over: a stopping replica claims no more runs; the role moves once its lease runs out.
      this.logger.warn('No other active node to hand the primary role to: it moves once its lease runs out.');
      return;
    }
    await this.transfer(fence, target.uid).catch((error: unknown) =>
      this.logger.warn(`Could not hand the primary role over before stopping: ${String(error)}`),
    );
  }

  /** Says it stopped (the node reads `down` at once) and closes its connections. */
  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.exclusively(() => this.store.heartbeat(this.uid, this.ownerId, 'stopped')).catch(
      () => undefined,
    );
    await this.store.close();
  }

  private validFence(): LeaderFence | undefined {
    const turn = this.current;
    return turn && performance.now() < turn.validUntil ? turn.fence : undefined;
  }

  /** One beat at a time, never during a transfer; a beat already waiting makes another one unnecessary. */
  private heartbeat(): Promise<void> {
    this.nextBeat ??= this.exclusively(() => {
      this.nextBeat = undefined;
      return this.beatOnce();
    });
    return this.nextBeat;
  }

  private exclusively<T>(work: () => Promise<T>): Promise<T> {
    const done = this.serial.then(work);
    this.serial = done.catch(() => undefined);
    return done;
  }

  private async beatOnce(): Promise<void> {
    const sentAt = performance.now();
    try {
      await this.store.heartbeat(this.uid, this.ownerId, this.state);
      // Renews its own lease even while handing over or stopping; takes a free one only as an active candidate.
      const mayAcquire = this.state === 'active' && !this.handingOver;
      const grant =
        this.state === 'provisioning'
          ? undefined
          : await this.store.holdLease(this.uid, this.ownerId, this.node.leaseMs, mayAcquire);
      if (!grant) {
        if (this.current) this.lose('another node holds the lease');
        return;
      }
      const fence = { nodeUid: this.uid, epoch: grant.epoch };
      const isNew = this.current?.fence.epoch !== grant.epoch;
      if (isNew && this.current) this.lose(`its lease ran out (epoch ${this.current.fence.epoch})`);
      this.current = { fence, validUntil: sentAt + this.node.leaseMs };
      if (isNew) this.logger.log(`Node ${this.uid} is the primary (epoch ${grant.epoch}).`);
      if (this.handingOver) return;
      const handoverRun = isNew ? grant.handoverRun : undefined;
      const leadership: Leadership = {
        leader: fence,
        handedOver: handoverRun === undefined ? undefined : { actionUid: handoverRun, step: CONFIRM_STEP },
      };
      await Promise.all(this.listeners.map((listener) => listener(leadership)));
    } catch (error) {
      // The turn ends by itself at validUntil if the database stays out of reach.
      if (error instanceof StoreUnavailableError)
        this.logger.warn('Heartbeat failed: the store does not answer.');
      else this.logger.error('Heartbeat failed', error);
    }
  }

  private lose(why: string): void {
    this.logger.warn(`Node ${this.uid} is no longer the primary: ${why}.`);
    this.current = undefined;
  }
}
