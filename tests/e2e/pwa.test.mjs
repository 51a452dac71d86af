// The page as an app, on the built site (scripts/site.mjs) at a sub-path of a plain static host:
// the Content-Security-Policy is in force in the page and in its worker; the web app manifest
// makes it installable; text shared from another app (the manifest's share_target) opens in the
// editor and gets a link; the Share button hands that link to the system's share sheet; the
// link shows which channels it fits; and after that one visit the link opens offline — the
// service worker (web/sw.js) keeps the page, the library, the WASM codec and ONNX Runtime,
// model_store.js the model. Going offline stops the server (so nothing can come from the
// network, whatever the browser's offline emulation covers) and opens the link in a new tab of
// the same context. Every page and worker here is watched for CSP violations (browser.mjs).
import test from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, chromiumPath, compressInPage, waitForOutput, takeCspViolations } from './browser.mjs';
import { kCsp } from '../../scripts/site.mjs';

const skip = chromiumPath() ? false : 'chromium is not installed (apt-get install -y chromium)';

/** Polls the browser's recorded violations until some come (or 10 s pass). @param {import('playwright-core').Browser} browser */
async function violationsOf(browser) {
  const deadline = Date.now() + 10000;
  /** @type {string[]} */
  let found = [];
  while (found.length === 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    found = takeCspViolations(browser);
  }
  return found;
}

test('the site as an app: strict CSP, installable, share target, Share button, offline', { skip, timeout: 5 * 60 * 1000 }, async (t) => {
  const server = await startServer();
  const browser = await launchBrowser();
  t.after(async () => {
    await browser.close(); // fails the test on any CSP violation not provoked below
    await server.stop();
  });

  await t.test('the CSP is in force in the page and in its worker, and no Share button without the Web Share API', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const worker = page.waitForEvent('worker');
      worker.catch(() => {}); // awaited below; a failure before that must not show as this rejection
      await page.goto(`${server.url}?backend=core`);
      const meta = await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content');
      assert.equal(meta, kCsp);
      for (const directive of ["script-src 'self' 'wasm-unsafe-eval'", "connect-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'none'"]) {
        assert.ok(meta?.split('; ').includes(directive), `the CSP lacks ${directive}`);
      }
      assert.doesNotMatch(meta ?? '', /'unsafe-inline'|'unsafe-eval'/);
      assert.equal(await page.getAttribute('[data-kolmo="share"]', 'hidden'), '', 'Share button shown, but this chromium has no navigator.share');

      await page.evaluate(() => {
        const script = document.createElement('script');
        script.textContent = 'window.inlineRan = true';
        document.body.append(script);
      });
      assert.equal(await page.evaluate(() => /** @type {any} */ (window).inlineRan ?? false), false, 'an inline script ran');
      const inPage = await violationsOf(browser);
      assert.ok(inPage.length > 0 && inPage.every((v) => /script-src|inline script/i.test(v)), `expected only the inline script's violation: ${inPage}`);

      // The library's worker gets the policy from the service worker's headers.
      await (await worker).evaluate(() => fetch('http://127.0.0.2:9/').catch(() => null));
      const inWorker = await violationsOf(browser);
      assert.ok(inWorker.length > 0 && inWorker.every((v) => /connect-src.*127\.0\.0\.2/.test(v)), `expected only the worker's fetch violation: ${inWorker}`);
    } finally {
      await context.close();
    }
  });

  const context = await browser.newContext();
  // This chromium has no Web Share API: the stand-in records what the page hands to it.
  await context.addInitScript(() => {
    /** @type {any} */ (navigator).share = async (/** @type {ShareData} */ data) => {
      /** @type {any} */ (window).sharedData = data;
    };
  });
  const title = 'Saturday';
  const body = 'Meet at the station at 8, then we walk to the lake: https://example.org/map';
  const expectedText = `${title}\n${body}`; // url repeats what body has: kept once
  let link = '';

  await t.test('text shared from another app opens in the editor and gets a link', async () => {
    const page = await context.newPage();
    // What an app installed with an earlier manifest (share_target GET, action ./) makes of a share;
    // today's POST share target: share_target.test.mjs.
    const query = new URLSearchParams({ backend: 'core', title, text: body, url: 'https://example.org/map' });
    await page.goto(`${server.url}?${query}`);
    await page.waitForSelector('[data-kolmo="link"][data-kolmo-state="done"]', { state: 'attached', timeout: 120000 });
    assert.equal(await page.inputValue('[data-kolmo="input"]'), expectedText);
    link = await page.inputValue('[data-kolmo="link"]');
    assert.match(link, new RegExp(`^${server.url.replace(/[.]/g, '\\.')}\\?backend=core#[0-9A-Za-z]+$`), 'the shared text left parameters in the link');
    assert.equal(await page.getAttribute('[data-kolmo="link"]', 'data-kolmo-mode'), 'lm'); // opening it offline needs ORT and the model

    const channels = await page.$$eval('[data-kolmo="channels"] li', (items) => items.map((li) => `${/** @type {HTMLElement} */ (li).dataset.kolmoChannel}:${/** @type {HTMLElement} */ (li).dataset.kolmoFit}`));
    assert.deepEqual(channels, ['sms:fits', 'tweet:fits', 'discord:fits', 'qr:fits', 'slack:fits'], `a ${link.length}-character link`);
    assert.equal(await page.getAttribute('[data-kolmo="channel-warning"]', 'hidden'), '');

    await page.click('[data-kolmo="share"]');
    assert.deepEqual(await page.evaluate(() => /** @type {any} */ (window).sharedData), { title: 'kolmo', url: link });

    // Installable: Chrome's own checks (manifest, icons, service worker); only the private
    // profile of a test browser stands in the way.
    const cdp = await context.newCDPSession(page);
    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
    assert.deepEqual(installabilityErrors.filter((e) => e.errorId !== 'in-incognito'), []);
    const manifest = await cdp.send('Page.getAppManifest');
    assert.deepEqual(manifest.errors, []);
    assert.equal(manifest.url, `${server.url}manifest.webmanifest`);
    assert.deepEqual(JSON.parse(manifest.data ?? '{}').share_target?.params, { title: 'title', text: 'text', url: 'url' });
    assert.ok(await page.evaluate(() => navigator.serviceWorker.controller !== null), 'no service worker controls the page');
    await page.close();
  });

  await t.test('the link opens offline after that first visit', async () => {
    assert.ok(link, 'no link from the step before');
    await server.stop();
    await context.setOffline(true);
    const page = await context.newPage();
    await page.goto(link);
    const out = await waitForOutput(page, 120000);
    assert.equal(out.state, 'done', out.text);
    assert.equal(out.text, expectedText);
    assert.equal(out.backend, 'core');
    await context.close();
  });
});
