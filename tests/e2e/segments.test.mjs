// Segmented links in the page (issue 24): a long text's link holds independent segments, which
// the engine's worker spreads over helper workers that it starts itself (nested Web Workers,
// web/lib/worker/segments.js). Links are made with the library in Node, with a small segment
// rule so that eval texts of a few KB make many segments in seconds (any rule makes links that
// every decoder opens). In one page, in turn:
//   - a 6 KB link opens: the text shown is the original, it appears in text order while
//     decoding, the progress covers the whole link, and a helper worker decoded some of the
//     segments and the engine's worker the rest (each worker's 'segment' replies are counted by
//     a wrapper of its postMessage, installed when playwright reports the worker);
//   - a 29 KB link (35 segments) cancelled midway: the page answers at once, shows no text as if
//     it were complete, every worker of the opening (nested helpers too) ends and the renderer's
//     CPU falls to idle, the editor's worker stays, and the next link opens;
//   - with ?ask-after=0 (the page's hook that lowers the threshold above which it asks before
//     opening a long link) the 6 KB link is not decoded until asked: the question says what the
//     link holds, Cancel leaves nothing decoded, Open decodes it.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, launchBrowser, chromiumPath, rendererPids, waitForOutput, collectPageErrors, repoRoot, screenshotPath } from './browser.mjs';
import { Kolmo } from '../../web/lib/index.js';
import { loadCodec } from '../../web/lib/worker/codec.js';

const skip = chromiumPath() ? false : 'chromium is not installed (apt-get install -y chromium)';
const kRule = { segmentTokens: 256, aboveTokens: 512 };
const kOutput = '[data-kolmo="output"]';
const kProse = join(repoRoot, 'tests/data/eval/en-prose');

// ---- the links ----

/** The number of segments of a segmented link (its index, docs/FORMAT.md §5.7). @param {Uint8Array} container */
async function segmentCount(container) {
  const job = (await loadCodec()).createLinkDecodeJob(container, {});
  try {
    assert.equal(job.view.segmented, true);
    return job.view.segments;
  } finally {
    job.dispose();
  }
}

// ---- workers ----

/**
 * Runs in a worker (playwright's worker.evaluate): counts the 'segment' replies it sends. A helper
 * answers each segment its engine's worker gives it with one (shared/messages.js); the wrapper is
 * in place long before the first, which comes after the helper has loaded the model.
 */
function countSegmentReplies() {
  const scope = /** @type {any} */ (globalThis);
  scope.kolmoSegmentReplies = 0;
  const post = scope.postMessage.bind(scope);
  scope.postMessage = (/** @type {any} */ message, /** @type {any} */ transfer) => {
    if (message?.type === 'segment' && message.out) scope.kolmoSegmentReplies++;
    return post(message, transfer);
  };
}

/**
 * Every worker the page starts, nested ones included (playwright reports those too), in order of
 * start, with whether it has ended.
 * @param {import('playwright-core').Page} page
 */
function watchWorkers(page) {
  /** @type {{worker: import('playwright-core').Worker, closed: boolean}[]} */
  const seen = [];
  page.on('worker', (worker) => {
    const entry = { worker, closed: false };
    seen.push(entry);
    worker.on('close', () => (entry.closed = true));
    worker.evaluate(countSegmentReplies).catch(() => {}); // a worker may end at once
  });
  return {
    /** Workers started so far. */
    count: () => seen.length,
    /** Workers started from the index `from` on. @param {number} from */
    since: (from) => seen.slice(from),
    /** Workers still running. */
    live: () => seen.filter((entry) => !entry.closed),
    /** The 'segment' replies of each of these workers (0 for one that has ended). @param {typeof seen} entries */
    segmentReplies: (entries) => Promise.all(entries.map((entry) =>
      entry.closed ? 0 : entry.worker.evaluate(() => /** @type {any} */ (globalThis).kolmoSegmentReplies ?? 0).catch(() => 0))),
  };
}

// ---- the renderer's CPU ----

/** CPU seconds (user + system) that chromium's renderers have used, all threads. */
function rendererCpuSeconds() {
  let ticks = 0;
  for (const pid of rendererPids()) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
    } catch {
      // gone meanwhile
    }
  }
  return ticks / 100; // USER_HZ: 100 on Linux
}

