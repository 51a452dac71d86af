// Opening a link with the model cached, on the built site (scripts/site.mjs): the page and the
// library's worker load as one script each (the bundles), no ONNX Runtime file and none of the
// worker's unbundled modules is requested, the page's timing marks come in order (and ?timing
// shows them); a cached model damaged in place (same size: only its sha256 tells) is downloaded
// again and the link opens; a model damaged on the server as well is refused — the page shows
// the integrity error, and at no moment any of the link's text.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, launchBrowser, chromiumPath, waitForOutput } from './browser.mjs';
import { Kolmo } from '../../web/lib/index.js';

const skip = chromiumPath() ? false : 'chromium is not installed (apt-get install -y chromium)';
const text = 'Meet me at 8 by the old mill. Bring the map, the blue notebook and two sandwiches, please!';

/** Flips a byte in the middle of the cached model.onnx (Cache Storage, model_store.js). @param {import('playwright-core').Page} page */
async function damageCachedModel(page) {
  return page.evaluate(async () => {
    const cache = await caches.open('kolmo-models-1');
    const key = (await cache.keys()).find((request) => request.url.endsWith('/model.onnx'));
    if (!key) return false;
    const bytes = new Uint8Array(await (/** @type {Response} */ (await cache.match(key))).arrayBuffer());
    bytes[bytes.length >> 1] ^= 0x5a;
    await cache.put(key, new Response(bytes));
    return true;
  });
}

test('a cached link opens from the bundles; a damaged model is fetched again or refused, never shown', { skip, timeout: 5 * 60 * 1000 }, async (t) => {
  const { fragment } = await new Kolmo({ cache: false }).compress(text);
  const server = await startServer();
  const browser = await launchBrowser();
  t.after(async () => {
    await browser.close();
    await server.stop();
  });
  const context = await browser.newContext();
  /** @type {string[]} */
  const requests = [];
  context.on('request', (request) => requests.push(new URL(request.url()).pathname));
  // Every text the output shows, unverified tokens included (from before the page's own code).
  await context.addInitScript(() => {
    const seen = /** @type {string[]} */ ((/** @type {any} */ (window).kolmoShown = []));
    document.addEventListener('DOMContentLoaded', () => {
      const output = document.querySelector('[data-kolmo="output"]');
      if (output) new MutationObserver(() => seen.push(output.textContent ?? '')).observe(output, { childList: true, characterData: true, subtree: true });
    });
  });
  const page = await context.newPage();
  const open = async (/** @type {string} */ query) => {
    requests.length = 0;
    await page.goto(`${server.url}${query}#${fragment}`);
    return waitForOutput(page, 120000);
  };

  await t.test('the first visit opens the link and installs the service worker', async () => {
    const out = await open('');
    assert.equal(out.state, 'done', out.text);
    assert.equal(out.text, text);
    await page.evaluate(() => navigator.serviceWorker.ready);
  });

  await t.test('with the model cached: one script for the page, one for the worker, timing marks in order', async () => {
    const out = await open('?timing');
    assert.equal(out.state, 'done', out.text);
    assert.equal(out.text, text);
    assert.ok(await page.evaluate(() => navigator.serviceWorker.controller !== null), 'no service worker controls the page');
    const scripts = requests.filter((path) => /\.m?js$/.test(path)).map((path) => path.replace(/^.*?\/kolmo\//, ''));
    assert.ok(scripts.includes('app.js') && scripts.includes('lib/worker/worker.js'), `scripts: ${scripts}`);
    assert.deepEqual(scripts.filter((path) => path !== 'app.js' && path !== 'lib/worker/worker.js'), [],
      'the page or its worker loaded modules besides the two bundles');
    assert.deepEqual(requests.filter((path) => /\/ort\//.test(path)), [], 'ONNX Runtime files were requested');
    const marks = await page.evaluate(() => performance.getEntriesByType('mark').filter((m) => m.name.startsWith('kolmo:')).map((m) => m.name.slice(6)));
    assert.deepEqual(marks.filter((m) => ['app', 'open', 'model-files', 'engine', 'first-tokens', 'decoded', 'shown'].includes(m)),
      ['app', 'open', 'model-files', 'engine', 'first-tokens', 'decoded', 'shown']);
    assert.match(await page.textContent('[data-kolmo="timing"]') ?? '', /^ms after navigation: app \d+ · open \d+ · .* · decoded \d+ · shown \d+$/);
  });

  await t.test('a damaged cached model is downloaded again, and the link opens', async () => {
    assert.ok(await damageCachedModel(page), 'no cached model.onnx');
    const out = await open('?n=2');
    assert.equal(out.state, 'done', out.text);
    assert.equal(out.text, text);
    assert.ok(requests.some((path) => path.endsWith('/model.onnx')), 'the model was not downloaded again');
  });

  await t.test('a model damaged on the server too is refused with the integrity error, and no text is ever shown', async () => {
    const manifest = JSON.parse(readFileSync(join(server.root, 'models/manifest.json'), 'utf8'));
    const served = join(server.root, 'models', manifest.default, 'model.onnx');
    const good = readFileSync(served);
    const bad = Buffer.from(good);
    bad[bad.length >> 1] ^= 0x5a;
    writeFileSync(served, bad);
    try {
      assert.ok(await damageCachedModel(page), 'no cached model.onnx');
      const out = await open('?n=3');
      assert.equal(out.state, 'error', out.text);
      assert.match(out.text, /integrity check/);
      const shown = await page.evaluate(() => /** @type {string[]} */ ((/** @type {any} */ (window).kolmoShown)));
      assert.ok(shown.length > 0, 'the observer saw nothing');
      assert.ok(!shown.some((s) => s.includes('Meet me') || s.includes('old mill')), `text shown: ${shown.join(' | ')}`);
    } finally {
      writeFileSync(served, good);
    }
  });
  await context.close();
});
