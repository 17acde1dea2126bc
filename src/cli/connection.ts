import { text } from 'node:stream/consumers';
import { read } from 'read';
import type { Connection } from './api-client.js';
import { CliError, ExitCode, usageError } from './exit-codes.js';

export const DEFAULT_URL = 'http://127.0.0.1:8080';

export interface ConnectionOptions {
  readonly url?: string;
  readonly user?: string;
  readonly password?: string;
}

/**
 * The service and credentials: the options (flags, else CLUSTER_ACTIONS_URL / _USER / _PASSWORD, as the
 * program reads them), else (on a terminal) a prompt, so that a password need never be in the process list.
 */
export async function resolveConnection(options: ConnectionOptions): Promise<Connection> {
  const url = parseUrl(options.url ?? DEFAULT_URL);
  const user = options.user ?? (await prompt('Email: ', false, '--user or CLUSTER_ACTIONS_USER'));
  const password =
    options.password ??
    (await prompt(`Password for ${user}: `, true, '--password or CLUSTER_ACTIONS_PASSWORD'));
  return { url, user, password };
}

function parseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw usageError(`--url: '${value}' is not a URL (e.g. ${DEFAULT_URL})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw usageError(`--url: '${value}' is not an http:// or https:// URL`);
  }
  return url.href.replace(/\/+$/, '');
}

/** Asks on the terminal (the answer hidden when `secret`); without one, `missing` names what to give instead. */
async function prompt(question: string, secret: boolean, missing: string): Promise<string> {
  if (!process.stdin.isTTY) throw usageError(`no ${secret ? 'password' : 'user'}: give ${missing}`);
  let answer: string;
  try {
    answer = await read({
      prompt: question,
      silent: secret,
      output: process.stderr,
    });
  } catch {
    // `read` rejects when Ctrl-C ends the prompt.
    throw new CliError(ExitCode.Interrupted, 'interrupted');
  }
  // A hidden answer's Enter is hidden too: end the prompt's line.
  if (secret) process.stderr.write('\n');
  return answer;
}

/** A password to set: asked twice on a terminal, else the first line of stdin (`echo "$PW" | ...`). */
export async function readNewPassword(): Promise<string> {
  if (process.stdin.isTTY) {
    const password = await prompt('New password: ', true, '');
    if ((await prompt('Repeat it: ', true, '')) !== password) throw usageError('the passwords differ');
    return password;
  }
  const password = (await text(process.stdin)).split('\n')[0].replace(/\r$/, '');
  if (!password) throw usageError('no password on stdin (give it as its first line)');
  return password;
}
