import { isActive, isNewer, type Action } from './api.js';
import { EventStreamParser, type StreamEvent } from './event-stream-parser.js';
import { paramsInputs } from './params-form.js';

describe('EventStreamParser', () => {
  const parse = (chunks: string[]): StreamEvent[] => {
    const events: StreamEvent[] = [];
    const parser = new EventStreamParser((event) => events.push(event));
    for (const chunk of chunks) parser.push(chunk);
    return events;
  };

  it('reads events whatever the chunks, skipping comments and keeping the last id', () => {
    const stream =
      ': heartbeat\n\nid: a-1\nevent: status\ndata: {"x":1}\n\nevent: progress\r\ndata: {"x":2}\r\n\r\n';
    const expected = [
      { id: 'a-1', event: 'status', data: '{"x":1}' },
      // The id is the last one the stream gave: what Last-Event-ID resumes after.
      { id: 'a-1', event: 'progress', data: '{"x":2}' },
    ];
    expect(parse([stream])).toEqual(expected);
    expect(parse([...stream])).toEqual(expected);
    expect(parse([stream.slice(0, 25), stream.slice(25, 50), stream.slice(50)])).toEqual(expected);
  });

  it('joins data lines, defaults the event type and waits for the blank line', () => {
    expect(parse(['data: one\ndata:two\n', '\n'])).toEqual([{ event: 'message', data: 'one\ntwo' }]);
    expect(parse(['data: unfinished\n'])).toEqual([]);
  });
});

describe('isNewer', () => {
  const run = (fields: Partial<Action>): Action => ({
    name: 'change_master',
    action_uid: 'a',
    status: 'running',
    progress: 33,
    creation_time: '2026-11-28T10:00:00.000Z',
    cancellable: true,
    ...fields,
  });

  it('never lets an older description of a run replace a later one', () => {
    expect(isNewer(undefined, run({}))).toBe(true);
    expect(isNewer(run({}), run({ progress: 67 }))).toBe(true);
    expect(isNewer(run({}), run({ step: 'next' }))).toBe(true);
    expect(isNewer(run({ progress: 67 }), run({}))).toBe(false);
    expect(isNewer(run({}), run({ status: 'queued', progress: 0 }))).toBe(false);
    expect(isNewer(run({ status: 'completed', progress: 100 }), run({ progress: 99 }))).toBe(false);
    expect(isNewer(run({}), run({ status: 'cancelling' }))).toBe(true);
  });

  it('takes a newer run over the previous one, never an older', () => {
    const later = {
      action_uid: 'b',
      creation_time: '2026-11-28T11:00:00.000Z',
      status: 'queued',
      progress: 0,
    };
    expect(isNewer(run({ status: 'completed', progress: 100 }), run(later))).toBe(true);
    expect(isNewer(run(later), run({ status: 'completed', progress: 100 }))).toBe(false);
  });

  it('counts queued, starting, running and cancelling as active', () => {
    const active = ['queued', 'starting', 'running', 'cancelling', 'completed', 'failed', 'toString'].filter(
      (status) => isActive(run({ status })),
    );
    expect(active).toEqual(['queued', 'starting', 'running', 'cancelling']);
  });
});

describe('paramsInputs', () => {
  it('finds each action type’s start path in the OpenAPI document with its resolved params schema', () => {
    const schema = { type: 'object', properties: { node_uid: { type: 'string' } }, required: ['node_uid'] };
    const inputs = paramsInputs({
      paths: {
        '/v1/cluster/actions': { post: {} },
        '/v1/cluster/actions/{action}': { post: {} },
        '/v1/cluster/actions/events': {},
        '/v1/cluster/actions/change_master': {
          post: {
            requestBody: {
              content: {
                'application/json': { schema: { $ref: '#/components/schemas/ChangeMasterParams' } },
              },
            },
          },
        },
        '/v1/cluster/actions/no_params': {
          post: { requestBody: { content: { 'application/json': { schema: { type: 'object' } } } } },
        },
      },
      components: { schemas: { ChangeMasterParams: schema } },
    });
    expect(Object.fromEntries(inputs)).toEqual({
      change_master: { kind: 'schema', schema },
      no_params: { kind: 'schema', schema: { type: 'object' } },
    });
  });
});
