// The page's password-protected links, QR code and hostile-link behaviour, on the built site at
// a sub-path (browser.mjs): a text compressed with a password gives a QR code that a QR reader
// (jsqr, on a screenshot of the canvas) decodes to the link's uppercase QR form; opening that link
// asks for the password, refuses a wrong one and opens with the right one; a crafted link that
// would decode for minutes stops at once on Cancel; and a 4 MiB text put into the editor leaves
// the main thread responsive (longest task measured with a PerformanceObserver). Every page is
// watched for CSP violations (browser.close() fails on any).
import test from 'node:test';
import assert from 'node:assert/strict';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { startServer, launchBrowser, chromiumPath, compressInPage, screenshotPath } from './browser.mjs';
import { openShippedModel } from '../conformance/shipped_model.mjs';
import { craftLink } from '../hostile/craft.mjs';

const skip = chromiumPath() ? false : 'chromium is not installed (apt-get install -y chromium)';
const kOutput = '[data-kolmo="output"]';

/** @param {import('playwright-core').Page} page @param {string[]} states */
async function waitForState(page, states, timeout = 180000) {
  await page.waitForFunction(([selector, wanted]) => wanted.includes(document.querySelector(selector)?.getAttribute('data-kolmo-state') ?? ''),
    [kOutput, states], { timeout, polling: 100 });
  return page.getAttribute(kOutput, 'data-kolmo-state');
}

test('page: password links, QR codes, Cancel on a hostile link, a 4 MiB paste', { skip, timeout: 20 * 60 * 1000 }, async (t) => {
  const server = await startServer();
  const browser = await launchBrowser();
  t.after(async () => {
    await browser.close();
    await server.stop();
  });
  const text = 'Meet me at 8 by the old mill. Bring the map, not the dog.';

  await t.test('a password link: QR code decodable by jsqr, asked for on opening, wrong one refused, right one opens', async () => {
    const sender = await browser.newContext({ viewport: { width: 1000, height: 1400 } });
    const page = await sender.newPage();
    await page.goto(`${server.url}?backend=core`);
    await page.fill('[data-kolmo="password"]', 'correct horse');
    const link = await compressInPage(page, text);
    assert.equal(await page.getAttribute('[data-kolmo="link"]', 'data-kolmo-encrypted'), 'true');
    const qr = page.locator('[data-kolmo="qr"] canvas');
    await qr.waitFor({ state: 'visible' });
    const png = PNG.sync.read(await qr.screenshot({ path: screenshotPath('qr_password_link.png') }));
    const decoded = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
    assert.ok(decoded, 'jsqr reads the QR code on the page');
    const qrLink = decoded.data;
    assert.equal(qrLink.split('#')[0], link.split('#')[0]);
    assert.match(qrLink.split('#')[1], /^-[0-9A-Z$*+\-./:]+$/);
    const version = Number(await page.getAttribute('[data-kolmo="qr"]', 'data-kolmo-version'));
    t.diagnostic(`QR version ${version} for a ${qrLink.length}-character link (base62 link: ${link.length})`);
    await sender.close();

    const receiver = await browser.newContext();
    const opened = await receiver.newPage();
    await opened.goto(qrLink);
    assert.equal(await waitForState(opened, ['locked', 'done', 'error']), 'locked');
    await opened.fill('[data-kolmo="password"]', 'wrong horse');
    await opened.press('[data-kolmo="password"]', 'Enter');
    await opened.waitForFunction(() => /Wrong password/.test(document.querySelector('[data-kolmo="output"]')?.textContent ?? ''), null, { timeout: 60000 });
    assert.equal(await opened.getAttribute(kOutput, 'data-kolmo-state'), 'locked');
    await opened.fill('[data-kolmo="password"]', 'correct horse');
    await opened.click('[data-kolmo="unlock"]');
    assert.equal(await waitForState(opened, ['done', 'error']), 'done');
    assert.equal(await opened.textContent(kOutput), text);
    await receiver.close();
  });

  await t.test('a plain link\'s QR code opens the text', async () => {
    const context = await browser.newContext({ viewport: { width: 1000, height: 1400 } });
    const page = await context.newPage();
    await page.goto(`${server.url}?backend=core`);
    await compressInPage(page, text);
    const png = PNG.sync.read(await page.locator('[data-kolmo="qr"] canvas').screenshot());
    const qrLink = jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data ?? '';
    const opened = await context.newPage();
    await opened.goto(qrLink);
    assert.equal(await waitForState(opened, ['done', 'error']), 'done');
    assert.equal(await opened.textContent(kOutput), text);
    await context.close();
  });

  await t.test('a crafted link that would decode for minutes stops on Cancel', async () => {
    const shipped = await openShippedModel({ backend: 'node' });
    const space = shipped.tokenizer.encode(new TextEncoder().encode(' '))[0];
    const hostile = await craftLink(shipped, 20000, space);
    await shipped.model.dispose?.();
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}?backend=core#${hostile.fragment}`);
    await page.waitForFunction(() => (document.querySelector('[data-kolmo="output"]')?.textContent ?? '').length > 20, null, { timeout: 180000 });
    const started = Date.now();
    await page.click('[data-kolmo="open-cancel"]');
    assert.equal(await waitForState(page, ['error', 'done'], 10000), 'error');
    const latency = Date.now() - started;
    t.diagnostic(`cancelled a crafted link's decode in ${latency} ms`);
    assert.match(await page.textContent(kOutput) ?? '', /Cancelled/);
    assert.ok(latency < 3000);
    await context.close();
  });

  await t.test('a 4 MiB text put into the editor: the main thread stays responsive', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}?backend=core`);
    await page.evaluate(() => {
      const w = /** @type {any} */ (window);
      w.kolmoLongest = 0;
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) w.kolmoLongest = Math.max(w.kolmoLongest, entry.duration);
      }).observe({ type: 'longtask', buffered: false });
    });
    // ASCII (one byte a character), varied enough that the cm codec has work: just under 4 MiB.
    let big = '';
    for (let i = 0; big.length < (4 << 20) - 100; i++) big += `Line ${i}: the river ran past mill ${(i * 7919) % 1000} and counted ${(i * 104729) % 99991} grains.\n`;
    big = big.slice(0, (4 << 20) - 100);
    const started = Date.now();
    // What a paste does: the whole text in the editor at once, then one input event.
    await page.evaluate((text) => {
      const input = /** @type {HTMLTextAreaElement} */ (document.querySelector('[data-kolmo="input"]'));
      input.value = text;
      input.dispatchEvent(new Event('input'));
    }, big);
    await page.waitForFunction(() => ['done', 'error'].includes(document.querySelector('[data-kolmo="link"]')?.getAttribute('data-kolmo-state') ?? ''), null, { timeout: 600000, polling: 200 });
    const longest = await page.evaluate(() => /** @type {any} */ (window).kolmoLongest);
    const bytes = await page.evaluate(() => new TextEncoder().encode(/** @type {HTMLTextAreaElement} */ (document.querySelector('[data-kolmo="input"]')).value).length);
    t.diagnostic(`${bytes} bytes: link ${await page.getAttribute('[data-kolmo="link"]', 'data-kolmo-state')} after ${Date.now() - started} ms; longest main-thread task ${longest.toFixed(0)} ms`);
    assert.equal(await page.getAttribute('[data-kolmo="link"]', 'data-kolmo-state'), 'done');
    assert.ok(longest < 1000, `longest main-thread task ${longest.toFixed(0)} ms`);
    await context.close();
  });
});
