import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { parseActionParams } from './action-params.js';
import { actionPath, ApiClient, type Action } from './api-client.js';
import { DEFAULT_URL, resolveConnection, readNewPassword, type ConnectionOptions } from './connection.js';
import { CliError, ExitCode, exitCodeForStatus, usageError, type ExitCodeValue } from './exit-codes.js';
import { followRun, watchRuns } from './follow-run.js';
import { printFields, printJson, printLine, printNote, printTable } from './output.js';
import { createRunDisplay, describeRun, type RunDisplay } from './run-display.js';

interface JsonOption {
  readonly json?: boolean;
}

interface WaitOptions extends JsonOption {
  readonly timeout?: number;
  readonly cancelOnInterrupt?: boolean;
}

interface StartOptions extends WaitOptions {
  readonly wait?: boolean;
  readonly idempotencyKey?: string;
  readonly dryRun?: boolean;
}

interface DryRunAnswer {
  readonly would_start: boolean;
  readonly blockers: readonly { readonly error_code: string; readonly description: string }[];
  /** The steps the run would take, in order. */
  readonly steps?: readonly { readonly name: string }[];
}

interface User {
  readonly uid: number;
  readonly email: string;
  readonly name: string;
  readonly role: string;
  readonly status: string;
}

interface Node {
  readonly uid: number;
  readonly addr: string;
  readonly role?: string;
  readonly status: string;
}

const seconds = (value: string): number => {
  const parsed = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !(parsed > 0))
    throw new InvalidArgumentError('give a number of seconds above 0');
  return parsed;
};

const positiveInteger = (value: string): number => {
  if (!/^[1-9]\d*$/.test(value)) throw new InvalidArgumentError('give a whole number above 0');
  return Number(value);
};

/**
 * Runs `work` until it ends or Ctrl-C (or the `--timeout`) aborts its signal. Ctrl-C only stops this process
 * from waiting; whether the run is cancelled is the caller's decision.
 */
