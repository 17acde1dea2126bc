import { ActionCard, type ActionRights } from './action-card.js';
import { ApiError, isActive, isNewer, type Action, type Api, type SignedInUser } from './api.js';
import { byId, describe, h, time } from './dom.js';
import { paramsInputs, type ParamsInput } from './params-form.js';

const EVENTS_PATH = '/v1/cluster/actions/events';
/** Nodes change without an action too (a failover, an operator): read them this often besides. */
const NODES_REFRESH_MS = 5_000;
const RECONNECT_MS = 2_000;
/** The signed-in console: everything it shows, kept live until `close()`. */
export class Session {
  private readonly stopped = new AbortController();
  private readonly cards = new Map<string, ActionCard>();
  private readonly latest = new Map<string, Action>();
  private readonly rights: ActionRights;
  private inputs = new Map<string, ParamsInput>();
  private nodesTimer?: ReturnType<typeof setInterval>;
  private historyCursor: string | null = null;

  private readonly actionsList = byId<HTMLElement>('actions');
  private readonly nodesList = byId<HTMLUListElement>('nodes');
  private readonly historySelect = byId<HTMLSelectElement>('history-action');
  private readonly historyRows = byId<HTMLTableSectionElement>('history-rows');
  private readonly historyMore = byId<HTMLButtonElement>('history-more');
  private readonly connection = byId<HTMLElement>('connection');
  private readonly announcer = byId<HTMLElement>('announcer');
  private readonly pageError = byId<HTMLElement>('page-error');

  constructor(
    private readonly api: Api,
    readonly user: SignedInUser,
    /** Called when the server no longer takes the credentials (a new password, a lock, a deletion). */
    private readonly onSignedOut: (reason: string) => void,
  ) {
    this.rights = {
      start: user.permissions.includes('start_cluster_action'),
      cancel: user.permissions.includes('cancel_cluster_action'),
    };
  }

  async open(): Promise<void> {
    this.historySelect.onchange = () => void this.loadHistory();
    this.historyMore.onclick = () => void this.loadHistory(this.historyCursor ?? undefined);
    // Without the document (OPENAPI=off) action types appear as they run, started from raw JSON parameters.
    this.inputs = await fetch('/docs-json', { credentials: 'omit' })
      .then((response) => (response.ok ? response.json() : {}))
      .then(paramsInputs)
      .catch(() => new Map<string, ParamsInput>());
    for (const name of this.inputs.keys()) this.card(name);
    void this.follow();
    void this.refreshNodes();
    this.nodesTimer = setInterval(() => void this.refreshNodes(), NODES_REFRESH_MS);
  }

  close(): void {
    this.stopped.abort();
    clearInterval(this.nodesTimer);
    this.actionsList.replaceChildren();
    this.nodesList.replaceChildren();
    this.historySelect.replaceChildren();
    this.historyRows.replaceChildren();
    this.historyMore.hidden = true;
    this.connection.textContent = '';
    this.pageError.textContent = '';
  }

  /** Follows the live event stream, reconnecting (and resuming after the last event) when it ends. */
  private async follow(): Promise<void> {
    let lastEventId: string | undefined;
    while (!this.stopped.signal.aborted) {
      try {
        await this.api.stream(
          EVENTS_PATH,
          lastEventId,
          (event) => {
            if (event.id) lastEventId = event.id;
            this.apply(JSON.parse(event.data) as Action, event.event !== 'progress');
          },
          this.stopped.signal,
          // Read the current state once the stream is open, so that no change falls between the two (a run an
          // event described meanwhile keeps that newer description: see isNewer).
          () => void this.loadActions(),
        );
        this.connection.textContent = 'Live updates interrupted; reconnecting…';
      } catch (error) {
        if (this.stopped.signal.aborted) return;
        if (error instanceof ApiError && error.status === 401) return this.onSignedOut(error.description);
        // A role without the permission to see runs: retrying cannot help.
        if (error instanceof ApiError && error.status === 403) {
          this.connection.textContent = '';
          this.pageError.textContent = error.description;
          return;
        }
        this.connection.textContent = `Live updates interrupted (${describe(error)}); reconnecting…`;
      }
      await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
    }
  }

