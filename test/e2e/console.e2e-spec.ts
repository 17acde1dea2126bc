import type { AddressInfo } from 'node:net';
import type { Browser, Locator, Page } from 'playwright-core';
import { createTestApp, type TestApp } from '../support/app.js';
import { launchChromium, loopbackPage, screenshot } from '../support/browser.js';
import { CONSOLE_PAGE, requireBuild } from '../support/built-service.js';
import { waitFor } from '../support/service-process.js';
import { TEST_ACTION, TestActionModule, TestGate } from '../support/test-action.js';

/** Slow enough that the bar is seen between 0 and 100 %: three steps of this each. */
const STEP_MS = '300';

/**
 * The web console (/ui) in Debian's Chromium, against the real application: what a user sees and may do,
 * through the public API only.
 */
describe('the web console in a real browser', () => {
  let t: TestApp;
  let browser: Browser;
  let origin: string;
  let viewer: readonly [string, string];
  const pages: Page[] = [];

  beforeAll(async () => {
    requireBuild(CONSOLE_PAGE);
    t = await createTestApp({ imports: [TestActionModule], env: { CHANGE_MASTER_STEP_MS: STEP_MS } });
    browser = await launchChromium();
    viewer = await t.userWithRole('cluster_viewer');
    origin = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });
  afterEach(async () => {
    // Closing the pages ends their event streams before the next test changes anything.
    await Promise.all(pages.splice(0).map((page) => page.close()));
  });

  /** The console at `width` px, with every Content-Security-Policy violation it reports collected. */
  async function openConsole(width = 1280): Promise<{ page: Page; violations: string[] }> {
    const page = await loopbackPage(browser, origin, { width, height: 900 });
    pages.push(page);
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    await page.goto(`${origin}/ui/`);
    return { page, violations };
  }

  async function signIn(page: Page, [email, password]: readonly [string, string]): Promise<void> {
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  const card = (page: Page, action: string): Locator => page.locator(`article[data-action="${action}"]`);
  const statusOf = (page: Page, action: string): Locator => card(page, action).locator('.status-line .badge');
  const master = (page: Page): Locator => page.locator('#nodes li:has(.badge.master)');

  /** Waits until the action's card shows `status`. */
  const waitForStatus = (page: Page, action: string, status: string): Promise<void> =>
    statusOf(page, action)
      .filter({ hasText: new RegExp(`^${status}$`) })
      .waitFor();

  /**
   * Reads an expression in the page. A string, evaluated by the browser's debugging protocol: the page's policy
   * forbids evaluating strings, and these tests compile without the DOM's types.
   */
  const read = (page: Page, expression: string): Promise<unknown> => page.evaluate(expression);

  it('serves the console publicly with a strict Content-Security-Policy and no inline script', async () => {
    const response = await t.http.get('/ui/').expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    const policy = String(response.headers['content-security-policy']);
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("script-src 'self'");
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).not.toContain('unsafe-inline');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['x-frame-options']).toBe('DENY');
    // Every script is a file of this origin: none written into the page.
    expect(response.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const script = await t.http.get('/ui/main.js').expect(200);
    expect(script.headers['content-type']).toMatch(/javascript/);
    expect(script.headers['content-security-policy']).toBe(policy);
  });

  it('lets an admin start change_master: the bar moves to 100 % and the master marker moves', async () => {
    const { page, violations } = await openConsole(1280);
    await signIn(page, t.admin);
    await master(page).filter({ hasText: 'Node 1' }).waitFor();
    await statusOf(page, 'change_master').filter({ hasText: 'never run' }).waitFor();

    // A refusal shows the server's own description.
    const refused = await t.http
      .post('/v1/cluster/actions/change_master')
      .auth(...t.admin)
      .send({ node_uid: '9' });
    expect(refused.status).toBe(404);
    const form = card(page, 'change_master').getByRole('form', { name: 'Start change_master' });
    await form.getByLabel('node_uid').fill('9');
    await form.getByRole('button', { name: 'Start change_master' }).click();
    await card(page, 'change_master')
      .getByRole('alert')
      .filter({ hasText: (refused.body as { description: string }).description })
      .waitFor();

    // Every value the bar takes from now on, recorded in the page as it is set.
    await read(
      page,
      `(() => {
        const bar = document.querySelector('article[data-action="change_master"] progress');
        const shown = (window.progressShown = []);
        new MutationObserver(() => shown.push(bar.value)).observe(bar, { attributes: true });
      })()`,
    );
    await form.getByLabel('node_uid').fill('2');
    await form.getByRole('button', { name: 'Start change_master' }).click();
    await waitForStatus(page, 'change_master', 'completed');
    const values = (await read(page, 'window.progressShown')) as number[];
    expect({ values, moved: values.some((value) => value > 0 && value < 100) }).toMatchObject({
      moved: true,
    });
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(values.at(-1)).toBe(100);
    await expect(card(page, 'change_master').locator('.percent').textContent()).resolves.toBe('100%');
    expect(await card(page, 'change_master').locator('.details').textContent()).toContain(t.admin[0]);
    // The step timeline: the steps the server reports, each done, in order.
    const { body: run } = await t.http.get('/v1/cluster/actions/change_master').auth(...t.admin);
    const steps = (run as { steps: { name: string; status: string }[] }).steps;
    expect(steps.length).toBeGreaterThan(0);
    const timeline = card(page, 'change_master').getByRole('list', { name: 'change_master steps' });
    expect(await timeline.locator('.step-name').allTextContents()).toEqual(steps.map((step) => step.name));
    expect(await timeline.locator('.step-status').allTextContents()).toEqual(steps.map(() => 'done'));
    await master(page).filter({ hasText: 'Node 2' }).waitFor();
    expect(await master(page).count()).toBe(1);
    // Screen readers hear the status change.
    await page.locator('#announcer').filter({ hasText: 'change_master: completed' }).waitFor();
    // The history lists the run.
    await page.getByLabel('Action type').selectOption('change_master');
    await page
      .locator('#history-rows tr', { hasText: 'completed' })
      .filter({ hasText: t.admin[0] })
      .waitFor();

    await screenshot(page, 'console-1280');
    // The credentials were kept in the page's memory only.
    expect(await page.context().storageState()).toEqual({ cookies: [], origins: [] });
    expect(await read(page, 'sessionStorage.length')).toBe(0);
    expect(violations).toEqual([]);
  });

  it('lets an admin cancel a running action from its card', async () => {
    const { page } = await openConsole(1280);
    await signIn(page, t.admin);
    const form = card(page, TEST_ACTION).getByRole('form', { name: `Start ${TEST_ACTION}` });
    // Optional fields of the params schema are labelled as such; a boolean is a checkbox.
    await form.getByLabel('label (optional)').fill('from the console');
    expect(await form.getByLabel('ignore_signal (optional)').getAttribute('type')).toBe('checkbox');
    await form.getByRole('button', { name: `Start ${TEST_ACTION}` }).click();
    await t.app.get(TestGate).next();
    await waitForStatus(page, TEST_ACTION, 'running');
    await card(page, TEST_ACTION)
      .getByRole('button', { name: `Cancel ${TEST_ACTION}` })
      .click();
    await waitForStatus(page, TEST_ACTION, 'cancelled');
    const run = await t.http.get(`/v1/cluster/actions/${TEST_ACTION}`).auth(...t.admin);
    expect(run.body).toMatchObject({
      status: 'cancelled',
      label: 'from the console',
      cancelled_by: t.admin[0],
    });
    await card(page, TEST_ACTION)
      .getByRole('button', { name: `Cancel ${TEST_ACTION}` })
      .waitFor({ state: 'hidden' });
  });

  it('shows a cluster_viewer the runs and nodes but no start or cancel control', async () => {
    await t.http
      .post(`/v1/cluster/actions/${TEST_ACTION}`)
      .auth(...t.admin)
      .expect(200);
    const gated = await t.app.get(TestGate).next();
    try {
      const { page } = await openConsole(1280);
      await signIn(page, viewer);
      await page.getByText(`Signed in as ${viewer[0]} (cluster_viewer)`).waitFor();
      await waitForStatus(page, TEST_ACTION, 'running');
      await master(page).waitFor();
      expect(await page.locator('form.start').count()).toBe(0);
      expect(await page.getByRole('button', { name: /^(Start|Cancel) / }).count()).toBe(0);
    } finally {
      gated.complete();
    }
  });

  it('shows the server’s description when the password is wrong', async () => {
    const { page } = await openConsole(1280);
    const refused = await t.http.get('/v1/users/me').auth(t.admin[0], 'wrong-password').expect(401);
    await signIn(page, [t.admin[0], 'wrong-password']);
    const error = page.locator('#sign-in-error');
    await error.filter({ hasText: (refused.body as { description: string }).description }).waitFor();
    expect(await page.locator('#console').isHidden()).toBe(true);
  });

  it('signs in with the keyboard alone at 390 px wide', async () => {
    const { page, violations } = await openConsole(390);
    await page.keyboard.press('Tab'); // the skip link
    await page.keyboard.press('Tab');
    expect(await read(page, 'document.activeElement.id')).toBe('email');
    await page.keyboard.type(t.admin[0]);
    await page.keyboard.press('Tab');
    await page.keyboard.type(t.admin[1]);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Cluster actions' }).waitFor();
    await waitFor('the console title to take the focus', async () =>
      (await read(page, 'document.activeElement.id')) === 'console-title' ? true : undefined,
    );
    await master(page).waitFor();
    // Nothing overflows the narrow viewport sideways (the history table scrolls inside its own region).
    expect(await read(page, 'document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await screenshot(page, 'console-390');
    expect(violations).toEqual([]);
  });
});
