import type pg from 'pg';
import { storeError } from './postgres-errors.js';

/**
 * Runs `work` in one transaction on one connection of `pool`: commits when it resolves, rolls back when it
 * throws. (A refusal that wrote nothing simply commits nothing.)
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect().catch((error: unknown) => {
    throw storeError(error);
  });
  let failed = false;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    failed = true;
    await client.query('ROLLBACK').catch(() => undefined);
    throw storeError(error);
  } finally {
    // A connection that failed mid-transaction is closed rather than handed to the next caller.
    client.release(failed);
  }
}
