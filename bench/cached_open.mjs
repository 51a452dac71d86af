// The time from navigation to a decoded ~100-byte link with the model cached and the service
// worker installed (issue 20's target: <= 300 ms), step by step on the page's own clock (the
// kolmo:* performance marks of web/app/timing.js), medians over repeated opens. A bench, not a
// test: figures depend on the machine and its load (the load average is printed with them).
//
//   node bench/cached_open.mjs [--runs N] [--json FILE]     (KOLMO_SITE=dist: serve a built site)
//
// Debian's chromium, headless, the built site served at a sub-path (tests/e2e/browser.mjs). A
// first visit opens the link (model downloaded and cached, service worker installed), then the
// same link is opened N times (default 9) by navigating to it afresh (?n=i#fragment): each run's
// marks, and the wall clock of the harness from page.goto() to the done state (which adds
// playwright's polling).
import { loadavg } from 'node:os';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Kolmo } from '../web/lib/index.js';
import { chromiumPath, launchBrowser, startServer } from '../tests/e2e/browser.mjs';

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '9' }, json: { type: 'string' } } });
const runs = Number(args.runs);
if (!chromiumPath()) throw new Error('chromium not found: apt-get install -y chromium (scripts/setup.sh)');

const short = 'Meet me at 8 by the old mill. Bring the map, the blue notebook and two sandwiches, please!';
const { fragment } = await new Kolmo({ cache: false }).compress(short);
const median = (/** @type {number[]} */ xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const server = await startServer();
const browser = await launchBrowser();
const loadBefore = loadavg();
/** @type {Array<Record<string, number>>} */
const results = [];
try {
  const context = await browser.newContext();
  const page = await context.newPage();
  const done = '[data-kolmo="output"][data-kolmo-state="done"]';
  await page.goto(`${server.url}#${fragment}`);
  await page.waitForSelector(done, { timeout: 120000, state: 'attached' });
  // The service worker's install, the model's cache entry, and the browser's cache of the .wasm's
  // compiled code, which V8 writes 2 s after its last tier-up (--wasm-caching-timeout-ms): what
  // any visit of a few seconds leaves behind.
  await page.waitForTimeout(3000);
  for (let i = 0; i < runs; i++) {
    const start = Date.now();
    await page.goto(`${server.url}?n=${i}#${fragment}`);
    await page.waitForSelector(done, { timeout: 60000, state: 'attached' });
    const wall = Date.now() - start;
    const text = await page.$eval('[data-kolmo="output"]', (el) => el.textContent);
    if (text !== short) throw new Error(`run ${i} decoded another text: ${text}`);
    const { marks, navigation, controlled } = await page.evaluate(() => ({
      marks: performance.getEntriesByType('mark').filter((m) => m.name.startsWith('kolmo:')).map((m) => [m.name.slice(6), m.startTime]),
      navigation: /** @type {PerformanceNavigationTiming} */ (performance.getEntriesByType('navigation')[0])?.responseEnd ?? NaN,
      controlled: Boolean(navigator.serviceWorker?.controller),
    }));
    if (!controlled) throw new Error('the page is not controlled by the service worker');
    results.push({ 'page received': navigation, ...Object.fromEntries(marks), 'harness wall clock': wall });
    await page.waitForTimeout(300);
  }
  await context.close();
} finally {
  await browser.close();
  await server.stop();
}

const steps = [...new Set(results.flatMap((r) => Object.keys(r)))];
const loadAfter = loadavg();
console.log(`\nA ${short.length}-byte text in a ${fragment.length}-character link, model cached, service worker installed; ` +
  `${runs} opens, ms after navigation start (load average ${loadBefore[0].toFixed(2)} before, ${loadAfter[0].toFixed(2)} after)\n`);
console.log('| step | median | min | max |');
console.log('|---|---|---|---|');
for (const step of steps) {
  const values = results.map((r) => r[step]).filter((v) => Number.isFinite(v));
  console.log(`| ${step} | ${median(values).toFixed(0)} | ${Math.min(...values).toFixed(0)} | ${Math.max(...values).toFixed(0)} |`);
}
if (args.json) writeFileSync(args.json, JSON.stringify({ date: new Date().toISOString(), loadBefore, loadAfter, results }, null, 1) + '\n');
