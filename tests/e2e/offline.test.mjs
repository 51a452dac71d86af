// After one visit the page works offline: the service worker (web/sw.js) keeps the page, the
// library, the WASM codec and ONNX Runtime; model_store.js keeps the model. The test stops the
// server (so nothing can come from the network, whatever the browser's offline emulation
// covers) and opens a link in a new tab of the same browser context.
import test from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, chromiumPath, compressInPage, waitForOutput } from './browser.mjs';

const skip = chromiumPath() ? false : 'chromium is not installed (apt-get install -y chromium)';

test('a link opens offline after the first visit', { skip, timeout: 5 * 60 * 1000 }, async (t) => {
  const server = await startServer();
  const browser = await launchBrowser();
  t.after(async () => {
    await browser.close();
    await server.stop();
  });
  const context = await browser.newContext();
  const first = await context.newPage();
  await first.goto(`${server.url}?backend=wasm`);
  const text = 'The quick brown fox jumps over the lazy dog, and then it goes home to sleep.';
  const link = await compressInPage(first, text);
  // lm: opening it needs ONNX Runtime and the model, not only the page.
  assert.equal(await first.getAttribute('[data-kolmo="link"]', 'data-kolmo-mode'), 'lm');
  assert.ok(await first.evaluate(() => navigator.serviceWorker.controller !== null), 'no service worker controls the page');
  await first.close();

  await server.stop();
  await context.setOffline(true);
  const second = await context.newPage();
  await second.goto(link);
  const out = await waitForOutput(second, 120000);
  assert.equal(out.state, 'done', out.text);
  assert.equal(out.text, text);
  assert.equal(out.backend, 'wasm');
});
