// Nothing shared leaves the browser (issue 21, item 4). The manifest's share_target posts the
// shared text to ./share, which the service worker answers from memory (web/sw.js): the page
// opens at ./?share=<random id> and takes the text from the worker by a message. Here a share is
// what the browser does for one: a multipart/form-data POST navigation to the action, after the
// app's first visit (an installed app has its service worker). Then the host's request log
// (python3 -m http.server, browser.mjs) and every entry of Cache Storage — request URLs, response
// URLs and bodies — are read: the shared text is in none of them, and no POST reached the host.
// An older manifest's GET share (./?title=&text=&url=) also opens without its query reaching
// the host or the cache.
import test from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startServer, launchBrowser, chromiumPath } from './browser.mjs';

const skip = chromiumPath() ? false : 'chromium is not installed (apt-get install -y chromium)';

/**
 * Everything in the page's Cache Storage, as text where it can be searched: each entry's request
 * URL, response URL and body (bytes as latin1, so a UTF-8 needle is found in any body).
 * @param {import('playwright-core').Page} page
 */
async function cacheStorageText(page) {
  return page.evaluate(async () => {
    const out = [];
    for (const name of await caches.keys()) {
      const cache = await caches.open(name);
      for (const request of await cache.keys()) {
        const response = await cache.match(request);
        const bytes = new Uint8Array(await (response?.arrayBuffer() ?? new ArrayBuffer(0)));
        let body = '';
        for (let i = 0; i < bytes.length; i += 65536) body += String.fromCharCode(...bytes.subarray(i, i + 65536));
        out.push(`${name} ${request.url} ${response?.url ?? ''}\n${body}`);
      }
    }
    return out;
  });
}

/** @param {string} s the forms a text takes in a URL or form body */
const encodings = (s) => [...new Set([s, encodeURIComponent(s), new URLSearchParams({ s }).toString().slice(2)])];

test('a shared text reaches the editor and neither the host nor Cache Storage', { skip, timeout: 4 * 60 * 1000 }, async (t) => {
  const server = await startServer();
  const browser = await launchBrowser();
  t.after(async () => {
    await browser.close();
    await server.stop();
  });
  const probe = randomUUID().slice(0, 8);
  const title = `Saturday ${probe}`;
  const body = `Meet at the station at 8, code ${probe}-7 then the lake: https://example.org/map`;
  const url = 'https://example.org/map';
  const expected = `${title}\n${body}`; // url repeats what body has: kept once
  const needles = [probe, ...encodings(title), ...encodings(body)];

  const context = await browser.newContext();
  const page = await context.newPage();
  // The app's first visit: its service worker installs and takes control.
  await page.goto(`${server.url}?backend=core`);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 60000 });
  const logStart = server.requestLog().length;

  await t.test('POST share target: the text opens in the editor and gets a link', async () => {
    const share = await context.newPage();
    // What the browser does with the manifest's share_target (method POST, multipart/form-data).
    await share.setContent(`<form method="post" enctype="multipart/form-data" action="${server.url}share">
      <input name="title"><textarea name="text"></textarea><input name="url"></form>`);
    await share.fill('[name=title]', title);
    await share.fill('[name=text]', body);
    await share.fill('[name=url]', url);
    await Promise.all([share.waitForURL(/\/kolmo\/\?share=/, { timeout: 60000 }), share.$eval('form', (f) => /** @type {HTMLFormElement} */ (f).submit())]);
    await share.waitForSelector('[data-kolmo="link"][data-kolmo-state="done"]', { state: 'attached', timeout: 120000 });
    assert.equal(await share.inputValue('[data-kolmo="input"]'), expected);
    const link = await share.inputValue('[data-kolmo="link"]');
    assert.match(link, new RegExp(`^${server.url.replace(/[.]/g, '\\.')}#[0-9A-Za-z]+$`), 'the share left parameters in the link');
    assert.doesNotMatch(share.url(), /share=/, 'the share id stays in the address');
    // The id was taken: a reload does not bring the text back.
    await share.reload();
    await share.waitForSelector('[data-kolmo="link"][data-kolmo-state="done"]', { state: 'attached', timeout: 120000 });
    assert.equal(await share.inputValue('[data-kolmo="input"]'), '');
    await share.close();
  });

  await t.test('an older manifest\'s GET share opens too, its query kept from the host', async () => {
    const old = await context.newPage();
    const probeGet = `${probe}-get`;
    await old.goto(`${server.url}?${new URLSearchParams({ title: 'Old', text: `via GET ${probeGet}` })}`);
    await old.waitForSelector('[data-kolmo="link"][data-kolmo-state="done"]', { state: 'attached', timeout: 120000 });
    assert.equal(await old.inputValue('[data-kolmo="input"]'), `Old\nvia GET ${probeGet}`);
    await old.close();
  });

  await t.test('the host\'s request log and Cache Storage hold none of it', async () => {
    const log = server.requestLog().slice(logStart);
    t.diagnostic(`${log.length} requests reached the host after the first visit`);
    assert.deepEqual(log.filter((line) => /"POST /.test(line)), [], 'a POST reached the host');
    for (const needle of needles) assert.deepEqual(log.filter((line) => line.includes(needle)), [], `"${needle}" in the request log`);
    assert.deepEqual(log.filter((line) => /[?&](title|text|url|share)=/.test(line)), [], 'a shared query reached the host');
    const entries = await cacheStorageText(page);
    assert.ok(entries.length > 0, 'Cache Storage is empty: nothing was checked');
    for (const needle of needles) {
      const found = entries.filter((entry) => entry.includes(needle)).map((entry) => entry.split('\n')[0]);
      assert.deepEqual(found, [], `"${needle}" in Cache Storage`);
    }
    t.diagnostic(`${entries.length} Cache Storage entries checked`);
  });
  await context.close();
});
