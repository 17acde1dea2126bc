import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppConfig } from '../config/app-config.js';

export type ReadinessState = 'starting' | 'ready' | 'stopping';

/**
 * Where this replica is in its life, for /ready. It is ready once the application has started (the store is
 * open and migrated before any module starts: DatabaseModule opens it first). A graceful stop flips it to
 * stopping at once and then keeps serving SHUTDOWN_DRAIN_MS, so that a load balancer sees 503 and moves the
 * traffic away before the port closes.
 */
@Injectable()
export class Readiness implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(Readiness.name);
  private current: ReadinessState = 'starting';

  constructor(private readonly config: AppConfig) {}

  get state(): ReadinessState {
    return this.current;
  }

  onApplicationBootstrap(): void {
    this.current = 'ready';
  }

  /** The first step of a graceful stop (Nest destroys modules before it closes the HTTP server). */
  async onModuleDestroy(): Promise<void> {
    this.current = 'stopping';
    const drainMs = this.config.shutdownDrainMs;
    if (drainMs === 0) return;
    this.logger.log(`Stopping: /ready answers 503; serving ${drainMs} ms more before closing the port.`);
    await sleep(drainMs);
  }
}
