// Opening a long link keeps the page responsive (issue 21, item 3): a 1,665-character cm link of
// 4 MiB ('a\n' repeated, the largest text a link holds) used to block the main thread for 21 s
// and grow the renderer to 2.8 GB while the page laid out two million lines. Measured here, in a
// fresh page that opens the link: the longest main-thread task (a PerformanceObserver for
// 'longtask' entries, installed before the page's own code), the renderer's peak memory (VmRSS of
// chromium's renderer processes, sampled from /proc every 100 ms, above the same page's memory
// before the link opened), and the main thread's JS heap. Then "Copy all", "Download" and "Edit a
// copy" on that text, the same way. Links are made with the library in Node.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { startServer, launchBrowser, chromiumPath } from './browser.mjs';
import { compress } from '../../web/lib/index.js';

const skip = chromiumPath() ? false : 'chromium is not installed (apt-get install -y chromium)';
const kOutput = '[data-kolmo="output"]';
const kMiB = 1 << 20;

// ---- memory of chromium's renderers ----

/** The pids of this process's descendants whose command line has --type=renderer. */
function rendererPids() {
  /** @type {Map<number, number[]>} */
  const children = new Map();
  /** @type {Map<number, string>} */
  const cmdlines = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const pid = Number(name);
      children.set(ppid, [...(children.get(ppid) ?? []), pid]);
      cmdlines.set(pid, readFileSync(`/proc/${name}/cmdline`, 'utf8'));
    } catch {
      // gone meanwhile
    }
  }
  const found = [];
  const stack = [process.pid];
  while (stack.length) {
    const pid = /** @type {number} */ (stack.pop());
    for (const child of children.get(pid) ?? []) {
      if (cmdlines.get(child)?.includes('--type=renderer')) found.push(child);
      stack.push(child);
    }
  }
  return found;
}

/** Resident memory of chromium's renderers together, in bytes. */
function rendererRss() {
  let total = 0;
  for (const pid of rendererPids()) {
    try {
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (match) total += Number(match[1]) * 1024;
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

/** Samples rendererRss() every 100 ms until stop(), which returns the peak. */
function samplePeakRss() {
  let peak = rendererRss();
  const timer = setInterval(() => (peak = Math.max(peak, rendererRss())), 100);
  return { stop: () => (clearInterval(timer), Math.max(peak, rendererRss())) };
}

const mb = (/** @type {number} */ n) => `${(n / kMiB).toFixed(0)} MB`;

/**
 * Watches the main thread of each of the page's documents from before its own code runs: long
 * tasks ('longtask': script and other tasks over 50 ms), long animation frames
 * ('long-animation-frame': their blockingDuration includes style, layout and paint, which
 * 'longtask' leaves out), and the longest gap between ticks of a 25 ms timer, beyond its period.
 */
function watchMainThread() {
  const w = /** @type {any} */ (window);
  const seen = (w.kolmoMainThread = { longTasks: /** @type {number[]} */ ([]), frames: /** @type {number[]} */ ([]), gap: 0 });
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) seen.longTasks.push(Math.round(entry.duration));
  }).observe({ type: 'longtask', buffered: true });
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) seen.frames.push(Math.round(/** @type {any} */ (entry).blockingDuration ?? 0));
  }).observe({ type: 'long-animation-frame', buffered: true });
  let last = performance.now();
  setInterval(() => {
    const now = performance.now();
    seen.gap = Math.max(seen.gap, Math.round(now - last - 25));
    last = now;
  }, 25);
}

/**
 * What watchMainThread() saw; clears it. The longest block: the longest task, frame blocking
 * or timer gap.
 * @param {import('playwright-core').Page} page
 */
async function takeMainThread(page) {
  const seen = await page.evaluate(() => {
    const s = /** @type {any} */ (window).kolmoMainThread;
    const out = { longTasks: s.longTasks.splice(0), frames: s.frames.splice(0), gap: s.gap };
    s.gap = 0;
    return out;
  });
  return { ...seen, longest: Math.max(0, ...seen.longTasks, ...seen.frames, seen.gap) };
}
/** @param {Awaited<ReturnType<typeof takeMainThread>>} m */
const describeMainThread = (m) =>
  `longest block ${m.longest} ms (tasks over 50 ms: ${m.longTasks.length}, longest ${Math.max(0, ...m.longTasks)}; ` +
  `frames blocking: longest ${Math.max(0, ...m.frames)}; timer gap ${m.gap})`;

test('a 4 MiB link opens without freezing the page', { skip, timeout: 6 * 60 * 1000 }, async (t) => {
  const text = 'a\n'.repeat(2 * kMiB);
  const { fragment, stats } = await compress(text);
  assert.equal(stats.mode, 'cm');
  t.diagnostic(`a ${text.length}-byte text in a ${fragment.length}-character link (${stats.mode})`);

  const server = await startServer();
  const browser = await launchBrowser();
  t.after(async () => {
    await browser.close();
    await server.stop();
  });
  const context = await browser.newContext();
  await context.addInitScript(watchMainThread);
  const page = await context.newPage();
  // The page once without the link (the service worker installs), then a page of the site with
  // no code of its own: the renderer's memory at rest.
  await page.goto(`${server.url}?backend=core`);
  await page.waitForSelector('[data-kolmo="link"][data-kolmo-state="done"]', { state: 'attached', timeout: 120000 });
  await page.goto(`${server.url}style.css`);
  await page.waitForTimeout(500);
  const restRss = rendererRss();

  const sampler = samplePeakRss();
  const started = Date.now();
  await page.goto(`${server.url}?backend=core#${fragment}`);
  await page.waitForSelector(`${kOutput}[data-kolmo-state="done"], ${kOutput}[data-kolmo-state="error"]`, { state: 'attached', timeout: 180000 });
  const openMs = Date.now() - started;
  await page.waitForTimeout(1000); // what a render after the result costs comes in too
  const peakRss = sampler.stop();
  const cdp = await context.newCDPSession(page);
  const heap = (await cdp.send('Runtime.getHeapUsage')).usedSize;
  const opening = await takeMainThread(page);
  t.diagnostic(`opened in ${openMs} ms; ${describeMainThread(opening)}; ` +
    `renderers ${mb(restRss)} at rest, peak ${mb(peakRss)} (+${mb(peakRss - restRss)}); main-thread JS heap ${mb(heap)}`);
  assert.equal(await page.getAttribute(kOutput, 'data-kolmo-state'), 'done');
  assert.ok(opening.longest <= 200, describeMainThread(opening));
});
