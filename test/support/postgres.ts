import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The PostgreSQL server the tests use: the machine's own (CI starts it), unless PG_TEST_URL names another. */
export const PG_TEST_URL = process.env.PG_TEST_URL ?? 'postgres://postgres@127.0.0.1:5432';

/** A database made for one test file; `drop` removes it (and ends the connections still open to it). */
export interface TestDatabase {
  readonly url: string;
  /** Lets new connections in, or refuses them all (those open stay open). */
  allowConnections(allowed: boolean): Promise<void>;
  drop(): Promise<void>;
  /** Ends every connection open to this database, as a database restart or a network cut would. */
  endConnections(): Promise<void>;
}

function urlOf(database: string): string {
  const url = new URL(PG_TEST_URL);
  url.pathname = `/${database}`;
  return url.href;
}

/** Runs `sql` on the server's maintenance database; a server that does not answer fails with a clear message. */
async function onServer(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: urlOf('postgres'), connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw new Error(
      `PostgreSQL is not reachable at ${PG_TEST_URL} (${(error as Error).message}). The PostgreSQL suites need it: ` +
        'start it (.ci/run does) or point PG_TEST_URL at one.',
      { cause: error },
    );
  }
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Creates an empty database with a random name on the test server. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `cluster_actions_test_${randomBytes(6).toString('hex')}`;
  await onServer(`CREATE DATABASE ${name}`);
  return {
    url: urlOf(name),
    allowConnections: (allowed) => onServer(`ALTER DATABASE ${name} ALLOW_CONNECTIONS ${allowed}`),
    drop: () => onServer(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
    endConnections: () =>
      onServer(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}'`),
  };
}
