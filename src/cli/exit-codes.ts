/** The exit codes scripts can rely on (README, "Command-line client"). */
export const ExitCode = {
  /** The command did what it was asked: the run completed, or the request was answered. */
  Done: 0,
  /** The run failed or was aborted. */
  RunFailed: 1,
  /** The run was cancelled. */
  Cancelled: 2,
  /** The service refused the request (4xx), or a dry run found blockers. */
  Refused: 3,
  /** The service could not be reached, or answered 5xx. */
  Unreachable: 4,
  /** `--timeout` ran out while the run was still active. */
  StillActive: 5,
  /** A usage error (sysexits.h EX_USAGE). */
  Usage: 64,
  /** A bug in the CLI itself (sysexits.h EX_SOFTWARE), rather than 1, which says the run failed. */
  Internal: 70,
  /** Ctrl-C stopped the waiting (128 + SIGINT, as shells report it). */
  Interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** An error that ends the command with `exitCode`, its message on stderr. */
export class CliError extends Error {
  constructor(
    readonly exitCode: ExitCodeValue,
    message: string,
  ) {
    super(message);
  }
}

/** A non-2xx answer: exit code 3 (4xx) or 4 (5xx), with what the service said. */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(status >= 500 ? ExitCode.Unreachable : ExitCode.Refused, message);
  }
}

export const usageError = (message: string): CliError => new CliError(ExitCode.Usage, message);

/** The exit code for a run in `status`: terminal statuses map to their code, an active run to StillActive. */
export function exitCodeForStatus(status: string): ExitCodeValue {
  switch (status) {
    case 'completed':
      return ExitCode.Done;
    case 'failed':
    case 'aborted':
      return ExitCode.RunFailed;
    case 'cancelled':
      return ExitCode.Cancelled;
    default:
      return ExitCode.StillActive;
  }
}

/** Whether a run in `status` has ended (its status will not change again). */
export const isFinished = (status: string): boolean => exitCodeForStatus(status) !== ExitCode.StillActive;
