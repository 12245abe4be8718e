/**
 * The HTML report in a real browser: headless Chromium (Debian's /usr/bin/chromium, driven by
 * playwright-core) opens the page from file:// and we check what a person would see — charts drawn
 * with real pixels, failures expanded with expected vs observed, collapsing, hostile names shown as
 * text — and that the page logs no error and makes no network request at all.
 *
 * Chromium is required: without it this test fails and says how to install it. On a machine that
 * cannot have Chromium, set FAULTLINE_SKIP_BROWSER=1 to skip it explicitly; FAULTLINE_CHROMIUM=/path
 * uses another Chromium binary.
 * FAULTLINE_UPDATE_SCREENSHOT=1 also rewrites docs/images/html-report.png from the clean sample.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderHtml } from './html.js';
import { renderJunit } from './junit.js';
import { createSampleRun } from './testing/sample-results.js';

// The callbacks passed to page.evaluate run in the browser. The project compiles without the DOM
// lib (it would change Node's timer types everywhere), so the few browser globals they use are
// declared here, for this module only.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any;
declare const window: any;
declare function getComputedStyle(element: unknown): { backgroundColor: string };
declare class DOMParser {
  parseFromString(text: string, type: string): any;
}
type HTMLCanvasElement = any;
type HTMLDetailsElement = { open: boolean };

/** Debian's Chromium; FAULTLINE_CHROMIUM points elsewhere (another OS, another build). */
const CHROMIUM = process.env.FAULTLINE_CHROMIUM ?? '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const skip = process.env.FAULTLINE_SKIP_BROWSER === '1';

