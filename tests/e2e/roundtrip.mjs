// The round-trip scenario shared by roundtrip_core.test.mjs and roundtrip_webgpu.test.mjs:
// compress a text in the page, take the link, open it in a fresh browser context (nothing
// shared: no cache, no service worker), and expect exactly the text back.
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, launchBrowser, webgpuMissing, chromiumPath, compressInPage, waitForOutput,
  collectPageErrors, screenshotPath,
} from './browser.mjs';

/** Texts named after what they exercise. */
export const texts = {
  english: 'The quick brown fox jumps over the lazy dog, and then it goes home to sleep.',
  chinese: '北京的冬天很冷，但是南方的朋友常常不习惯没有暖气的房间。',
  emoji: 'Party time 🎉🎉 see you at 8 👍🏽 — ok? 🇯🇵',
  whitespace: ' \n\t  \n\n   ',
  empty: '',
};

/** Page errors that are only ONNX Runtime's warnings on the console. */
const isOrtWarning = (/** @type {string} */ e) => /onnxruntime|VerifyEachNodeIsAssignedToAnEp/.test(e);

/** Longer prose, so that more than one sentence goes through the model (lm mode). */
export const paragraph =
  'When the evening came, the old miller closed the shutters, lit the lamp on the kitchen table and ' +
  'opened the small green book in which he kept his accounts. He counted the sacks of grain twice, ' +
  'as he always did, and wrote the numbers down in a careful hand before he went to sleep.\n';

/**
 * Registers the round-trip tests of one backend.
 * @param {'core'|'wasm'|'webgpu'} backend
 * @param {{texts: Record<string, string>, timeoutMs: number, alsoOpenOn?: 'core'}} options
 *   alsoOpenOn: open the English link on this backend too (made on one, opened on another)
 */
export function roundTripSuite(backend, { texts: cases, timeoutMs, alsoOpenOn }) {
  const skip = chromiumPath() ? false : 'chromium is not installed (apt-get install -y chromium)';
  test(`round trips in the page on ${backend}`, { skip, timeout: timeoutMs }, async (t) => {
    const server = await startServer();
    const browser = await launchBrowser({ webgpu: backend === 'webgpu' });
    t.after(async () => {
      await browser.close();
      await server.stop();
    });
    if (backend === 'webgpu') {
      const missing = await webgpuMissing(browser, server.url);
      if (missing) {
        t.skip(`no WebGPU adapter in this chromium (${missing})`);
        return;
      }
    }
    const sender = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    const page = await sender.newPage();
    const senderErrors = collectPageErrors(page);
    await page.goto(`${server.url}?backend=${backend}`);

    for (const [name, text] of Object.entries(cases)) {
      await t.test(name, async () => {
        const started = Date.now();
        const link = await compressInPage(page, text, timeoutMs);
        const compressMs = Date.now() - started;
        assert.match(link, new RegExp(`^${server.url.replace(/[.]/g, '\\.')}\\?backend=${backend}#[0-9A-Za-z]+$`));
        if (name === 'english') {
          assert.equal(await page.getAttribute('[data-kolmo="link"]', 'data-kolmo-mode'), 'lm', 'the model did not code the English text');
          assert.equal(await page.getAttribute('[data-kolmo="backend"]', 'data-backend'), backend);
          await page.screenshot({ path: screenshotPath(`compress_${backend}.png`), fullPage: true });
        }

        const receiver = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
        try {
          const opened = await receiver.newPage();
          const errors = collectPageErrors(opened);
          const t0 = Date.now();
          await opened.goto(link);
          if (backend === 'webgpu' && name === 'english') {
            // About 2 s per token here: the text shows while it decodes, marked unverified.
            await opened.waitForFunction(() => {
              const el = /** @type {HTMLElement} */ (document.querySelector('[data-kolmo="output"]'));
              return el.dataset.kolmoState === 'decoding' && (el.textContent ?? '').length > 8;
            }, undefined, { timeout: timeoutMs, polling: 100 });
            assert.ok(await opened.$eval('[data-kolmo="output"]', (el) => el.classList.contains('unverified')));
            assert.match(await opened.textContent('[data-kolmo="verified"]') ?? '', /unverified/);
            await opened.screenshot({ path: screenshotPath(`decoding_${backend}_phone.png`) });
          }
          const out = await waitForOutput(opened, timeoutMs);
          assert.equal(out.state, 'done', `decode failed: ${out.text}`);
          assert.equal(out.text, text, 'the opened link shows a different text');
          if (out.backend) assert.equal(out.backend, backend);
          t.diagnostic(`${name}: ${text.length} chars -> ${link.split('#')[1].length}-char fragment; ` +
            `compress ${compressMs} ms, open ${Date.now() - t0} ms` +
            (out.tokensPerSecond ? `, decode ${out.tokensPerSecond} tokens/s on ${out.backend}` : ' (no model needed)'));
          if (name === 'english' || name === 'chinese') {
            await opened.screenshot({ path: screenshotPath(`open_${name}_${backend}_phone.png`), fullPage: true });
          }
          assert.deepEqual(errors.filter((e) => !isOrtWarning(e)), []);
        } finally {
          await receiver.close();
        }
        if (name === 'english' && alsoOpenOn) {
          const other = await browser.newContext();
          try {
            const opened = await other.newPage();
            await opened.goto(link.replace(`?backend=${backend}#`, `?backend=${alsoOpenOn}#`));
            const out = await waitForOutput(opened, timeoutMs);
            assert.equal(out.state, 'done', `made on ${backend}, opened on ${alsoOpenOn}: ${out.text}`);
            assert.equal(out.text, text);
            assert.equal(out.backend, alsoOpenOn);
          } finally {
            await other.close();
          }
        }
      });
    }
    assert.deepEqual(senderErrors.filter((e) => !isOrtWarning(e)), []);
  });
}
