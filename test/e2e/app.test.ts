/**
 * The whole product in a real browser: browser mode with the real core, the in-process sandbox,
 * the job engine and the archive. First run → sandbox workspace → collect → jobs finish → search
 * → open a hit in its conversation → open a thread; axe on every screen; screenshots of every
 * screen into docs/screenshots/.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rendererBuilt, startBrowserMode, type BrowserMode } from '../../main/web/index.ts';
import { chromiumAvailable, launch, seriousViolations } from './browser.ts';

const SHOTS = path.resolve(import.meta.dirname, '../../docs/screenshots');
const hasChromium = chromiumAvailable();

describe.skipIf(!hasChromium)('Archivist in the browser', () => {
  let dir: string;
  let app: BrowserMode;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  async function shot(name: string) {
    await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
  }
  async function accessible(screen: string) {
    const v = await seriousViolations(page);
    expect(v, `${screen}: ${JSON.stringify(v, null, 2)}`).toEqual([]);
  }

  beforeAll(async () => {
    // A fresh clone has no dist/: build the renderer once (vite, a few seconds).
    if (!rendererBuilt()) {
      const r = spawnSync(process.execPath, [path.resolve(import.meta.dirname, '../../node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], {
        cwd: path.resolve(import.meta.dirname, '../..'),
        stdio: 'inherit',
      });
      if (r.status !== 0 || !rendererBuilt()) throw new Error('Building the renderer failed (npm run build:renderer)');
    }
    fs.mkdirSync(SHOTS, { recursive: true });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'archivist-e2e-'));
    app = await startBrowserMode({
      dataDir: dir,
      jobLimits: { pollInitialMs: 100, pollMaxMs: 300, pollFactor: 1.2, tickMs: 200, progressIntervalMs: 100, retryBaseMs: 100 },
      sandboxLatency: { pendingMs: 150, runningMs: 300 },
    });
    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('first run offers the sandbox workspace', async () => {
    await page.goto(app.url);
    await page.getByRole('heading', { level: 1, name: 'Welcome to Archivist' }).waitFor();
    expect(new URL(page.url()).search).toBe(''); // the one-time token is gone from the address bar
    await accessible('welcome');
    await shot('01-welcome');
  });

  it('opens the sandbox workspace and browses its channels', async () => {
    await page.getByRole('button', { name: 'Open the sandbox workspace' }).click();
    await page.getByRole('heading', { level: 1, name: 'Collect' }).waitFor({ timeout: 60_000 });
    const table = page.getByRole('table', { name: 'Channels in the Stream app' });
    await table.getByRole('checkbox', { name: /^Select / }).first().waitFor({ timeout: 30_000 });
    // Rows arrive page by page: wait for them rather than counting the first paint.
    await expect.poll(() => table.getByRole('row').count(), { timeout: 30_000 }).toBeGreaterThan(3);
    await accessible('collect');
    await shot('02-collect');
  });

  it('collects the channels and watches the jobs finish', async () => {
    const table = page.getByRole('table', { name: 'Channels in the Stream app' });
    await table.getByRole('checkbox', { name: 'Select all channels on this page' }).check();
    const selection = page.getByRole('complementary', { name: 'Selection' });
    await selection.getByRole('button', { name: /^Collect \d+$/ }).click();
    await page.getByRole('heading', { level: 1, name: 'Jobs' }).waitFor();
    const card = page.locator('article.collection').first();
    await card.waitFor();
    await shot('03-jobs-running');
    await page.locator('article.collection[data-state="complete"]').first().waitFor({ timeout: 90_000 });
    await expect.poll(async () => card.locator('code.hash').count()).toBeGreaterThan(0);
    await card.getByRole('button', { name: 'Completeness report' }).click();
    await card.getByRole('region', { name: 'Completeness report' }).getByText(/Complete: every requested target/).waitFor();
    await accessible('jobs');
    await shot('03-jobs-complete');
  });

  it('searches the archive with highlights, facets and a count', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Search' }).click();
    const box = page.getByRole('combobox', { name: 'Search the archive' });
    await box.fill('contract');
    const count = page.locator('.result-count');
    await expect.poll(async () => (await count.textContent()) ?? '', { timeout: 10_000 }).toMatch(/^\d[\d,]* results? · /);
    const results = page.getByRole('list', { name: 'Search results' });
    expect(await results.locator('mark').count()).toBeGreaterThan(0);
    await page.getByRole('complementary', { name: 'Refine results' }).getByRole('heading', { name: 'Channels' }).waitFor();
    await page.getByRole('button', { name: 'Syntax' }).click();
    await accessible('search');
    await shot('04-search');
    await page.getByRole('button', { name: 'Syntax' }).click();
  });

  it('completes from: with people in the archive', async () => {
    const box = page.getByRole('combobox', { name: 'Search the archive' });
    await box.fill('contract from:');
    await page.getByRole('listbox', { name: 'Suggestions' }).getByRole('option').first().waitFor();
    await shot('05-search-completion');
    await box.press('Escape');
  });

  it('opens a hit in its conversation with context', async () => {
    const box = page.getByRole('combobox', { name: 'Search the archive' });
    await box.fill('contract');
    const results = page.getByRole('list', { name: 'Search results' });
    await expect.poll(async () => (await page.locator('.result-count').textContent()) ?? '').toMatch(/results? · /);
    const first = results.getByRole('button').first();
    const id = await first.getAttribute('data-message-id');
    await first.click();
    await page.locator('.message-hit').waitFor();
    expect(await page.locator('.message-hit').getAttribute('data-message-id')).toBe(id);
    expect(page.url()).toContain(`m=${encodeURIComponent(id!)}`);
    expect(await page.locator('.day-separator').count()).toBeGreaterThan(0);
    await accessible('conversation');
    await shot('06-conversation');
  });

  it('opens a thread', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Search' }).click();
    await page.getByRole('combobox', { name: 'Search the archive' }).fill('is:reply');
    const results = page.getByRole('list', { name: 'Search results' });
    // Wait for this query's results (every hit is marked as a reply), not the previous ones.
    await expect.poll(async () => (await results.locator('.hit').first().textContent()) ?? '').toContain('reply');
    await results.getByRole('button').first().click();
    const thread = page.getByRole('complementary', { name: 'Thread' });
    await thread.waitFor();
    await thread.getByRole('list', { name: 'Replies' }).getByRole('listitem').first().waitFor();
    expect(await thread.locator('.message-hit').count()).toBe(1);
    await accessible('thread');
    await shot('07-thread');
  });

  it('follows a stable message link', async () => {
    const link = await page.locator('.message-hit .permalink').first().getAttribute('href');
    expect(link).toMatch(/^#\/m\//);
    await page.goto(`${app.server.origin}/${link}`);
    await page.locator('.message-hit').first().waitFor();
  });

  it('shows profiles and settings, in light and dark themes', async () => {
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Profiles' }).click();
    await page.getByRole('heading', { name: /Sandbox workspace/ }).waitFor();
    await accessible('profiles');
    await shot('08-profiles');
    await nav.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
    await page.getByText('Evidence files').first().waitFor();
    await accessible('settings');
    await shot('09-settings');
    await page.getByRole('radio', { name: 'Dark' }).click();
    await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await accessible('settings (dark)');
    await nav.getByRole('link', { name: 'Search' }).click();
    await page.getByRole('combobox', { name: 'Search the archive' }).fill('deadline');
    await expect.poll(async () => (await page.getByRole('list', { name: 'Search results' }).locator('mark').first().textContent()) ?? '').toMatch(/deadline/i);
    await accessible('search (dark)');
    await shot('10-search-dark');
    await page.getByRole('list', { name: 'Search results' }).getByRole('button').first().click();
    await page.locator('.message-hit').waitFor();
    await accessible('conversation (dark)');
    await shot('11-conversation-dark');
    await nav.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('radio', { name: 'Light' }).click();
  });

  it('keeps the later sections in the navigation', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /Matters & holds/ }).click();
    await page.getByRole('heading', { level: 1, name: 'Matters & holds' }).waitFor();
    await accessible('matters');
  });

  it('raised no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