async function untilStopped(
  timeoutSeconds: number | undefined,
  work: (signal: AbortSignal) => Promise<unknown>,
): Promise<{ interrupted: boolean; timedOut: boolean }> {
  const interrupt = new AbortController();
  const deadline = timeoutSeconds === undefined ? undefined : AbortSignal.timeout(timeoutSeconds * 1000);
  const signal = deadline ? AbortSignal.any([interrupt.signal, deadline]) : interrupt.signal;
  const onInterrupt = () => interrupt.abort();
  process.on('SIGINT', onInterrupt);
  try {
    await work(signal);
    return { interrupted: false, timedOut: false };
  } catch (error) {
    if (!signal.aborted) throw error;
    return { interrupted: interrupt.signal.aborted, timedOut: !interrupt.signal.aborted };
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}

/** The commands, each bound to the client its connection options give. */
class Commands {
  constructor(private readonly program: Command) {}

  private async client(): Promise<ApiClient> {
    return new ApiClient(await resolveConnection(this.program.opts<ConnectionOptions>()));
  }

  async list({ json }: JsonOption): Promise<ExitCodeValue> {
    const { actions } = await (
      await this.client()
    ).request<{ actions: Action[] }>('GET', '/v1/cluster/actions');
    if (json) printJson(actions);
    else {
      printTable(
        ['NAME', 'STATUS', 'PROGRESS', 'STEP', 'STARTED BY', 'CREATED'],
        actions.map((a) => [a.name, a.status, `${a.progress}%`, a.step, a.started_by, a.creation_time]),
      );
    }
    return ExitCode.Done;
  }

  async get(name: string, { json }: JsonOption): Promise<ExitCodeValue> {
    const action = await (await this.client()).request<Action>('GET', actionPath(name));
    if (json) printJson(action);
    else printFields(action);
    return ExitCode.Done;
  }

  async start(name: string, words: string[], options: StartOptions): Promise<ExitCodeValue> {
    const params = parseActionParams(words);
    if (options.dryRun && options.wait) throw usageError('--dry-run starts nothing to --wait for');
    if (!options.wait && (options.timeout !== undefined || options.cancelOnInterrupt)) {
      throw usageError('--timeout and --cancel-on-interrupt go with --wait');
    }
    const client = await this.client();
    const headers: Record<string, string> = options.idempotencyKey
      ? { 'idempotency-key': options.idempotencyKey }
      : {};
    if (options.dryRun) return this.dryRun(client, name, params, headers, options);
    const post = () => client.request<Action>('POST', actionPath(name), { body: params, headers });
    if (options.wait) return this.waitFor(client, name, post, options);
    const action = await post();
    if (options.json) printJson(action);
    else printLine(`${describeRun(action)} (action_uid ${action.action_uid})`);
    return ExitCode.Done;
  }

  private async dryRun(
    client: ApiClient,
    name: string,
    params: Record<string, unknown>,
    headers: Record<string, string>,
    { json }: JsonOption,
  ): Promise<ExitCodeValue> {
    const answer = await client.request<DryRunAnswer>('POST', actionPath(name), {
      body: params,
      headers,
      query: { dry_run: 'true' },
    });
    if (json) printJson(answer);
    else {
      printLine(`${name} ${answer.would_start ? 'would start' : 'would not start'}`);
      for (const { error_code, description } of answer.blockers)
        printLine(`  blocked: ${error_code}: ${description}`);
      if (answer.steps?.length) printLine(`  steps: ${answer.steps.map((step) => step.name).join(' -> ')}`);
    }
    return answer.would_start ? ExitCode.Done : ExitCode.Refused;
  }

  async cancel(name: string, { json }: JsonOption): Promise<ExitCodeValue> {
    const action = await (await this.client()).request<Action>('DELETE', actionPath(name));
    if (json) printJson(action);
    else printLine(describeRun(action));
    return ExitCode.Done;
  }

  async wait(name: string, options: WaitOptions): Promise<ExitCodeValue> {
    const client = await this.client();
    return this.waitFor(client, name, () => client.request<Action>('GET', actionPath(name)), options);
  }

  /** Follows the run `first` answers until it ends; the exit code says how it ended. */
  private async waitFor(
    client: ApiClient,
    name: string,
    first: () => Promise<Action>,
    { json = false, timeout, cancelOnInterrupt }: WaitOptions,
  ): Promise<ExitCodeValue> {
    const shown = createRunDisplay({ json, everyChange: false });
    let last: Action | undefined;
    const display: RunDisplay = {
      printsLines: shown.printsLines,
      show: (action) => shown.show((last = action)),
      end: () => shown.end(),
    };
    const { interrupted, timedOut } = await untilStopped(timeout, (signal) =>
      followRun(client, name, first, { signal, display }).finally(() => display.end()),
    );
    if (interrupted) {
      if (cancelOnInterrupt) {
        const cancelled = await client.request<Action>('DELETE', actionPath(name));
        printNote(`Interrupted: cancelling ${describeRun(cancelled)}`);
      } else
        printNote(
          `Interrupted: stopped waiting; the run goes on (cancel it with: cluster-actions cancel ${name})`,
        );
      return ExitCode.Interrupted;
    }
    if (!last) throw new CliError(ExitCode.Unreachable, 'no answer');
    if (json) printJson(last);
    else if (!shown.printsLines) printLine(describeRun(last));
    if (timedOut) printNote(`Still ${last.status} after ${timeout} s`);
    return exitCodeForStatus(last.status);
  }

  async watch(name: string | undefined, { json = false }: JsonOption): Promise<ExitCodeValue> {
    const client = await this.client();
    const display = createRunDisplay({ json, everyChange: true });
    // Watching ends with Ctrl-C: that is success.
    await untilStopped(undefined, (signal) =>
      watchRuns(client, name, { signal, display }).finally(() => display.end()),
    );
    return ExitCode.Done;
  }

  async history(name: string, options: HistoryOptions): Promise<ExitCodeValue> {
    const { json, limit, startedBy, ...filters } = options;
    const page = await (
      await this.client()
    ).request<{ actions: Action[]; next_cursor: string | null }>('GET', actionPath(name, '/history'), {
      query: { ...filters, limit: limit === undefined ? undefined : String(limit), started_by: startedBy },
    });
    if (json) printJson(page);
    else {
      printTable(
        ['ACTION UID', 'STATUS', 'PROGRESS', 'STARTED BY', 'CREATED', 'ENDED', 'ERROR'],
        page.actions.map((a) => [
          a.action_uid,
          a.status,
          `${a.progress}%`,
          a.started_by,
          a.creation_time,
          a.end_time,
          a.error_code,
        ]),
      );
      if (page.next_cursor) printNote(`More: add --cursor ${page.next_cursor}`);
    }
    return ExitCode.Done;
  }

  async nodes({ json }: JsonOption): Promise<ExitCodeValue> {
    const client = await this.client();
    // The node objects do not say which is master on the simulated topology; the status route does.
    const [nodes, roles] = await Promise.all([
      client.request<Node[]>('GET', '/v1/nodes'),
      client.request<Record<string, { role: string }>>('GET', '/v1/nodes/status'),
    ]);
    const withRoles = nodes.map((node) => ({ ...node, role: roles[String(node.uid)]?.role ?? node.role }));
    if (json) printJson(withRoles);
    else {
      printTable(
        ['UID', 'ADDRESS', 'ROLE', 'STATUS'],
        withRoles.map((node) => [
          node.uid,
          node.addr,
          node.role === 'master' ? 'master *' : node.role,
          node.status,
        ]),
      );
    }
    return ExitCode.Done;
  }

  async usersList({ json }: JsonOption): Promise<ExitCodeValue> {
    const users = await (await this.client()).request<User[]>('GET', '/v1/users');
    if (json) printJson(users);
    else
      printTable(
        ['UID', 'EMAIL', 'NAME', 'ROLE', 'STATUS'],
        users.map((u) => [u.uid, u.email, u.name, u.role, u.status]),
      );
    return ExitCode.Done;
  }

  async usersCreate(email: string, { json, role, name }: UserFields): Promise<ExitCodeValue> {
    const client = await this.client();
    const password = await readNewPassword();
    const user = await client.request<User>('POST', '/v1/users', { body: { email, password, role, name } });
    return this.printUser(user, json);
  }

  async usersUpdate(
    who: string,
    { json, setPassword, ...fields }: UserFields & { setPassword?: boolean },
  ): Promise<ExitCodeValue> {
    if (!setPassword && Object.values(fields).every((value) => value === undefined)) {
      throw usageError('nothing to change: give --role, --name, --status or --set-password');
    }
    const client = await this.client();
    const uid = await this.userUid(client, who);
    const body = { ...fields, ...(setPassword ? { password: await readNewPassword() } : {}) };
    return this.printUser(await client.request<User>('PUT', `/v1/users/${uid}`, { body }), json);
  }

  async usersDelete(who: string, { json }: JsonOption): Promise<ExitCodeValue> {
    const client = await this.client();
    const uid = await this.userUid(client, who);
    return this.printUser(await client.request<User>('DELETE', `/v1/users/${uid}`), json);
  }

  private printUser(user: User, json: boolean | undefined): ExitCodeValue {
    if (json) printJson(user);
    else printFields({ ...user });
    return ExitCode.Done;
  }

  /** A user named by uid or by email (looked up in the list, as the routes take a uid). */
  private async userUid(client: ApiClient, who: string): Promise<number> {
    if (/^\d+$/.test(who)) return Number(who);
    const users = await client.request<User[]>('GET', '/v1/users');
    const user = users.find((candidate) => candidate.email.toLowerCase() === who.toLowerCase());
    if (!user) throw new CliError(ExitCode.Refused, `user_not_found: no user has the email ${who}`);
    return user.uid;
  }
}

interface HistoryOptions extends JsonOption {
  readonly limit?: number;
  readonly cursor?: string;
  readonly status?: string;
  readonly since?: string;
  readonly until?: string;
  readonly startedBy?: string;
}

interface UserFields extends JsonOption {
  readonly role?: string;
  readonly name?: string;
  readonly status?: string;
}

/** The package's version, from its package.json (two folders above dist/cli/ and src/cli/ alike). */
function packageVersion(): string {
  const file = new URL('../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

/** The `cluster-actions` command line; every action sets `exit` to the code the process ends with. */
function buildProgram(setExit: (code: ExitCodeValue) => void): Command {
  const program = new Command('cluster-actions')
    .description("Start, follow and cancel cluster actions, and manage users, over the service's HTTP API.")
    .version(packageVersion())
    .exitOverride()
    .configureHelp({ showGlobalOptions: true })
    .addOption(new Option('--url <url>', `the service (default: ${DEFAULT_URL})`).env('CLUSTER_ACTIONS_URL'))
    .addOption(
      new Option('--user <email>', 'who you are (else prompted on a terminal)').env('CLUSTER_ACTIONS_USER'),
    )
    .addOption(
      new Option(
        '--password <password>',
        'prefer the variable or the prompt: a flag shows in the process list',
      ).env('CLUSTER_ACTIONS_PASSWORD'),
    )
    .addHelpText(
      'after',
      '\nExit codes: 0 done, 1 the run failed or was aborted, 2 it was cancelled, 3 refused (4xx),\n' +
        '4 service unreachable or 5xx, 5 still running when --timeout ran out, 64 usage error, 70 a bug, 130 Ctrl-C.',
    );
  const commands = new Commands(program);
  const run =
    <A extends unknown[]>(handler: (...args: A) => Promise<ExitCodeValue>) =>
    async (...args: A): Promise<void> =>
      setExit(await handler(...args));
  const command = (parent: Command, spec: string, description: string) =>
    parent.command(spec).description(description).option('--json', 'print JSON only on stdout');
  const waitOptions = (cmd: Command) =>
    cmd
      .option('--timeout <seconds>', 'stop waiting after this long (exit 5 if still running)', seconds)
      .option('--cancel-on-interrupt', 'Ctrl-C cancels the run (else it only stops waiting)');

  command(program, 'list', 'the current or last run of every action type').action(
    run((o: JsonOption) => commands.list(o)),
  );
  command(program, 'get <action>', "an action type's current or last run").action(
    run((name: string, o: JsonOption) => commands.get(name, o)),
  );
  waitOptions(
    command(program, 'start <action> [params...]', 'start a run; params are key=value (string) or key:=json')
      .option('--wait', 'follow the run until it ends, with a progress display')
      .option('--idempotency-key <key>', 'a retry with the same key answers the run it started')
      .option('--dry-run', 'only check whether the run would start (exit 0 if so, 3 if blocked)'),
  ).action(run((name: string, params: string[], o: StartOptions) => commands.start(name, params, o)));
  command(program, 'cancel <action>', 'cancel the active run (or hide a finished run)').action(
    run((name: string, o: JsonOption) => commands.cancel(name, o)),
  );
  waitOptions(command(program, 'wait <action>', "follow an action type's current run until it ends")).action(
    run((name: string, o: WaitOptions) => commands.wait(name, o)),
  );
  command(program, 'watch [action]', 'show every change of one or all action types until Ctrl-C').action(
    run((name: string | undefined, o: JsonOption) => commands.watch(name, o)),
  );
  command(program, 'history <action>', "an action type's runs, newest first")
    .option('--limit <n>', 'runs per page (1-100, default 20)', positiveInteger)
    .option('--cursor <cursor>', 'the page after the one that gave this cursor')
    .option('--status <status>', 'only runs in this status')
    .option('--started-by <email>', 'only runs this user started')
    .option('--since <time>', 'only runs created at or after (ISO 8601)')
    .option('--until <time>', 'only runs created before (ISO 8601)')
    .action(run((name: string, o: HistoryOptions) => commands.history(name, o)));
  command(program, 'nodes', 'the nodes, the master marked *').action(
    run((o: JsonOption) => commands.nodes(o)),
  );

  const users = program.command('users').description('list, create, update and delete users');
  command(users, 'list', 'every user').action(run((o: JsonOption) => commands.usersList(o)));
  command(users, 'create <email>', "create a user; the password is prompted, or read from stdin's first line")
    .requiredOption(
      '--role <role>',
      'admin, cluster_member, cluster_viewer, db_member, db_viewer or user_manager',
    )
    .option('--name <name>', 'a display name')
    .action(run((email: string, o: UserFields) => commands.usersCreate(email, o)));
  command(users, 'update <user>', 'change a user (by uid or email)')
    .option('--role <role>', 'a new role')
    .option('--name <name>', 'a new display name')
    .option('--status <status>', 'active or locked')
    .option('--set-password', "set a new password (prompted, or stdin's first line)")
    .action(run((who: string, o: UserFields & { setPassword?: boolean }) => commands.usersUpdate(who, o)));
  command(users, 'delete <user>', 'delete a user (by uid or email)').action(
    run((who: string, o: JsonOption) => commands.usersDelete(who, o)),
  );
  return program;
}

/** Runs the command line `argv` (as process.argv) and answers the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let exit: ExitCodeValue = ExitCode.Done;
  const program = buildProgram((code) => (exit = code));
  try {
    await program.parseAsync(argv);
    return exit;
  } catch (error) {
    // Commander printed its message (or the help) already.
    if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.Done : ExitCode.Usage;
    if (error instanceof CliError) {
      printNote(`cluster-actions: ${error.message}`);
      return error.exitCode;
    }
    printNote(`cluster-actions: internal error: ${error instanceof Error ? error.stack : String(error)}`);
    return ExitCode.Internal;
  }
}
