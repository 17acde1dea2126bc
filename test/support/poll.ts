import type TestAgent from 'supertest/lib/agent.js';
import { canTransition, isTerminal, type ActionStatus } from '../../src/actions/action-lifecycle.js';

export interface ActionBody {
  readonly name: string;
  readonly action_uid: string;
  readonly status: ActionStatus;
  readonly progress: number;
  readonly [field: string]: unknown;
}

/**
 * Polls GET /v1/cluster/actions/{name} until `until` holds, and checks every observation against the lifecycle:
 * only legal transitions (or none) between consecutive statuses, and progress that never decreases.
 * Returns every observation.
 */
export async function pollAction(
  http: TestAgent,
  auth: readonly [string, string],
  name: string,
  until: (body: ActionBody) => boolean = (body) => isTerminal(body.status),
  timeoutMs = 5000,
): Promise<ActionBody[]> {
  const seen: ActionBody[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await http.get(`/v1/cluster/actions/${name}`).auth(...auth);
    if (response.status !== 200) throw new Error(`GET ${name} answered ${response.status}`);
    const body = response.body as ActionBody;
    const previous = seen.at(-1);
    if (previous && previous.action_uid === body.action_uid) {
      if (previous.status !== body.status && !reachable(previous.status, body.status)) {
        throw new Error(`Illegal observed transition ${previous.status} -> ${body.status}`);
      }
      if (body.progress < previous.progress) {
        throw new Error(`Progress decreased ${previous.progress} -> ${body.progress}`);
      }
    }
    seen.push(body);
    if (until(body)) return seen;
    if (Date.now() > deadline) throw new Error(`Timed out; last seen ${JSON.stringify(body)}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Whether `to` can follow `from` through legal transitions (polling may miss intermediate states). */
export function reachable(from: ActionStatus, to: ActionStatus, visited = new Set<ActionStatus>()): boolean {
  if (canTransition(from, to)) return true;
  visited.add(from);
  const steps: ActionStatus[] = ['starting', 'running', 'cancelling'];
  return steps.some((via) => !visited.has(via) && canTransition(from, via) && reachable(via, to, visited));
}

/** The uids of the nodes GET /v1/nodes/status shows as master (exactly one in a healthy cluster). */
export async function mastersOf(http: TestAgent, auth: readonly [string, string]): Promise<string[]> {
  const response = await http
    .get('/v1/nodes/status')
    .auth(...auth)
    .expect(200);
  return Object.entries(response.body as Record<string, { role: string }>)
    .filter(([, node]) => node.role === 'master')
    .map(([uid]) => uid);
}

/** A run's step timeline as `[name, status]` pairs. */
export const timelineOf = (body: ActionBody | undefined): [string, string][] =>
  (body?.steps as { name: string; status: string }[]).map((step) => [step.name, step.status]);
