import { access, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase } from '../test/support/postgres.js';
import {
  ActionsClient,
  cancelRun,
  cycles,
  load,
  send,
  startRun,
  type LoadCase,
  type Measurement,
} from './load.js';
import { describeGoal, goalMet, median, summarise, table, type CaseRecord, type Goal } from './report.js';
import { topSelfTime } from './profile.js';
import { RoundTripCounter } from './round-trips.js';
import { pinLoadGenerator, ServerProcess, stopServers } from './servers.js';

/**
 * `npm run bench`: the service (each store) against a bare NestJS app, in alternating rounds, one table.
 * `npm run bench -- --smoke`: one short round, so that the bench itself is tested; no targets apply.
 * `npm run bench -- --cpu-prof`: also profiles every server and prints where each spent its time.
 */
const SMOKE = process.argv.includes('--smoke');
const PROFILE = process.argv.includes('--cpu-prof');
/** Full: a warm-up round, then three measured rounds; with the three stores it takes about five minutes. */
const PLAN = SMOKE
  ? { warmupSeconds: 0, rounds: 1, loadSeconds: 1, cycleSeconds: 1, lifecycleSamples: 3, probeRequests: 20 }
  : {
      warmupSeconds: 2,
      rounds: 3,
      loadSeconds: 6,
      cycleSeconds: 3,
      lifecycleSamples: 20,
      probeRequests: 300,
    };

const EMAIL = 'bench@cluster.local';
const PASSWORD = 'bench-password';
const AUTHORIZATION = `Basic ${Buffer.from(`${EMAIL}:${PASSWORD}`).toString('base64')}`;
const ACTION = 'change_master';
const ACTION_PATH = `/v1/cluster/actions/${ACTION}`;
/** change_master's step length: one hour, so that a run to a slave stays running for the whole bench. */
const STEP_MS = String(60 * 60 * 1000);
const LONG_RUN = { node_uid: '2' };
/** change_master to the node that already is master completes at once, as a no-op. */
const NO_OP_RUN = { node_uid: '1' };
/** The PasswordHasher's debug line, one per KDF run: the reason the service runs at LOG_LEVEL=debug. */
const KDF_LINE = /Password KDF ran \((hash|verify)\)/;
/** CredentialCache's TTL: a credential may be verified once per TTL. */
const CREDENTIAL_TTL_MS = 5 * 60 * 1000;

const AUTH_HEADERS = { authorization: AUTHORIZATION };
const BARE: LoadCase = { method: 'GET', path: '/action', status: 200 };
const SERVICE_CASES: readonly (readonly [string, LoadCase])[] = [
  ['GET one action', { method: 'GET', path: ACTION_PATH, headers: AUTH_HEADERS, status: 200 }],
  ['GET list', { method: 'GET', path: '/v1/cluster/actions', headers: AUTH_HEADERS, status: 200 }],
  ['GET 401 (no credentials)', { method: 'GET', path: ACTION_PATH, status: 401 }],
];
const CONFLICT: LoadCase = {
  method: 'POST',
  path: ACTION_PATH,
  headers: { ...AUTH_HEADERS, 'content-type': 'application/json' },
  body: JSON.stringify(LONG_RUN),
  status: 409,
};
const BARE_NAME = 'bare NestJS GET (baseline)';
/**
 * The memory store again with one observability feature off, measured on the GET cases in the same rounds:
 * what that feature costs (issue 12: metrics may cost a GET at most 5% of its rate).
 */
const VARIANTS: readonly (readonly [string, Readonly<Record<string, string>>])[] = [
  ['memory METRICS=off', { METRICS: 'off' }],
  ['memory LOG_REQUESTS=off', { LOG_REQUESTS: 'off' }],
];
const VARIANT_CASES = SERVICE_CASES.slice(0, 2);
const METRICS_COST_GOAL = 0.95;

const RESULTS_DIR = fileURLToPath(new URL('../../bench/results/', import.meta.url));
const STAMP = new Date().toISOString().replace(/[:.]/g, '-');
const PROFILE_DIR = join(RESULTS_DIR, `profiles-${STAMP}`);
const PROFILED_FUNCTIONS = 25;