  private async loadActions(): Promise<void> {
    this.connection.textContent = 'Live';
    try {
      for (const action of await this.api.actions()) this.apply(action, false);
      this.pageError.textContent = '';
    } catch (error) {
      this.pageError.textContent = describe(error);
    }
  }

  /** Shows a run's new state; announces status and step changes to screen readers. */
  private apply(action: Action, announce: boolean): void {
    // An answer that arrives after sign-out belongs to no page any more.
    if (this.stopped.signal.aborted || !isNewer(this.latest.get(action.name), action)) return;
    const previous = this.latest.get(action.name);
    this.latest.set(action.name, action);
    this.card(action.name).show(action);
    if (announce) {
      this.announcer.textContent = `${action.name}: ${action.status}${action.step ? `, step ${action.step}` : ''}`;
    }
    // A change of master shows on the nodes at once, not at the next periodic refresh.
    if (action.name === 'change_master' && announce) void this.refreshNodes();
    // The history changes when a run is added or ends.
    const historyChanged =
      previous !== undefined &&
      (previous.action_uid !== action.action_uid || (previous.status !== action.status && !isActive(action)));
    if (historyChanged && this.historySelect.value === action.name) {
      void this.loadHistory();
    }
  }

  /** The card of action type `name`, made on first sight (e.g. a type only the event stream named). */
  private card(name: string): ActionCard {
    let card = this.cards.get(name);
    if (!card) {
      const params = this.inputs.get(name) ?? { kind: 'json' };
      card = new ActionCard(name, this.api, this.rights, params, (action) => this.apply(action, true));
      this.cards.set(name, card);
      const names = [...this.cards.keys()].sort();
      this.actionsList.insertBefore(
        card.root,
        this.cards.get(names[names.indexOf(name) + 1] ?? '')?.root ?? null,
      );
      this.historySelect.insertBefore(
        new Option(name, name),
        this.historySelect.options[names.indexOf(name)] ?? null,
      );
      if (this.historySelect.options.length === 1) void this.loadHistory();
    }
    return card;
  }

  private async refreshNodes(): Promise<void> {
    try {
      const nodes = await this.api.nodes();
      if (this.stopped.signal.aborted) return;
      this.nodesList.replaceChildren(
        ...Object.entries(nodes).map(([uid, node]) =>
          h(
            'li',
            { className: `node role-${node.role}`, attributes: { 'data-node': uid } },
            h('span', { className: 'node-name' }, `Node ${uid}`),
            node.role === 'master' ? h('span', { className: 'badge master' }, 'master') : '',
            h('span', { className: 'node-status' }, node.node_status),
          ),
        ),
      );
    } catch (error) {
      if (this.stopped.signal.aborted) return;
      if (error instanceof ApiError && error.status === 401) return this.onSignedOut(error.description);
      this.pageError.textContent = describe(error);
    }
  }

  /** The selected action type's runs, newest first; `cursor` appends the next page. */
  private async loadHistory(cursor?: string): Promise<void> {
    const name = this.historySelect.value;
    if (!name) return;
    try {
      const page = await this.api.history(name, cursor);
      if (this.stopped.signal.aborted) return;
      const rows = page.actions.map((run) =>
        h(
          'tr',
          {},
          h('td', {}, h('span', { className: `badge status-${run.status}` }, run.status)),
          h('td', {}, run.started_by ?? '—'),
          h('td', {}, time(run.creation_time)),
          h('td', {}, time(run.end_time)),
          h('td', {}, run.error_code ?? (run.step ? `step ${run.step}` : '')),
        ),
      );
      if (cursor) this.historyRows.append(...rows);
      else this.historyRows.replaceChildren(...rows);
      this.historyCursor = page.next_cursor;
      this.historyMore.hidden = page.next_cursor === null;
    } catch (error) {
      this.pageError.textContent = describe(error);
    }
  }
}
