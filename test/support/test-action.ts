import { Injectable, Module } from '@nestjs/common';
import { IsBoolean, IsOptional, IsString, MaxLength } from 'class-validator';
import { ClusterAction, ClusterActionHandler, DomainError, type ActionContext } from 'cluster-actions';

export const TEST_ACTION = 'test_gate';
/** The same gated action with a short timeout. */
export const TEST_TIMEOUT_ACTION = 'test_gate_timeout';
export const TEST_TIMEOUT_MS = 150;

export class TestActionParams {
  @IsOptional()
  @IsString()
  @MaxLength(64)
  label?: string;

  /** When true the handler keeps waiting for the test after its signal is aborted (a misbehaving handler). */
  @IsOptional()
  @IsBoolean()
  ignore_signal?: boolean;
}

/** One run inside the test action's handler, steered by the test. */
export class GatedRun {
  private settle!: { resolve: () => void; reject: (reason: unknown) => void };
  readonly done: Promise<void>;

  constructor(
    readonly params: TestActionParams,
    readonly context: ActionContext,
  ) {
    this.done = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));
    if (!params.ignore_signal) {
      context.signal.addEventListener('abort', () => this.settle.reject(context.signal.reason), {
        once: true,
      });
    }
  }

  complete(): void {
    this.settle.resolve();
  }

  fail(reason: unknown): void {
    this.settle.reject(reason);
  }

  progress(percent: number, step?: string): Promise<void> {
    return this.context.progress(percent, step);
  }
}

/** Hands each run that enters the test action's handler to the test, in order. */
@Injectable()
export class TestGate {
  private readonly entered: GatedRun[] = [];
  private readonly waiting: ((run: GatedRun) => void)[] = [];

  enter(run: GatedRun): Promise<void> {
    const waiter = this.waiting.shift();
    if (waiter) waiter(run);
    else this.entered.push(run);
    return run.done;
  }

  /** Takes every run that entered the handler and was not taken yet. */
  takeEntered(): GatedRun[] {
    return this.entered.splice(0);
  }

  /** The next run to enter the handler (waits for it). */
  next(timeoutMs = 5000): Promise<GatedRun> {
    const ready = this.entered.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('No run entered the test action in time')), timeoutMs);
      this.waiting.push((run) => {
        clearTimeout(timer);
        resolve(run);
      });
    });
  }
}

/** A deterministic action type whose progress, success, failure and hanging the test controls. */
@ClusterAction({ name: TEST_ACTION, params: TestActionParams })
export class TestActionHandler extends ClusterActionHandler<TestActionParams> {
  constructor(private readonly gate: TestGate) {
    super();
  }

  override precheck(params: TestActionParams): void {
    if (params.label === 'refuse')
      throw new DomainError('not_acceptable', 'label_refused', 'Refused by precheck.');
  }

  run(params: TestActionParams, context: ActionContext): Promise<void> {
    return this.gate.enter(new GatedRun(params, context));
  }
}

@ClusterAction({ name: TEST_TIMEOUT_ACTION, params: TestActionParams, timeoutMs: TEST_TIMEOUT_MS })
export class TestTimeoutActionHandler extends TestActionHandler {}

/** Registers the test action types from outside the ActionsModule, as any extension would. */
@Module({ providers: [TestGate, TestActionHandler, TestTimeoutActionHandler], exports: [TestGate] })
export class TestActionModule {}