describe.skipIf(skip)('HTML report in headless Chromium (set FAULTLINE_SKIP_BROWSER=1 only on machines without Chromium)', () => {
  const run = createSampleRun({ hostile: true, withWirePath: true });
  let dir: string;
  let context: BrowserContext | undefined;
  let page: Page;
  const offsite: string[] = [];
  const consoleErrors: string[] = [];
  const pageErrors: string[] = [];
  const dialogs: string[] = [];

  // A setup failure (no Chromium) fails every test with its message, rather than skipping them.
  let setupError: Error | undefined;
  const ready = () => {
    if (setupError) throw setupError;
  };

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      setupError = new Error(`Chromium is not installed at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (Debian), or set FAULTLINE_SKIP_BROWSER=1 to skip the browser test on this machine`);
      return;
    }
    dir = mkdtempSync(join(tmpdir(), 'faultline-browser-'));
    writeFileSync(join(dir, 'index.html'), renderHtml(run));
    writeFileSync(join(dir, 'junit.xml'), renderJunit(run));
    context = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
      args: ARGS,
      headless: true,
      viewport: { width: 1280, height: 900 },
      colorScheme: 'light',
    });
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:') || url.startsWith('data:')) return route.continue();
      offsite.push(url);
      return route.abort();
    });
    context.on('request', (request) => {
      const url = request.url();
      if (!url.startsWith('file:') && !url.startsWith('data:') && !offsite.includes(url)) offsite.push(url);
    });
    page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await page.goto(pathToFileURL(join(dir, 'index.html')).href);
    await page.waitForSelector('[data-chart][data-drawn]', { state: 'attached' });
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('draws the charts of open scenarios with real pixels', async () => {
    ready();
    const canvases = await page.$$eval('#scenario-3 canvas', (list) =>
      list.map((canvas) => {
        const c = canvas as HTMLCanvasElement;
        const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        let painted = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) painted++;
        return { width: c.width, height: c.height, painted };
      }),
    );
    expect(canvases.length).toBeGreaterThanOrEqual(4);
    for (const c of canvases) {
      expect(c.width).toBeGreaterThan(0);
      expect(c.height).toBeGreaterThan(0);
      expect(c.painted).toBeGreaterThan(500);
    }
  });

  it('draws every chart once the collapsed scenarios are expanded', async () => {
    ready();
    const closedBefore = await page.$$eval('details.scenario:not([open]) [data-chart]:not([data-drawn])', (l) => l.length);
    expect(closedBefore).toBeGreaterThan(0);
    await page.click('#expand-all');
    // A time–sequence graph of a flow not chosen stays hidden, and undrawn, until it is chosen.
    await page.waitForFunction(() => [...document.querySelectorAll('[data-chart]:not([data-drawn])')].filter((el: any) => !el.closest('[hidden]')).length === 0);
    const charts = await page.$$eval('[data-chart]', (l) => l.filter((el: any) => !el.closest('[hidden]')).length);
    expect(await page.$$eval('[data-chart] canvas', (l) => l.length)).toBe(charts);
  });

  it('draws a wire path’s time–sequence graph with its marks, and another flow when it is chosen', async () => {
    ready();
    await page.click('#expand-all');
    const figure = '#scenario-8 figure.tcptrace';
    const painted = (selector: string) =>
      page.$$eval(`${selector} canvas`, (list) =>
        list.map((canvas) => {
          const c = canvas as HTMLCanvasElement;
          const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
          let count = 0;
          for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) count++;
          return count;
        }),
      );
    const panels = await page.$$eval(`${figure} [data-trace-panel]`, (l) => l.map((p: any) => ({ id: p.getAttribute('data-trace-panel'), hidden: p.hidden })));
    expect(panels.map((p) => p.hidden)).toEqual([false, true]);
    expect((await painted(`${figure} [data-trace-panel="${panels[0]!.id}"]`))[0]).toBeGreaterThan(2000);
    const legend = await page.$eval(`${figure} [data-trace-panel="${panels[0]!.id}"]`, (p: any) => p.textContent);
    expect(legend).toContain('retransmitted');
    expect(legend).toContain('dropped by the engine');
    // The kernel counters, TCP_INFO and the capture links are beside it.
    const section = await page.$eval('#scenario-8', (d: any) => d.textContent);
    expect(section).toContain('TCP segments retransmitted');
    expect(section).toContain('198.18.0.1:40122 → 198.18.0.2:38245');
    expect(section).toContain('captures/wire-tcp-vs-udp-loss/wire_path.entered.pcap');
    await page.selectOption(`${figure} select`, panels[1]!.id);
    await page.waitForFunction((id) => document.querySelector(`[data-chart="${id}"][data-drawn]`) !== null, panels[1]!.id);
    expect(await page.$$eval(`${figure} [data-trace-panel]`, (l) => l.map((p: any) => p.hidden))).toEqual([true, false]);
    expect((await painted(`${figure} [data-trace-panel="${panels[1]!.id}"]`))[0]).toBeGreaterThan(2000);
  });

  it('shows the main facts: names, statuses, key numbers, a failure with expected vs observed', async () => {
    ready();
    const text = (selector: string) => page.locator(selector).first().innerText();
    expect(await text('#scenario-1 summary')).toContain('✔ PASSED tcp-vs-udp-random-loss');
    expect(await text('#scenario-5 summary')).toContain('⚠ ERRORED app-under-reset');
    expect(await text('.verdict')).toBe('✘ Run failed: 8 scenarios: 4 passed, 1 failed, 1 errored, 1 interrupted, 1 skipped');
    const problem = await text('#scenario-3 .problem');
    expect(problem).toMatch(/expected\s+consistent with 5% \(99% interval 4\.21%–5\.93%\)/);
    expect(problem).toMatch(/observed\s+8\.1% \(243 of 3000\)/);
    expect(await page.locator('#scenario-3 .problem').isVisible()).toBe(true);
    expect(await text('#scenario-1 .keynums')).toContain('p99 rtt 12.4ms');
    expect(await text('#scenario-1')).toContain('asked 10% loss_ratio, got 9.85% ± 1.31');
  });

  it('shows hostile names as text and runs none of them', async () => {
    ready();
    const heading = await page.locator('#scenario-3 summary h2').textContent();
    expect(heading).toContain('dup <img src=x onerror=alert(1)> & "quotes" \'apos\'');
    expect(await page.$$eval('img', (l) => l.length)).toBe(0);
    expect(await page.$$eval('script', (l) => l.length)).toBe(4);
    expect(dialogs).toEqual([]);
    const embedded = await page.evaluate(() => JSON.parse(document.getElementById('faultline-result')!.textContent!) as { scenarios: Array<{ name: string }> });
    expect(embedded.scenarios[2]!.name).toBe(run.scenarios[2]!.name);
  });

  it('collapses and expands a scenario', async () => {
    ready();
    const details = page.locator('#scenario-3');
    const table = details.locator('table').first();
    expect(await table.isVisible()).toBe(true);
    await page.locator('#scenario-3 > summary').click();
    expect(await details.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
    expect(await table.isVisible()).toBe(false);
    await page.locator('#scenario-3 > summary').click();
    expect(await table.isVisible()).toBe(true);
  });

  it('junit.xml is well-formed to a strict XML parser, hostile names and all', async () => {
    ready();
    const result = await page.evaluate((text) => {
      const doc = new DOMParser().parseFromString(text, 'application/xml');
      const cases = doc.querySelectorAll('testcase');
      return { error: doc.querySelector('parsererror')?.textContent ?? null, cases: cases.length, name: cases[2]?.getAttribute('name') };
    }, readFileSync(join(dir, 'junit.xml'), 'utf8'));
    expect(result.error).toBeNull();
    expect(result.cases).toBe(run.scenarios.length);
    expect(result.name).toBe(run.scenarios[2]!.name);
  });

  it('follows the dark colour scheme', async () => {
    ready();
    const light = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await page.emulateMedia({ colorScheme: 'dark' });
    const dark = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await page.emulateMedia({ colorScheme: 'light' });
    expect(light).toBe('rgb(255, 255, 255)');
    expect(dark).toBe('rgb(13, 17, 23)');
  });

  it('logged no errors and made no network request; saves a screenshot under reports/', async () => {
    ready();
    mkdirSync(join(REPO, 'reports', 'browser'), { recursive: true });
    await page.screenshot({ path: join(REPO, 'reports', 'browser', 'index.png'), fullPage: true });
    expect(consoleErrors).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(offsite).toEqual([]);
    if (process.env.FAULTLINE_UPDATE_SCREENSHOT === '1') await updateDocsScreenshots(context!, dir);
  });
});

