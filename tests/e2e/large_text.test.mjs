// A large text through the page and back on the core engine: many context windows (the model's window
// restarts every 128 tokens), progress, and a link of thousands of characters. CPU only:
// WebGPU on SwiftShader (the test machines' only WebGPU) takes about 2 s per token. The text
// is Debian's licence texts (base-files, on every Debian system), cut to 24 KiB in npm test and
// to 100 KiB in npm run conformance (KOLMO_EVAL=all), where compressing it takes minutes.
import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { testTier } from '../conformance/eval_texts.mjs';
import { startServer, launchBrowser, chromiumPath, compressInPage, waitForOutput, screenshotPath } from './browser.mjs';

const kLicenses = ['GPL-3', 'Apache-2.0', 'MPL-2.0', 'GFDL-1.3', 'LGPL-2.1'].map((n) => `/usr/share/common-licenses/${n}`);
const kMinutes = 40; // generous: the machines that run this are small and shared

const kKiB = testTier() === 'all' ? 100 : 24;

function largeText() {
  const all = kLicenses.map((p) => readFileSync(p, 'utf8')).join('\n');
  // kKiB KiB of bytes, cut at a character boundary (the texts are ASCII, but be exact).
  const bytes = new TextEncoder().encode(all).subarray(0, kKiB * 1024);
  return new TextDecoder().decode(bytes).replace(/\uFFFD$/, '');
}

const skip = !chromiumPath()
  ? 'chromium is not installed (apt-get install -y chromium)'
  : kLicenses.every(existsSync) ? false : 'no /usr/share/common-licenses (not a Debian system)';

test(`a ${kKiB} KiB text round-trips through the page on the core engine`, { skip, timeout: kMinutes * 60 * 1000 }, async (t) => {
  const text = largeText();
  assert.ok(text.length > kKiB * 1000);
  const server = await startServer();
  const browser = await launchBrowser();
  t.after(async () => {
    await browser.close();
    await server.stop();
  });
  const sender = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  const page = await sender.newPage();
  await page.goto(`${server.url}?backend=core`);
  let started = Date.now();
  const link = await compressInPage(page, text, kMinutes * 60 * 1000);
  const mode = await page.getAttribute('[data-kolmo="link"]', 'data-kolmo-mode');
  t.diagnostic(`compressed ${text.length} chars to a ${link.split('#')[1].length}-char fragment (${mode}) in ${Date.now() - started} ms`);
  await page.screenshot({ path: screenshotPath('large_text_core.png') });
  await sender.close();

  const receiver = await browser.newContext();
  const opened = await receiver.newPage();
  started = Date.now();
  await opened.goto(link);
  const out = await waitForOutput(opened, kMinutes * 60 * 1000);
  assert.equal(out.state, 'done', out.text);
  assert.ok(out.text === text, `the opened link shows a different text (${out.text.length} vs ${text.length} chars)`);
  t.diagnostic(`opened in ${Date.now() - started} ms` + (out.tokensPerSecond ? `, ${out.tokensPerSecond} tokens/s` : ' (no model needed)'));
});