/** The renderers' CPU use over `ms`, in cores (1 = one core busy throughout). @param {number} ms */
async function rendererLoad(ms) {
  const before = rendererCpuSeconds();
  await new Promise((resolve) => setTimeout(resolve, ms));
  return (rendererCpuSeconds() - before) / (ms / 1000);
}

// ---- what the page shows while it opens a link ----

/**
 * Runs in the page: records what the opened link's card shows from now on — the longest text
 * shown while decoding that is a proper start of `original` (partial: the text came before the
 * end), texts shown that are not its start (notPrefix), every share of the link the opening's
 * note gives, and the output's states. Read with kolmoSeen().
 * @param {string} original
 */
function recordOpening(original) {
  const output = /** @type {HTMLElement} */ (document.querySelector('[data-kolmo="output"]'));
  const note = /** @type {HTMLElement} */ (document.querySelector('[data-kolmo="open-note"]'));
  const seen = { partial: 0, notPrefix: 0, shares: /** @type {number[]} */ ([]), states: /** @type {string[]} */ ([]) };
  /** @type {any} */ (window).kolmoSeen = seen;
  new MutationObserver(() => {
    const state = output.dataset.kolmoState ?? '';
    if (seen.states.at(-1) !== state) seen.states.push(state);
    const share = /(\d+)% of the link/.exec(note.textContent ?? '');
    if (share) seen.shares.push(Number(share[1]));
    if (state !== 'decoding') return;
    const shown = output.textContent ?? '';
    if (shown === '') return;
    if (!original.startsWith(shown)) seen.notPrefix++;
    else if (shown.length < original.length) seen.partial = Math.max(seen.partial, shown.length);
  }).observe(document.querySelector('[data-kolmo="decoded"]') ?? document.body, {
    subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['data-kolmo-state'],
  });
}

/** @param {import('playwright-core').Page} page @returns {Promise<{partial: number, notPrefix: number, shares: number[], states: string[]}>} */
const kolmoSeen = (page) => page.evaluate(() => /** @type {any} */ (window).kolmoSeen);

/** Opens a link in the open page as one opens from the address bar. @param {import('playwright-core').Page} page @param {string} fragment */
const openInPage = (page, fragment) => page.evaluate((hash) => void (location.hash = hash), fragment);

/** Whether two lists hold the same workers. @param {{closed: boolean}[]} a @param {{closed: boolean}[]} b */
const sameWorkers = (a, b) => a.length === b.length && a.every((entry, i) => entry === b[i]);

/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `check` holds, polling every 100 ms, at most `ms`. @param {() => boolean} check @param {number} ms @param {string} what */
async function waitUntil(check, ms, what) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(100);
  }
}

