import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_KEY,
  BLOCKED_TERM,
  type ConsoleServer,
  startConsoleServer,
  TENANT_KEY,
} from '../test/console-server.ts';

/** Debian's Chromium (apt-get install -y chromium); never a browser downloaded by a test tool. */
const CHROMIUM = process.env.PIXELGATE_CHROMIUM ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available) {
  console.log(
    `console browser suite skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set PIXELGATE_CHROMIUM)`,
  );
}
const ARTIFACTS = join(import.meta.dirname, '..', 'test-artifacts');

describe.skipIf(!available)('the console in Chromium', () => {
  let server: ConsoleServer;
  let browser: Browser;
  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    server = await startConsoleServer();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const open = async (width = 1280): Promise<Page> => {
    const page = await browser.newPage({ viewport: { width, height: 900 } });
    page.setDefaultTimeout(30_000);
    const failures: string[] = [];
    page.on('pageerror', (error) => failures.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().includes('status of 4'))
        failures.push(message.text());
    });
    (page as Page & { failures: string[] }).failures = failures;
    await page.goto(`${server.url}/console/`);
    return page;
  };
  const signIn = async (page: Page, key = TENANT_KEY) => {
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Console sections' }).waitFor();
  };
  const shot = (page: Page, name: string) =>
    page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  const errorsOf = (page: Page) => (page as Page & { failures: string[] }).failures;

  it('signs in with a key (refusing a wrong one) and keeps it out of the URL', async () => {
    const page = await open();
    await shot(page, 'sign-in');
    await page.getByLabel('API key').fill('not-a-valid-key-0123456789');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('AUTHENTICATION_ERROR');
    await signIn(page);
    expect(page.url()).not.toContain(TENANT_KEY);
    expect(await page.evaluate(() => sessionStorage.getItem('pixelgate.console.apiKey'))).toBe(TENANT_KEY);
    expect(errorsOf(page)).toEqual([]);
    await page.close();
  });

  it('generates, shows the image with its facts, and lists it in the gallery', async () => {
    const page = await open();
    await signIn(page);
    await page.getByLabel('Prompt').fill('a lighthouse at dusk');
    await page.getByLabel('Model').selectOption('local/placeholder');
    await page.getByLabel('Size').selectOption('512x512');
    await page.getByRole('button', { name: 'Create images' }).click();
    const image = page.getByRole('img', { name: /a lighthouse at dusk/ });
    await image.waitFor();
    await expect
      .poll(() => image.evaluate((element: HTMLImageElement) => element.complete && element.naturalWidth))
      .toBe(512);
    await expect.poll(() => page.getByText('Link expires').count()).toBeGreaterThan(0);
    await shot(page, 'generate');
    await page.getByRole('button', { name: 'Gallery' }).click();
    await page.getByRole('heading', { name: 'Gallery' }).waitFor();
    expect(await page.getByRole('img', { name: /a lighthouse at dusk/ }).count()).toBe(1);
    expect(await page.getByRole('link', { name: 'Download' }).count()).toBe(1);
    await shot(page, 'gallery');
    expect(errorsOf(page)).toEqual([]);
    await page.close();
  });

  it('offers only what the chosen model can do: a missing setting is disabled with the reason', async () => {
    const page = await open();
    await signIn(page);
    await page.getByLabel('Model').selectOption('local/placeholder');
    expect(await page.getByLabel('Quality').isEnabled()).toBe(true);
    await page.getByLabel('Model').selectOption('local/placeholder-single');
    const quality = page.getByLabel('Quality');
    expect(await quality.isDisabled()).toBe(true);
    expect(await page.getByText('This model has no quality setting.').isVisible()).toBe(true);
    const sizes = await page.getByLabel('Size').locator('option').allTextContents();
    expect(sizes.filter((size) => /^\d+x\d+$/.test(size))).toEqual(['512x512', '1024x1024']);
    await shot(page, 'unavailable-option');
    await page.close();
  });

  it('shows a refused prompt as its error code', async () => {
    const page = await open();
    await signIn(page);
    await page.getByLabel('Prompt').fill(`a ${BLOCKED_TERM} at night`);
    await page.getByRole('button', { name: 'Create images' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('CONTENT_BLOCKED');
    await shot(page, 'refused');
    await page.close();
  });

  it('compares two models side by side with time and cost', async () => {
    const page = await open();
    await signIn(page);
    await page.getByRole('button', { name: 'Compare' }).click();
    await page.getByLabel('Prompt').fill('a red bicycle');
    await page.getByRole('button', { name: 'Run comparison' }).click();
    for (const model of ['local/placeholder', 'local/placeholder-single']) {
      const column = page.getByRole('article', { name: `Result of ${model}`, exact: true });
      await column.getByRole('img').waitFor();
      expect(await column.getByText(/Time: .* s · Cost: /).count()).toBe(1);
    }
    await shot(page, 'compare');
    await page.close();
  });

  it('shows usage and the audit records just made, verified; an admin sees every tenant', async () => {
    const page = await open();
    await signIn(page);
    await page.getByRole('button', { name: 'Usage' }).click();
    await page.getByRole('heading', { name: 'Usage of studio' }).waitFor();
    expect(await page.getByRole('cell', { name: '$5.0000' }).count()).toBeGreaterThan(0);
    await shot(page, 'usage');
    await page.getByRole('button', { name: 'Audit' }).click();
    await page.getByRole('heading', { name: 'Audit records' }).waitFor();
    expect(await page.locator('[data-chain="verified"]').textContent()).toBe('Chain verified');
    const outcomes = await page.locator('tbody tr td:nth-child(4)').allTextContents();
    expect(outcomes).toEqual(expect.arrayContaining(['success', 'blocked']));
    await shot(page, 'audit');
    await page.close();
    const admin = await open();
    await signIn(admin, ADMIN_KEY);
    await admin.getByRole('button', { name: 'Audit' }).click();
    await admin.getByRole('heading', { name: 'Audit records (all tenants)' }).waitFor();
    expect(await admin.getByRole('cell', { name: 'studio', exact: true }).count()).toBeGreaterThan(0);
    await admin.close();
  });

  it('is usable at 390 px and by keyboard', async () => {
    const page = await open(390);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('apiKey');
    await page.keyboard.type(TENANT_KEY);
    await page.keyboard.press('Enter');
    await page.getByRole('navigation', { name: 'Console sections' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(page, 'generate-390');
    await page.close();
  });

  it('renders the interactive API reference from /openapi.json without a CDN', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const external: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(server.url) && !request.url().startsWith('data:'))
        external.push(request.url());
    });
    await page.goto(`${server.url}/docs`);
    await page.getByText('/v1/images/generations').first().waitFor({ timeout: 30_000 });
    await shot(page, 'docs');
    expect(external).toEqual([]);
    await page.close();
  });
});