/** Node options for the server `name`: with --cpu-prof, its profile goes to PROFILE_DIR. */
const nodeArgs = (name: string): string[] =>
  PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${name}.cpuprofile`] : [];

interface Service {
  readonly store: string;
  readonly databaseUrl: string;
  readonly server: ServerProcess;
  readonly client: ActionsClient;
  readonly kdf: { hash: number; verify: number };
}

interface LifecycleSamples {
  readonly startMs: number[];
  readonly startRecordedMs: number[];
  readonly cancelMs: number[];
}

class Results {
  readonly records = new Map<string, CaseRecord>();
  readonly lifecycle = new Map<string, LifecycleSamples>();
  readonly errors: string[] = [];

  add(name: string, unit: CaseRecord['unit'], measurement: Measurement): void {
    const record = this.records.get(name) ?? { name, unit, rounds: [] };
    this.records.set(name, record);
    record.rounds.push(measurement);
    this.errors.push(...measurement.errors.map((error) => `${name}: ${error}`));
    const { perSecond, p50Ms, p99Ms } = measurement;
    console.log(
      `  ${name}: ${perSecond.toFixed(0)} ${unit}, p50 ${p50Ms.toFixed(1)} ms, p99 ${p99Ms.toFixed(1)} ms`,
    );
  }

  samples(store: string): LifecycleSamples {
    const samples = this.lifecycle.get(store) ?? { startMs: [], startRecordedMs: [], cancelMs: [] };
    this.lifecycle.set(store, samples);
    return samples;
  }
}

const pinned = pinLoadGenerator();

async function startService(
  store: string,
  databaseUrl: string,
  env: Readonly<Record<string, string>> = {},
): Promise<Service> {
  const kdf = { hash: 0, verify: 0 };
  const server = await ServerProcess.start({
    script: fileURLToPath(new URL('../main.js', import.meta.url)),
    nodeArgs: nodeArgs(store),
    env: {
      DATABASE_URL: databaseUrl,
      ADMIN_EMAIL: EMAIL,
      ADMIN_PASSWORD: PASSWORD,
      CHANGE_MASTER_STEP_MS: STEP_MS,
      LOG_LEVEL: 'debug',
      ...env,
    },
    pinned,
    onLine: (line) => {
      const kind = KDF_LINE.exec(line)?.[1];
      if (kind === 'hash' || kind === 'verify') kdf[kind]++;
    },
  });
  const client = new ActionsClient(server, AUTHORIZATION, ACTION);
  // One finished run, so that GET one action answers 200 from the first round on.
  await client.call('POST', NO_OP_RUN);
  await client.pollUntil((action) => action.status === 'completed');
  return { store, databaseUrl, server, client, kdf };
}

/**
 * The memory store always; a SQLite file when the service supports one (tried: it must create the file); the
 * PostgreSQL database `postgresUrl`.
 */
async function startServices(tmp: string, postgresUrl: string): Promise<Service[]> {
  const services = [await startService('memory', 'memory:')];
  const file = join(tmp, 'bench.db');
  try {
    const sqlite = await startService('sqlite', `sqlite:${file}`);
    const created = await access(file).then(
      () => true,
      () => false,
    );
    if (created) services.push(sqlite);
    else {
      await sqlite.server.stop();
      console.log('sqlite store skipped: DATABASE_URL=sqlite:<file> starts but creates no file.');
    }
  } catch (error) {
    console.log(`sqlite store skipped: ${String(error).split('\n')[0]}`);
  }
  services.push(await startService('postgres', postgresUrl));
  return services;
}

interface RoundPlan {
  readonly loadSeconds: number;
  readonly cycleSeconds: number;
  readonly lifecycleSamples: number;
}

async function runRound(
  bare: ServerProcess,
  services: readonly Service[],
  variants: readonly Service[],
  plan: RoundPlan,
  results: Results,
) {
  results.add(BARE_NAME, 'req/s', await load(bare, BARE, plan.loadSeconds));
  for (const { store, server, client } of services) {
    const samples = results.samples(store);
    for (let i = 0; i < plan.lifecycleSamples; i++) {
      const started = await startRun(client, LONG_RUN);
      samples.startMs.push(started.startMs);
      samples.startRecordedMs.push(started.startRecordedMs);
      samples.cancelMs.push(await cancelRun(client));
    }
    await startRun(client, LONG_RUN);
    results.add(`${store}: POST answered 409`, 'req/s', await load(server, CONFLICT, plan.loadSeconds));
    await cancelRun(client);
    const cycle = await cycles(server, client, NO_OP_RUN, plan.cycleSeconds);
    results.add(`${store}: start -> completed`, 'runs/s', cycle);
    const waited = await cycles(server, client, NO_OP_RUN, plan.cycleSeconds, 'wait');
    results.add(`${store}: start -> completed (?wait)`, 'runs/s', waited);
    for (const [name, spec] of SERVICE_CASES) {
      results.add(`${store}: ${name}`, 'req/s', await load(server, spec, plan.loadSeconds));
    }
  }
  for (const { store, server } of variants) {
    for (const [name, spec] of VARIANT_CASES) {
      results.add(`${store}: ${name}`, 'req/s', await load(server, spec, plan.loadSeconds));
    }
  }
}

/**
 * The targets for the request cases: the rate as a share of the bare app's in the same round. Issue 5's for the
 * embedded stores; issue 10's for PostgreSQL, where a request pays a round trip to another process.
 */
const RATE_GOALS: Readonly<Record<string, readonly (readonly [string, number])[]>> = {
  memory: [
    ['GET one action', 0.85],
    ['GET list', 0.8],
    ['POST answered 409', 0.75],
  ],
  postgres: [['GET one action', 0.7]],
};

const atLeast = (what: string, value: number | undefined, limit: number): Goal => ({
  what,
  value,
  limit,
  atLeast: true,
});
const atMost = (what: string, value: number | undefined, limit: number): Goal => ({
  what,
  value,
  limit,
  atLeast: false,
});

/** Each GET case with everything on, as a share of the same case with one feature off (round by round). */
function observabilityCosts(results: Results): Goal[] {
  return VARIANTS.flatMap(([variant]) =>
    VARIANT_CASES.map(([name]) => {
      const on = results.records.get(`memory: ${name}`)!;
      const off = results.records.get(`${variant}: ${name}`)!;
      return atLeast(`memory: ${name}, rate / ${variant} rate`, summarise(on, off).ratio, METRICS_COST_GOAL);
    }),
  );
}

function goals(results: Results, services: readonly Service[]): Goal[] {
  const bare = results.records.get(BARE_NAME)!;
  return services.flatMap(({ store }): Goal[] => {
    const cases = [...results.records.values()]
      .filter((record) => record.name.startsWith(`${store}: `))
      .map((record) => summarise(record, bare));
    const ratioOf = (name: string) => cases.find((summary) => summary.name === `${store}: ${name}`)?.ratio;
    const samples = results.samples(store);
    return [
      ...(RATE_GOALS[store] ?? RATE_GOALS.memory).map(([name, limit]) =>
        atLeast(`${store}: ${name}, rate / bare`, ratioOf(name), limit),
      ),
      ...cases
        .filter((summary) => summary.p99Ratio !== undefined)
        .map((summary) => atMost(`${summary.name}, p99 / bare p99`, summary.p99Ratio, 1.3)),
      atMost(`${store}: POST answered -> handler started, median ms`, median(samples.startMs), 5),
      atMost(`${store}: DELETE -> cancelled, median ms`, median(samples.cancelMs), 20),
      atMost(
        `${store}: peak server RSS, MB`,
        Math.max(...cases.map((summary) => summary.rssMb ?? Infinity)),
        150,
      ),
    ];
  });
}

const stats = (samples: readonly number[]): string =>
  `median ${median(samples).toFixed(1)} ms, max ${Math.max(...samples).toFixed(1)} ms`;

/** What the service did besides answering: KDF runs (at most one verify per credential per TTL), log lines. */
function checkService(service: Service, results: Results, seconds: number): string {
  const { store, kdf, server } = service;
  const allowed = Math.ceil((seconds * 1000) / CREDENTIAL_TTL_MS); // one credential
  if (kdf.verify > allowed)
    results.errors.push(`${store}: the KDF verified ${kdf.verify} times (at most ${allowed})`);
  if (server.exited)
    results.errors.push(`${store}: the service ${server.exited}; it printed last:\n${server.output(5)}`);
  const samples = results.samples(store);
  return [
    `${store}: password KDF ran ${kdf.hash}x to hash (start-up: decoy and first admin), ${kdf.verify}x to verify ` +
      `in ${seconds.toFixed(0)} s (at most ${allowed}: one credential, ${CREDENTIAL_TTL_MS / 60_000} min cache TTL)`,
    `${store}: POST answered -> handler started (${samples.startMs.length} runs): ${stats(samples.startMs)}; ` +
      `as recorded (start_time - creation_time): ${stats(samples.startRecordedMs)}`,
    `${store}: DELETE sent -> cancelled: ${stats(samples.cancelMs)}`,
  ].join('\n');
}

/**
 * Round trips to PostgreSQL per request of each kind, counted exactly by a relay in front of the database for a
 * second replica started for the purpose (sequential requests; its background lease work adds a few hundredths).
 * A run cycle is its POST, the run's own writes and the GETs that poll it.
 */
async function roundTrips(databaseUrl: string): Promise<string[]> {
  const counter = await RoundTripCounter.start(databaseUrl);
  let replica: Service | undefined;
  try {
    replica = await startService('postgres-counted', counter.url);
    const { server, client } = replica;
    const calls = PLAN.probeRequests;
    const perRequest = (spec: LoadCase) => counter.perCall(calls, () => send(server, spec));
    const lines: [string, number][] = [];
    for (const [name, spec] of SERVICE_CASES) lines.push([name, await perRequest(spec)]);
    await startRun(client, LONG_RUN);
    lines.push(['POST answered 409', await perRequest(CONFLICT)]);
    await cancelRun(client);
    let polls = 0;
    const runs = Math.ceil(calls / 10);
    const perRun = await counter.perCall(runs, async () => {
      await client.call('POST', NO_OP_RUN);
      await client.pollUntil(
        (action) => action.status === 'completed',
        () => polls++,
      );
    });
    const getOne = lines[0][1];
    lines.push([
      `start -> completed, without its ${(polls / runs).toFixed(1)} polling GETs`,
      perRun - (polls / runs) * getOne,
    ]);
    return lines.map(([name, value]) => `postgres: ${name}: ${value.toFixed(2)} round trips per request`);
  } finally {
    await replica?.server.stop();
    await counter.close();
  }
}

/** Each server writes its profile when it exits: stop them all, then read the profiles. */
async function printProfiles(names: readonly string[]): Promise<void> {
  await stopServers();
  for (const name of names) {
    const top = await topSelfTime(join(PROFILE_DIR, `${name}.cpuprofile`), PROFILED_FUNCTIONS);
    console.log(
      `\n${name}: self time, share of busy samples (the whole run, start-up included)\n${top.join('\n')}`,
    );
  }
  console.log(`\nprofiles: ${PROFILE_DIR}`);
}

async function main(): Promise<boolean> {
  // Other work on the machine skews every figure: the load average before the bench says whether there was any.
  const loadBefore = loadavg()[0];
  const tmp = await mkdtemp(join(tmpdir(), 'cluster-actions-bench-'));
  // A fresh database on the PostgreSQL server the tests use (PG_TEST_URL), dropped afterwards.
  const postgres = await createTestDatabase();
  try {
    const began = Date.now();
    const services = await startServices(tmp, postgres.url);
    const variants = await Promise.all(VARIANTS.map(([name, env]) => startService(name, 'memory:', env)));
    const bare = await ServerProcess.start({
      script: fileURLToPath(new URL('./bare-app.js', import.meta.url)),
      nodeArgs: nodeArgs('bare'),
      env: { BARE_BODY: JSON.stringify(await services[0].client.call('GET')) },
      pinned,
    });
    console.log(
      `${SMOKE ? 'smoke run' : 'bench'}: ${cpus().length} cores, ${pinned ? 'pinned' : 'NOT pinned'}, ` +
        `load average before: ${loadBefore.toFixed(2)}`,
    );
    const results = new Results();
    if (PLAN.warmupSeconds > 0) {
      console.log('warm-up round');
      const warmup = new Results();
      const seconds = PLAN.warmupSeconds;
      await runRound(
        bare,
        services,
        variants,
        { loadSeconds: seconds, cycleSeconds: seconds, lifecycleSamples: 1 },
        warmup,
      );
      results.errors.push(...warmup.errors);
    }
    for (let round = 1; round <= PLAN.rounds; round++) {
      console.log(`round ${round} of ${PLAN.rounds}`);
      await runRound(bare, services, variants, PLAN, results);
    }
    const baseline = results.records.get(BARE_NAME)!;
    const summaries = [...results.records.values()].map((record) => summarise(record, baseline));
    const checks = services.map((service) => checkService(service, results, (Date.now() - began) / 1000));
    const targets = SMOKE ? [] : [...goals(results, services), ...observabilityCosts(results)];
    const trips = await roundTrips(postgres.url);
    console.log(`\n${table(summaries)}\n\n${checks.join('\n')}\n${trips.join('\n')}\n`);
    for (const goal of targets) console.log(describeGoal(goal));
    for (const error of results.errors) console.error(`ERROR ${error}`);
    const file = join(RESULTS_DIR, `${SMOKE ? 'smoke' : 'bench'}-${STAMP}.json`);
    await mkdir(RESULTS_DIR, { recursive: true });
    await writeFile(
      file,
      JSON.stringify(
        {
          date: new Date().toISOString(),
          node: process.version,
          cores: cpus().length,
          pinned,
          loadAverageBefore: loadBefore,
          plan: PLAN,
          cases: summaries,
          rounds: Object.fromEntries(results.records),
          lifecycle: Object.fromEntries(results.lifecycle),
          kdf: Object.fromEntries(services.map(({ store, kdf }) => [store, kdf])),
          roundTrips: trips,
          goals: targets.map((goal) => ({ ...goal, met: goalMet(goal) })),
          errors: results.errors,
        },
        undefined,
        2,
      ),
    );
    console.log(`\nresults: ${file}`);
    if (PROFILE) await printProfiles(['bare', ...[...services, ...variants].map(({ store }) => store)]);
    return results.errors.length === 0;
  } finally {
    await stopServers();
    await rm(tmp, { recursive: true, force: true });
    await postgres.drop();
  }
}

main().then(
  (clean) => (process.exitCode = clean ? 0 : 1),
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
