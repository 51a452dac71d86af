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
import { readFileSync } from 'node:fs';
import { startServer, launchBrowser, chromiumPath, rendererPids } from './browser.mjs';
import { compress } from '../../web/lib/index.js';

const skip = chromiumPath() ? false : 'chromium is not installed (apt-get install -y chromium)';
const kOutput = '[data-kolmo="output"]';
const kMiB = 1 << 20;

// ---- memory of chromium's renderers ----

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
 * What watchMainThread() saw; clears it. The longest block: the longest task or frame blocking
 * (the page's own work). The timer gap is reported beside it: it also counts the time the
 * renderer waits for a CPU, which on a loaded test machine is not the page's doing.
 * @param {import('playwright-core').Page} page
 */
async function takeMainThread(page) {
  const seen = await page.evaluate(() => {
    const s = /** @type {any} */ (window).kolmoMainThread;
    const out = { longTasks: s.longTasks.splice(0), frames: s.frames.splice(0), gap: s.gap };
    s.gap = 0;
    return out;
  });
  return { ...seen, longest: Math.max(0, ...seen.longTasks, ...seen.frames) };
}
/** @param {Awaited<ReturnType<typeof takeMainThread>>} m */
const describeMainThread = (m) =>
  `longest block ${m.longest} ms (tasks over 50 ms: ${m.longTasks.length}, longest ${Math.max(0, ...m.longTasks)}; ` +
  `frames blocking: longest ${Math.max(0, ...m.frames)}); longest timer gap ${m.gap} ms`;

/**
 * The renderers' peak memory above their memory at rest while `run` runs (and a second after).
 * @template T @param {() => Promise<T>} run @returns {Promise<{result: T, rest: number, peak: number}>}
 */
async function peakRssOf(run) {
  const rest = rendererRss();
  const sampler = samplePeakRss();
  const result = await run();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  return { result, rest, peak: sampler.stop() };
}

test('a 4 MiB link opens without freezing the page; Copy text, Download; the editor keeps its link', { skip, timeout: 6 * 60 * 1000 }, async (t) => {
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
  const context = await browser.newContext({ acceptDownloads: true });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(server.url).origin });
  await context.addInitScript(watchMainThread);
  const page = await context.newPage();
  // The page once without the link (the service worker installs), then a page of the site with
  // no code of its own.
  await page.goto(`${server.url}?backend=core`);
  await page.waitForSelector('[data-kolmo="link"][data-kolmo-state="done"]', { state: 'attached', timeout: 120000 });
  await page.goto(`${server.url}style.css`);
  await page.waitForTimeout(500);

  // The control: the library alone decodes the link there (its worker, the bytes handed over), and
  // lets them go: what the page adds on top of that is the page's own.
  const library = await peakRssOf(() => page.evaluate(async ([lib, link]) => {
    const { Kolmo } = await import(lib);
    const kolmo = new Kolmo({ backends: ['core'] });
    const bytes = await kolmo.decompress(link, { output: 'bytes' });
    return bytes.length;
  }, [`${server.url}lib/index.js`, `#${fragment}`]));
  assert.equal(library.result, text.length);
  // The page at rest (its editor's worker has loaded the model), then the link as one opens from
  // another app or the address bar into an open page.
  await page.goto(`${server.url}?backend=core`);
  await page.waitForSelector('[data-kolmo="link"][data-kolmo-state="done"]', { state: 'attached', timeout: 120000 });
  await page.waitForTimeout(1000);
  await takeMainThread(page);

  const opened = await peakRssOf(async () => {
    const started = Date.now();
    await page.evaluate((hash) => {
      // What the page says before and while it decodes.
      const plan = /** @type {HTMLElement} */ (document.querySelector('[data-kolmo="open-plan"]'));
      new MutationObserver(() => {
        if (plan.textContent) /** @type {any} */ (window).kolmoPlan = plan.textContent;
      }).observe(plan, { childList: true, characterData: true, subtree: true });
      location.hash = hash;
    }, fragment);
    await page.waitForSelector(`${kOutput}[data-kolmo-state="done"], ${kOutput}[data-kolmo-state="error"]`, { state: 'attached', timeout: 180000 });
    return Date.now() - started;
  });
  const cdp = await context.newCDPSession(page);
  const heap = (await cdp.send('Runtime.getHeapUsage')).usedSize;
  const opening = await takeMainThread(page);
  const pageGrowth = (opened.peak - opened.rest) - (library.peak - library.rest);
  t.diagnostic(`opened in ${opened.result} ms; ${describeMainThread(opening)}`);
  t.diagnostic(`renderers: +${mb(opened.peak - opened.rest)} at the peak (the library alone: +${mb(library.peak - library.rest)}; ` +
    `the page's own: ${mb(pageGrowth)}, ${(pageGrowth / text.length).toFixed(1)}x the text); main-thread JS heap ${mb(heap)}`);
  assert.equal(await page.getAttribute(kOutput, 'data-kolmo-state'), 'done');
  // What the link declares (a model-free link's length code), before the decoding is done.
  assert.match(await page.evaluate(() => /** @type {any} */ (window).kolmoPlan ?? ''), /^This link holds [\d.]+ MB of text, coded without the model: it decodes at about 1 MB a second, about [\d.]+ s\./);
  assert.ok(opening.longest <= 200, describeMainThread(opening));
  assert.ok(pageGrowth <= 4 * text.length, `the page grew by ${mb(pageGrowth)} over the library's own memory`);

  // The view shows the start; the note says so; the whole is behind Copy text and Download.
  const shownChars = Number(await page.getAttribute(kOutput, 'data-kolmo-shown-chars'));
  assert.equal(Number(await page.getAttribute(kOutput, 'data-kolmo-chars')), text.length);
  assert.equal((await page.textContent(kOutput))?.length, shownChars);
  assert.ok(shownChars > 0 && shownChars < text.length);
  assert.equal(await page.textContent(kOutput), text.slice(0, shownChars));
  assert.match(await page.textContent('[data-kolmo="view-note"]') ?? '', /Showing the start: .* of 4\.0 MB \(4,000 of 2,097,152 lines\)/);
  assert.equal(await page.isDisabled('[data-kolmo="edit"]'), true, 'Edit a copy of a text the editor cannot lay out quickly');

  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-kolmo="download-text"]')]);
  const path = await download.path();
  assert.ok(path);
  assert.ok(readFileSync(path, 'utf8') === text, 'the download is not the text');
  await page.click('[data-kolmo="copy-text"]');
  await page.waitForFunction(() => document.querySelector('[data-kolmo="copy-text"]')?.textContent !== 'Copy text', null, { timeout: 30000 });
  assert.equal(await page.textContent('[data-kolmo="copy-text"]'), 'Copied');
  const afterActions = await takeMainThread(page);
  t.diagnostic(`Download and Copy text: ${describeMainThread(afterActions)}`);
  assert.ok(afterActions.longest <= 200, describeMainThread(afterActions));
  assert.ok(await page.evaluate((length) => navigator.clipboard.readText().then((copied) => copied.length === length && copied.replaceAll('a\n', '') === ''), text.length),
    'the clipboard does not hold the text');

  // Opening a link while the editor compresses: the editor's compress goes on and ends with its link.
  const note = 'Opening a link must not cancel this: the editor keeps its own link, made in its own worker.';
  const small = await compress('a small link');
  // The link opens the moment the editor's compress starts.
  await page.evaluate((hash) => {
    const field = /** @type {HTMLElement} */ (document.querySelector('[data-kolmo="link"]'));
    const observer = new MutationObserver(() => {
      if (field.dataset.kolmoState !== 'working') return;
      observer.disconnect();
      location.hash = hash;
      /** @type {any} */ (window).openedWhileWorking = true;
    });
    observer.observe(field, { attributes: true, attributeFilter: ['data-kolmo-state'] });
  }, small.fragment);
  await page.fill('[data-kolmo="input"]', note);
  await page.waitForFunction(() => /** @type {any} */ (window).openedWhileWorking === true, null, { timeout: 60000 });
  await page.waitForSelector('[data-kolmo="link"][data-kolmo-state="done"], [data-kolmo="link"][data-kolmo-state="idle"], [data-kolmo="link"][data-kolmo-state="error"]',
    { state: 'attached', timeout: 120000 });
  assert.equal(await page.getAttribute('[data-kolmo="link"]', 'data-kolmo-state'), 'done', await page.textContent('[data-kolmo="message"]') ?? '');
  const editorLink = await page.inputValue('[data-kolmo="link"]');
  await page.waitForSelector(`${kOutput}[data-kolmo-state="done"]`, { state: 'attached', timeout: 120000 });
  assert.equal(await page.textContent(kOutput), 'a small link');
  assert.equal(await page.inputValue('[data-kolmo="input"]'), note);
  assert.equal(await (await import('../../web/lib/index.js')).decompress(editorLink.split('#')[1]), note, 'the editor\'s link is not its text');
});
