// A text coded as one stream on two threads in the browser (web/lib/worker/windows.js): the
// engine's Web Worker starts a helper Web Worker (nested, through page/hosts.js) that computes
// windows ahead while the engine's worker codes them. Driven through the built site's library in
// a page: the links are byte for byte those of one thread (eval texts of ~1,800 tokens and one
// just over a window boundary), the helper worker was started, and the links open.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, launchBrowser, chromiumPath, collectPageErrors, repoRoot } from './browser.mjs';

const skip = chromiumPath() ? false : 'chromium is not installed (apt-get install -y chromium)';
const prose = readFileSync(join(repoRoot, 'tests/data/eval/en-prose/009.txt'), 'utf8');
const chat = readFileSync(join(repoRoot, 'tests/data/eval/en-chat/018.txt'), 'utf8');
// ~1,100 bytes of prose: about 260 tokens, the rule's first window (256 positions) and a few more.
const overBoundary = prose.slice(0, prose.indexOf(' ', 1100));

test('one stream on two threads in the page: the same links as one thread, a helper worker, links that open', { skip, timeout: 5 * 60 * 1000 }, async (t) => {
  const server = await startServer();
  const browser = await launchBrowser();
  t.after(async () => {
    await browser.close();
    await server.stop();
  });
  const page = await browser.newPage();
  const errors = collectPageErrors(page);
  let workersStarted = 0;
  page.on('worker', () => workersStarted++); // nested workers too
  await page.goto(server.url + 'style.css');
  const run = (/** @type {number} */ workers) => page.evaluate(async ({ texts, workers }) => {
    const site = new URL('./', location.href).href;
    const { Kolmo } = await import(`${site}lib/index.js`);
    const kolmo = new Kolmo({ backends: ['core'], workers, modelBaseUrl: `${site}models/`, cache: false });
    try {
      const out = [];
      for (const text of texts) {
        const { fragment, stats } = await kolmo.compress(text, { modes: ['lm'] });
        const back = await kolmo.decompress(fragment);
        out.push({ fragment, tokens: stats.tokens, codeMs: stats.codeMs, opened: back === text });
      }
      return out;
    } finally {
      kolmo.dispose();
    }
  }, { texts: [prose, chat, overBoundary], workers });
  const one = await run(1);
  assert.equal(workersStarted, 1, 'one thread: the engine\'s worker alone');
  const two = await run(2);
  assert.ok(workersStarted >= 3, `two threads: the engine's worker and its helper (${workersStarted - 1} workers started)`);
  one.forEach((a, i) => {
    const b = two[i];
    t.diagnostic(`${a.tokens} tokens: ${Math.round(a.codeMs)} ms on one thread, ${Math.round(b.codeMs)} ms on two`);
    assert.equal(b.fragment, a.fragment, `text ${i}: the same link`);
    assert.ok(a.opened && b.opened, `text ${i}: opens`);
  });
  assert.ok(one[2].tokens >= 256 && one[2].tokens < 384, `just over a window boundary (${one[2].tokens} tokens)`);
  // (A page of style.css gets a 404 for its favicon, on one thread as on two.)
  assert.deepEqual(errors.filter((e) => !/Failed to load resource/.test(e)), []);
});
