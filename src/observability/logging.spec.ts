import { jest } from '@jest/globals';
import { AppConfig } from '../config/app-config.js';
import { createRootLogger, redactUrlCredentials } from './logging.js';

describe('redactUrlCredentials', () => {
  it.each([
    ['redis://user:secret@redis.local:6379/0', 'redis://[Redacted]@redis.local:6379/0'],
    ['rediss://:secret@host', 'rediss://[Redacted]@host'],
    ['connect to postgres://app:pw@db/x failed', 'connect to postgres://[Redacted]@db/x failed'],
    ['redis://host:6379 and a@b.c', 'redis://host:6379 and a@b.c'],
  ])('%s', (text, expected) => {
    expect(redactUrlCredentials(text)).toBe(expected);
  });
});

/** Lines are written when the current turn of the event loop ends. */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('the root logger', () => {
  afterEach(() => jest.restoreAllMocks());

  it('writes JSON lines at LOG_LEVEL without passwords, Authorization values or URL credentials', async () => {
    const written: string[] = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const logger = await createRootLogger(new AppConfig({ LOG_LEVEL: 'warn' }));
    logger.info('not at this level');
    logger.warn(
      { password: 'p4ss', user: { password: 'p4ss' }, headers: { authorization: 'Basic abc' } },
      'store redis://admin:p4ss@cache:6379 is slow',
    );
    logger.error('second line');
    await nextTurn();

    // The lines of one turn of the event loop leave in one write.
    expect(written).toHaveLength(1);
    const lines = written[0].split('\n');
    expect(lines).toHaveLength(3); // the last one empty: every line ends with '\n'
    expect(JSON.parse(lines[0])).toMatchObject({
      level: 40,
      password: '[Redacted]',
      user: { password: '[Redacted]' },
      headers: { authorization: '[Redacted]' },
      msg: 'store redis://[Redacted]@cache:6379 is slow',
    });
    expect(JSON.parse(lines[1])).toMatchObject({ level: 50, msg: 'second line' });
    expect(written[0]).not.toMatch(/p4ss|Basic abc/);
  });
});
