import { ApiError, ExitCode, exitCodeForStatus, isFinished } from './exit-codes.js';

describe('exit codes', () => {
  it.each([
    ['completed', ExitCode.Done],
    ['failed', ExitCode.RunFailed],
    ['aborted', ExitCode.RunFailed],
    ['cancelled', ExitCode.Cancelled],
    ['queued', ExitCode.StillActive],
    ['starting', ExitCode.StillActive],
    ['running', ExitCode.StillActive],
    ['cancelling', ExitCode.StillActive],
  ])('a run %s exits %i', (status, code) => {
    expect(exitCodeForStatus(status)).toBe(code);
    expect(isFinished(status)).toBe(code !== ExitCode.StillActive);
  });

  it.each([
    [400, ExitCode.Refused],
    [409, ExitCode.Refused],
    [499, ExitCode.Refused],
    [500, ExitCode.Unreachable],
    [503, ExitCode.Unreachable],
  ])('an answer %i exits %i', (status, code) => {
    expect(new ApiError(status, 'some_error', 'refused').exitCode).toBe(code);
  });
});