test('segmented links in the page: helper workers, text in order, Cancel, the question before a long opening', { skip, timeout: 10 * 60 * 1000 }, async (t) => {
  const maker = new Kolmo({ workers: 2, segmentRule: kRule });
  const short = readFileSync(join(kProse, '009.txt'), 'utf8');
  const long = readdirSync(kProse).sort().map((name) => readFileSync(join(kProse, name), 'utf8')).join('\n');
  let started = Date.now();
  const shortLink = await maker.compress(short);
  const longLink = await maker.compress(long);
  maker.dispose();
  for (const made of [shortLink, longLink]) assert.equal(made.bytes[0], 0xc3, 'version 6, kind 3: segmented');
  const longKB = Math.round(new TextEncoder().encode(long).length / 1024); // as the page writes it (over 10 KB)
  const shortSegments = await segmentCount(shortLink.bytes);
  const longSegments = await segmentCount(longLink.bytes);
  t.diagnostic(`links made in ${Date.now() - started} ms: ${new TextEncoder().encode(short).length} B in ${shortSegments} segments ` +
    `(${shortLink.stats.tokens} tokens), ${new TextEncoder().encode(long).length} B in ${longSegments} segments (${longLink.stats.tokens} tokens)`);

  const server = await startServer();
  const browser = await launchBrowser();
  t.after(async () => {
    await browser.close();
    await server.stop();
  });
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  const workers = watchWorkers(page);
  // The page at rest: the service worker installed, the editor's worker has loaded the model.
  await page.goto(`${server.url}?backend=core`);
  await page.waitForSelector('[data-kolmo="link"][data-kolmo-state="done"]', { state: 'attached', timeout: 120000 });
  const threads = await page.evaluate(() => Math.min(4, navigator.hardwareConcurrency || 1));
  if (threads < 2) t.diagnostic(`this browser reports ${threads} core: the opener decodes with one thread, no helpers`);
  const editorWorkers = workers.live();
  assert.equal(editorWorkers.length, 1, "the editor's worker");

  await t.test('a 6 KB link: the original text, in order, decoded by more than one worker', async (st) => {
    const before = workers.count();
    await page.evaluate(recordOpening, short);
    started = Date.now();
    await openInPage(page, shortLink.fragment);
    const out = await waitForOutput(page);
    st.diagnostic(`opened in ${Date.now() - started} ms`);
    assert.equal(out.state, 'done', out.text);
    assert.ok(out.text === short, `the page shows a different text (${out.text.length} vs ${short.length} chars)`);
    const seen = await kolmoSeen(page);
    assert.ok(!seen.states.includes('asking'), 'a short link opens without a question');
    assert.equal(seen.notPrefix, 0, 'text shown while decoding that is not the start of the text');
    // The progress covers the whole link: the share only grows, and went through the middle.
    assert.deepEqual(seen.shares, [...seen.shares].sort((a, b) => a - b), `shares of the link: ${seen.shares}`);
    assert.ok(seen.shares.some((share) => share > 0 && share < 100), `shares of the link: ${seen.shares}`);

    const opening = workers.since(before);
    const replies = await workers.segmentReplies(opening);
    st.diagnostic(`${opening.length} workers started for the opening; 'segment' replies each: ${replies.join(', ')} of ${shortSegments} segments`);
    const byHelpers = replies.reduce((a, b) => a + b, 0);
    if (threads >= 2) {
      assert.ok(opening.length >= 2, "the opener's worker and a helper");
      assert.ok(byHelpers >= 1, 'no helper decoded a segment');
      assert.ok(byHelpers < shortSegments, "the opener's own worker decoded none");
    }
    await st.test('the text appears in order as segments finish, and helpers take segment after segment', () => {
      // A quarter: more than the first token (shown at once), less than what 8 segments decoded in
      // order show before the last one.
      assert.ok(seen.partial >= short.length / 4, `the text appears as segments finish (longest start shown before the whole: ${seen.partial} of ${short.length} chars)`);
      if (threads >= 2) assert.ok(byHelpers >= 2, `helpers decoded ${byHelpers} of ${shortSegments} segments`);
    });
  });

  await t.test('a 29 KB link cancelled midway: the page at once, no text as if complete, every worker gone, the next link opens', async (st) => {
    await page.evaluate(recordOpening, long);
    await openInPage(page, longLink.fragment);
    await page.waitForFunction(() => Math.max(0, .../** @type {any} */ (window).kolmoSeen.shares) >= 20, null, { timeout: 120000, polling: 100 });
    const busy = await rendererLoad(500); // short: on a fast machine the whole link takes a few seconds
    const opening = workers.live().filter((entry) => !editorWorkers.includes(entry));
    assert.equal(await page.getAttribute(kOutput, 'data-kolmo-state'), 'decoding');
    // The plan line says what the link declares: its exact length, and the threads that share it.
    assert.match(await page.textContent('[data-kolmo="open-plan"]') ?? '', threads >= 2
      ? new RegExp(`^This link holds ${longKB} KB of text coded with the model, in segments that ${threads} threads decode side by side: about [\\d.]+ s`)
      : new RegExp(`^This link holds ${longKB} KB of text coded with the model, in segments decoded one after another: about [\\d.]+ s`));
    const shownBefore = (await page.textContent(kOutput))?.length ?? 0;

    started = Date.now();
    await page.click('[data-kolmo="open-cancel"]');
    await page.waitForSelector(`${kOutput}:not([data-kolmo-state="decoding"])`, { state: 'attached', timeout: 10000 });
    const answered = Date.now() - started;
    const pageRoundTrip = Date.now();
    await page.evaluate(() => 0);
    st.diagnostic(`cancelled at ${Math.max(...(await kolmoSeen(page)).shares)}% of the link (${shownBefore} chars shown), ` +
      `answered in ${answered} ms, page round trip ${Date.now() - pageRoundTrip} ms; renderers while decoding: ${busy.toFixed(2)} cores`);
    assert.ok(answered < 2000, `Cancel answered after ${answered} ms`);
    assert.equal(await page.getAttribute(kOutput, 'data-kolmo-state'), 'error');
    assert.equal(await page.textContent(kOutput), 'Cancelled.');
    assert.equal(await page.textContent('[data-kolmo="verified"]'), 'could not open');
    assert.equal(await page.isHidden('[data-kolmo="copy-text"]'), true, 'Copy text of a cancelled opening');
    assert.equal(await page.isHidden('[data-kolmo="open-row"]'), true);

    // Every worker of the opening ends (the engine's and its nested helpers); the editor's stays.
    assert.ok(opening.length >= (threads >= 2 ? 2 : 1), `workers of the opening: ${opening.length}`);
    await waitUntil(() => opening.every((entry) => entry.closed), 10000, 'the workers of the opening to end');
    assert.ok(sameWorkers(workers.live(), editorWorkers), "only the editor's worker runs");
    await sleep(500);
    const idle = await rendererLoad(1500);
    st.diagnostic(`renderers after Cancel: ${idle.toFixed(2)} cores`);
    assert.ok(idle < 0.25, `the renderers still use ${idle.toFixed(2)} cores after Cancel`);

    // The next link opens, in workers of its own.
    await page.evaluate(recordOpening, short);
    await openInPage(page, shortLink.fragment);
    const out = await waitForOutput(page);
    assert.equal(out.state, 'done', out.text);
    assert.ok(out.text === short, 'the link after the cancelled one shows a different text');
  });

  await t.test('?ask-after=0: the question before any decoding; Cancel leaves nothing decoded, Open decodes', async () => {
    await page.goto(`${server.url}?backend=core&ask-after=0`);
    await page.waitForSelector('[data-kolmo="link"][data-kolmo-state="done"]', { state: 'attached', timeout: 120000 });
    const editor = workers.live();
    assert.equal(editor.length, 1, "the editor's worker");
    const before = workers.count();
    await page.evaluate(recordOpening, short);
    await openInPage(page, shortLink.fragment);
    await page.waitForSelector(`${kOutput}[data-kolmo-state="asking"]`, { state: 'attached', timeout: 60000 });
    const bytes = new TextEncoder().encode(short).length;
    assert.match(await page.textContent('[data-kolmo="open-ask-text"]') ?? '',
      new RegExp(`^This link holds ${(bytes / 1024).toFixed(1).replace('.', '\\.')} KB of text \\(about \\d+ seconds? to open on this device\\)\\. Open it\\?$`));
    assert.equal(await page.isVisible('[data-kolmo="open-accept"]'), true);
    assert.equal(await page.isVisible('[data-kolmo="open-decline"]'), true);
    await page.screenshot({ path: screenshotPath('segments_ask.png') });
    // Nothing decoded: no text, no share of the link read; the opener's worker, stopped at what the
    // link declares, has ended and started no helper.
    await waitUntil(() => workers.since(before).every((entry) => entry.closed), 10000, 'the stopped opening\'s worker to end');
    assert.ok(workers.since(before).length <= 1, `workers started before the question: ${workers.since(before).length}`);
    let seen = await kolmoSeen(page);
    assert.equal(seen.partial, 0);
    assert.deepEqual(seen.shares, []);
    assert.equal(await page.textContent(kOutput), '');
    assert.deepEqual(seen.states, ['decoding', 'asking']);

    await page.click('[data-kolmo="open-decline"]');
    assert.equal(await page.getAttribute(kOutput, 'data-kolmo-state'), 'declined');
    assert.match(await page.textContent('[data-kolmo="open-ask-text"]') ?? '', /^Not opened\. This link holds .* to open on this device\)\.$/);
    assert.equal(await page.isHidden('[data-kolmo="open-decline"]'), true);
    assert.equal(await page.textContent(kOutput), '');
    assert.equal(await page.textContent('[data-kolmo="verified"]'), 'not opened');
    await page.screenshot({ path: screenshotPath('segments_declined.png') });
    assert.ok(sameWorkers(workers.live(), editor), "only the editor's worker runs");

    await page.click('[data-kolmo="open-accept"]');
    const out = await waitForOutput(page);
    assert.equal(out.state, 'done', out.text);
    assert.ok(out.text === short, 'Open shows a different text');
    assert.equal(await page.isHidden('[data-kolmo="open-ask"]'), true);
    seen = await kolmoSeen(page);
    assert.equal(seen.notPrefix, 0);
  });

  assert.deepEqual(errors, []);
});
