import { createTestApp, type TestApp } from './app.js';
import { createTestDatabase } from './postgres.js';
import { TestActionModule } from './test-action.js';

/** Two apps with the test action on one fresh PostgreSQL database: two replicas behind a load balancer. */
export interface ReplicaApps {
  readonly a: TestApp;
  readonly b: TestApp;
  /** Closes both apps and drops the database. */
  close(): Promise<void>;
}

export async function createReplicaApps(): Promise<ReplicaApps> {
  const database = await createTestDatabase();
  const env = { DATABASE_URL: database.url };
  const a = await createTestApp({ imports: [TestActionModule], env });
  const b = await createTestApp({ imports: [TestActionModule], env });
  return {
    a,
    b,
    async close() {
      await a.close();
      await b.close();
      await database.drop();
    },
  };
}
