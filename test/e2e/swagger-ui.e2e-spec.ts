import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { createTestApp, type TestApp } from '../support/app.js';
import { launchChromium, loopbackPage, screenshot } from '../support/browser.js';

describe('Swagger UI in a real browser', () => {
  let t: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    t = await createTestApp();
    browser = await launchChromium();
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('authorizes with Basic credentials and executes GET /v1/cluster/actions with a 200', async () => {
    const { port } = t.app.getHttpServer().address() as AddressInfo;
    const origin = `http://127.0.0.1:${port}`;
    const page = await loopbackPage(browser, origin);

    await page.goto(`${origin}/docs`);
    await page.locator('button.authorize').first().click();
    await page.locator('input[aria-label="auth-basic-username"]').fill(t.admin[0]);
    await page.locator('input[aria-label="auth-basic-password"]').fill(t.admin[1]);
    await page.locator('.auth-btn-wrapper button.authorize').click();
    await page.locator('.auth-btn-wrapper button.btn-done').click();

    const operation = page.locator('#operations-actions-ActionsController_list');
    await operation.locator('.opblock-summary').click();
    await operation.locator('button.try-out__btn').click();
    const answered = page.waitForResponse(
      (response) =>
        response.url() === `${origin}/v1/cluster/actions` && response.request().method() === 'GET',
    );
    await operation.locator('button.execute').click();
    expect((await answered).status()).toBe(200);
    await expect(
      operation.locator('.live-responses-table tbody .response-col_status').first().textContent(),
    ).resolves.toContain('200');

    await screenshot(page, 'swagger-ui');
  }, 30_000);
});