/** Writes docs/images/html-report*.png from the clean sample (FAULTLINE_UPDATE_SCREENSHOT=1). */
async function updateDocsScreenshots(context: BrowserContext, dir: string): Promise<void> {
  const clean = join(dir, 'clean.html');
  writeFileSync(clean, renderHtml(createSampleRun(), { generatedAt: '2025-06-01T12:01:00.000Z' }));
  const shot = await context.newPage();
  await shot.setViewportSize({ width: 1200, height: 1000 });
  await shot.goto(pathToFileURL(clean).href);
  mkdirSync(join(REPO, 'docs', 'images'), { recursive: true });
  await shot.screenshot({ path: join(REPO, 'docs', 'images', 'html-report.png') });
  // The first scenario from its fault timeline to its first workload's charts.
  await shot.click('#scenario-1 > summary');
  await shot.waitForSelector('#scenario-1 [data-chart][data-drawn]');
  const top = await shot.locator('#scenario-1 h3', { hasText: 'Fault timeline' }).boundingBox();
  const bottom = await shot.locator('#scenario-1 .charts').first().boundingBox();
  const scrollY = await shot.evaluate(() => window.scrollY);
  await shot.screenshot({
    path: join(REPO, 'docs', 'images', 'html-report-scenario.png'),
    fullPage: true,
    clip: { x: 0, y: top!.y + scrollY - 8, width: 1200, height: bottom!.y + bottom!.height - top!.y + 16 },
  });
  await shot.close();
}
