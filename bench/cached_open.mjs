// The time from navigation to a decoded ~100-byte link with the model cached and the service
// worker installed (issue 20's target: <= 300 ms), step by step on the page's own clock (the
// kolmo:* performance marks of web/app/timing.js), medians over repeated opens. A bench, not a
// test: figures depend on the machine and its load (the load average is printed with them).
//
//   node bench/cached_open.mjs [--runs N] [--tab] [--site DIR ...] [--json FILE]
//
// Debian's chromium, headless, the site served at a sub-path (tests/e2e/browser.mjs): the site
// built from this tree, or each --site (a built site folder, e.g. one built from another commit
// with `node scripts/site.mjs --out DIR`: sites are compared in the same run, their opens
// interleaved). Per site, a first visit opens the link (model downloaded and cached, service
// worker installed) and lasts 3 s; then the same link is opened N times (default 9): by
// navigating the same tab to it afresh (?n=i#fragment), or with --tab in a new tab each time (a
// link opened from another app). Each open's marks, and the harness's wall clock from
// page.goto() to the done state (which adds playwright's polling). A site without the marks
// (built before them) has the wall clock only.
import { loadavg } from 'node:os';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Kolmo } from '../web/lib/index.js';
import { chromiumPath, launchBrowser, startServer } from '../tests/e2e/browser.mjs';
import { median, openTimed } from './page_speed.mjs';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '9' }, tab: { type: 'boolean', default: false },
    site: { type: 'string', multiple: true, default: [] }, json: { type: 'string' },
  },
});
const runs = Number(args.runs);
if (!chromiumPath()) throw new Error('chromium not found: apt-get install -y chromium (scripts/setup.sh)');

const short = 'Meet me at 8 by the old mill. Bring the map, the blue notebook and two sandwiches, please!';
const { fragment } = await new Kolmo({ cache: false }).compress(short);

const browser = await launchBrowser();
const loadBefore = loadavg();
/** @type {Array<{name: string, server: any, context: import('playwright-core').BrowserContext, page: import('playwright-core').Page, results: Array<Record<string, number>>}>} */
const sites = [];
try {
  for (const folder of args.site.length ? args.site : [null]) {
    if (folder) process.env.KOLMO_SITE = folder;
    else delete process.env.KOLMO_SITE;
    const server = await startServer();
    const context = await browser.newContext();
    const page = await context.newPage();
    sites.push({ name: folder ?? 'this tree', server, context, page, results: [] });
    await openTimed(page, `${server.url}#${fragment}`, short, { timeout: 120000 });
    // The service worker's install, the model's cache entry, and the browser's cache of the
    // .wasm's compiled code, which V8 writes 2 s after its last tier-up
    // (--wasm-caching-timeout-ms): what any visit of a few seconds leaves behind.
    await page.waitForTimeout(3000);
  }
  for (let i = 0; i < runs; i++) {
    for (const site of sites) {
      if (args.tab) {
        await site.page.close();
        site.page = await site.context.newPage();
      }
      const { page, server } = site;
      const { wall, marks, navigation, controlled } = await openTimed(page, `${server.url}?n=${i}#${fragment}`, short);
      if (!controlled) throw new Error(`${site.name}: the page is not controlled by the service worker`);
      site.results.push({ 'page received': navigation, ...marks, 'harness wall clock': wall });
      await page.waitForTimeout(300);
    }
  }
} finally {
  for (const site of sites) {
    await site.context.close();
    await site.server.stop();
  }
  await browser.close();
}

const steps = [...new Set(sites.flatMap((site) => site.results.flatMap((r) => Object.keys(r))))];
const loadAfter = loadavg();
console.log(`\nA ${short.length}-byte text in a ${fragment.length}-character link, model cached, service worker installed; ` +
  `${runs} opens per site${args.tab ? ', each in a new tab' : ''}, ms after navigation start, median (min-max) ` +
  `(load average ${loadBefore[0].toFixed(2)} before, ${loadAfter[0].toFixed(2)} after)\n`);
console.log(`| step | ${sites.map((site) => site.name).join(' | ')} |`);
console.log(`|---|${sites.map(() => '---|').join('')}`);
for (const step of steps) {
  const cells = sites.map((site) => {
    const values = site.results.map((r) => r[step]).filter((v) => Number.isFinite(v));
    return values.length ? `${median(values).toFixed(0)} (${Math.min(...values).toFixed(0)}-${Math.max(...values).toFixed(0)})` : '–';
  });
  console.log(`| ${step} | ${cells.join(' | ')} |`);
}
if (args.json) {
  const out = { date: new Date().toISOString(), tab: args.tab, loadBefore, loadAfter, sites: sites.map(({ name, results }) => ({ name, results })) };
  writeFileSync(args.json, JSON.stringify(out, null, 1) + '\n');
}
