import { isActive, type Action, type Api } from './api.js';
import { describe, h, time, TIME_ONLY } from './dom.js';
import { renderParamsFields, type ParamsInput } from './params-form.js';

/** What the signed-in user may do with actions (from the permissions of its role). */
export interface ActionRights {
  readonly start: boolean;
  readonly cancel: boolean;
}

/**
 * One action type: its current run (status, progress bar, step and step timeline, who started it and when), and
 * for users with the permissions a start form and a cancel button. Built once; each change updates it in place,
 * so that focus and what the user typed survive live updates.
 */
export class ActionCard {
  readonly root: HTMLElement;
  private readonly statusBadge = h('span', { className: 'badge' });
  private readonly stepText = h('span', { className: 'step' });
  private readonly bar: HTMLProgressElement;
  private readonly percent = h('span', { className: 'percent' });
  private readonly steps = h('ol', { className: 'steps', hidden: true });
  private readonly details = h('dl', { className: 'details' });
  private readonly error = h('p', { className: 'error', attributes: { role: 'alert' } });
  private readonly cancelButton?: HTMLButtonElement;
  private current?: Action;

  constructor(
    readonly name: string,
    private readonly api: Api,
    rights: ActionRights,
    params: ParamsInput,
    private readonly onChange: (action: Action) => void,
  ) {
    const titleId = `action-${name}-title`;
    this.bar = h('progress', { max: 100, value: 0, attributes: { 'aria-labelledby': titleId } });
    this.root = h(
      'article',
      { className: 'card action', attributes: { 'aria-labelledby': titleId, 'data-action': name } },
      h('h3', { id: titleId }, name),
      h('p', { className: 'status-line' }, this.statusBadge, this.stepText),
      h('div', { className: 'progress' }, this.bar, this.percent),
      this.steps,
      this.details,
    );
    if (rights.start) this.root.append(this.startForm(params));
    if (rights.cancel) {
      this.cancelButton = h(
        'button',
        { type: 'button', className: 'cancel', hidden: true },
        `Cancel ${name}`,
      );
      this.cancelButton.addEventListener('click', () => void this.cancel());
      this.root.append(this.cancelButton);
    }
    this.root.append(this.error);
    this.show(undefined);
  }

  /** The run as the server last described it (a newer run of this type replaces it). */
  show(action: Action | undefined): void {
    this.current = action;
    const status = action?.status ?? 'never run';
    this.statusBadge.textContent = status;
    this.statusBadge.className = `badge status-${status.replace(/\W/g, '-')}`;
    this.stepText.textContent = action?.step ? `step ${action.step}` : '';
    const progress = action?.progress ?? 0;
    this.bar.value = progress;
    this.percent.textContent = `${progress}%`;
    this.showSteps(action);
    this.details.replaceChildren(
      ...detail('Started by', action?.started_by ?? '—'),
      ...detail('Created', time(action?.creation_time)),
      ...detail('Started', time(action?.start_time)),
      ...detail('Ended', time(action?.end_time)),
      ...(action?.cancelled_by ? detail('Cancelled by', action.cancelled_by) : []),
      ...(action?.error_code
        ? detail('Error', `${action.error_code}${action.error_message ? `: ${action.error_message}` : ''}`)
        : []),
    );
    if (this.cancelButton) {
      const active = !!action && isActive(action);
      this.cancelButton.hidden = !active;
      // Past the point of no return, or already being cancelled: nothing left to cancel.
      this.cancelButton.disabled = !action?.cancellable || action.status === 'cancelling';
    }
  }

  /** The step timeline, when the run reports its steps. */
  private showSteps(action: Action | undefined): void {
    const steps = action?.steps ?? [];
    this.steps.hidden = steps.length === 0;
    this.steps.setAttribute('aria-label', `${this.name} steps`);
    this.steps.replaceChildren(
      ...steps.map((step) =>
        h(
          'li',
          { className: `step-item status-${step.status.replace(/\W/g, '-')}` },
          h('span', { className: 'step-name' }, step.name),
          h('span', { className: 'step-status' }, step.status),
          step.start_time
            ? h(
                'span',
                { className: 'step-time' },
                time(step.start_time, TIME_ONLY),
                ' → ',
                time(step.end_time, TIME_ONLY),
              )
            : '',
        ),
      ),
    );
  }

  private startForm(params: ParamsInput): HTMLFormElement {
    const form = h('form', { className: 'start', attributes: { 'aria-label': `Start ${this.name}` } });
    const read = renderParamsFields(form, `start-${this.name}`, params);
    const submit = h('button', { type: 'submit' }, `Start ${this.name}`);
    form.append(submit);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.run(submit, async () => this.onChange(await this.api.start(this.name, read())));
    });
    return form;
  }

  private async cancel(): Promise<void> {
    if (!this.cancelButton || !this.current) return;
    await this.run(this.cancelButton, async () => this.onChange(await this.api.cancel(this.name)));
  }

  /** Runs a request from `button`, showing the server's description of any refusal. */
  private async run(button: HTMLButtonElement, request: () => Promise<void>): Promise<void> {
    this.error.textContent = '';
    button.disabled = true;
    try {
      await request();
    } catch (error) {
      this.error.textContent = describe(error);
    } finally {
      button.disabled = false;
      this.show(this.current);
    }
  }
}

function detail(term: string, value: Node | string): HTMLElement[] {
  return [h('dt', {}, term), h('dd', {}, value)];
}
