// Bad input in the page ends in a specific message, never in a wrong text and never in a hung
// page: damaged, truncated and foreign links, a link that needs another model or a newer
// kolmo, WebGPU forced where there is none, a text over the limit; and the default backend is
// the core engine, with no ONNX Runtime file requested. Links are made with the same library in Node.
import test from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, chromiumPath, waitForOutput, collectPageErrors } from './browser.mjs';
import { compress } from '../../web/lib/index.js';
import { loadCodec } from '../../web/lib/worker/codec.js';

const skip = chromiumPath() ? false : 'chromium is not installed (apt-get install -y chromium)';
const english = 'The quick brown fox jumps over the lazy dog, and then it goes home to sleep.';

test('bad links and bad input give specific messages', { skip, timeout: 10 * 60 * 1000 }, async (t) => {
  const codec = await loadCodec();
  const { bytes: container, fragment, stats } = await compress(english);
  assert.equal(stats.mode, 'lm');
  const withHeader = (/** @type {(b: number) => number} */ edit) => {
    const copy = container.slice();
    copy[0] = edit(copy[0]);
    return codec.urlEncode(copy);
  };
  // A typo-proof link (container version 6) cannot be edited in place (its syndrome would fail
  // first: damaged_link), so the link for model #5 is framed anew around the same body.
  const view = codec.containerParse(container);
  const otherModel = codec.urlEncode(codec.containerPack({ mode: 'lm', text: new TextEncoder().encode(english), body: view.body,
    modelIndex: 5, modelIdHash: '1', lmPayloadVersion: view.lmPayloadVersion }));
  const newerVersion = withHeader((b) => (b & 0x1f) | (7 << 5)); // versions 1-6 exist (docs/FORMAT.md §2)
  const middle = Math.floor(fragment.length / 2);
  const flipped = fragment.slice(0, middle) + (fragment[middle] === 'A' ? 'B' : 'A') + fragment.slice(middle + 1);

  const server = await startServer();
  const browser = await launchBrowser();
  t.after(async () => {
    await browser.close();
    await server.stop();
  });

  /** Opens `url` in a fresh context and returns what the output element says. */
  const open = async (/** @type {string} */ url) => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const errors = collectPageErrors(page);
      await page.goto(url);
      const out = await waitForOutput(page, 120000);
      assert.deepEqual(errors.filter((e) => !/onnxruntime/.test(e)), []);
      return out;
    } finally {
      await context.close();
    }
  };

  const cases = [
    ['one character changed', `#${flipped}`, /damaged or incomplete/],
    ['cut in half', `#${fragment.slice(0, middle)}`, /damaged or incomplete/],
    ['foreign text', '#hello-world!', /damaged or incomplete/],
    ['needs model #5', `#${otherModel}`, /needs a model version this page does not have/],
    ['made by a newer kolmo', `#${newerVersion}`, /newer version of kolmo/],
    ['two links glued together (a second "#")', `#${fragment}#${fragment}`, /more than one "#"/],
  ];
  for (const [name, hash, expected] of cases) {
    await t.test(/** @type {string} */ (name), async () => {
      const out = await open(`${server.url}?backend=core${hash}`);
      assert.equal(out.state, 'error', `expected an error, the page showed: ${out.text}`);
      assert.match(out.text, /** @type {RegExp} */ (expected));
      assert.notEqual(out.text, english);
    });
  }

  await t.test('the intact link opens (control)', async () => {
    const out = await open(`${server.url}?backend=core#${fragment}`);
    assert.equal(out.state, 'done');
    assert.equal(out.text, english);
  });

  await t.test('?backend=webgpu without WebGPU says so', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${server.url}?backend=webgpu#${fragment}`);
      const out = await waitForOutput(page, 120000);
      assert.equal(out.state, 'error');
      assert.match(out.text, /WebGPU is not available in this browser/);
    } finally {
      await context.close();
    }
  });

  await t.test('the default backend is the core engine, and the page never requests ONNX Runtime for it', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const ortRequests = [];
      context.on('request', (request) => {
        if (/\/ort\/|onnxruntime|ort[.-]wasm/.test(request.url())) ortRequests.push(request.url());
      });
      await page.goto(`${server.url}#${fragment}`);
      const out = await waitForOutput(page, 120000);
      assert.equal(out.state, 'done');
      assert.equal(out.text, english);
      assert.equal(out.backend, 'core');
      // And a compress on the default path too.
      await page.fill('[data-kolmo="input"]', english + ' Again.');
      await page.waitForSelector('[data-kolmo="link"][data-kolmo-state="done"]', { state: 'attached', timeout: 120000 });
      assert.deepEqual(ortRequests, [], 'ONNX Runtime files were requested on the default path');
    } finally {
      await context.close();
    }
  });

  await t.test('a text over the limit is refused with the limit named', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${server.url}?backend=core`);
      await page.evaluate(() => {
        const input = /** @type {HTMLTextAreaElement} */ (document.querySelector('[data-kolmo="input"]'));
        input.value = 'a'.repeat((4 << 20) + 1);
        input.dispatchEvent(new Event('input'));
      });
      await page.waitForSelector('[data-kolmo="link"][data-kolmo-state="error"]', { state: 'attached', timeout: 60000 });
      assert.match(await page.textContent('[data-kolmo="message"]') ?? '', /over the limit of 4\.0 MB/);
    } finally {
      await context.close();
    }
  });
});

test('WebGPU is not chosen automatically, even where an adapter exists', { skip, timeout: 5 * 60 * 1000 }, async (t) => {
  const server = await startServer();
  const browser = await launchBrowser({ webgpu: true });
  t.after(async () => {
    await browser.close();
    await server.stop();
  });
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(server.url);
  const adapter = await page.evaluate(async () => Boolean(await /** @type {any} */ (navigator).gpu?.requestAdapter()));
  t.diagnostic(`WebGPU adapter: ${adapter ? 'yes (SwiftShader)' : 'none'}`);
  await page.fill('[data-kolmo="input"]', english);
  await page.waitForSelector('[data-kolmo="link"][data-kolmo-state="done"]', { state: 'attached', timeout: 120000 });
  assert.equal(await page.getAttribute('[data-kolmo="backend"]', 'data-backend'), 'core');
  assert.equal(await page.inputValue('[data-kolmo="backend-choice"]'), 'core');
});

test('the page refuses to run in another site\'s frame (no header can forbid it on a plain host)', { skip, timeout: 5 * 60 * 1000 }, async (t) => {
  const server = await startServer();
  const browser = await launchBrowser();
  t.after(async () => {
    await browser.close();
    await server.stop();
  });
  const { fragment } = await compress(english);
  const context = await browser.newContext();
  const page = await context.newPage();
  const workers = [];
  page.on('worker', (worker) => workers.push(worker.url()));
  // The framing page is about:blank with an iframe: another origin than the site's.
  await page.setContent(`<iframe id="kolmo" src="${server.url}#${fragment}" width="800" height="600"></iframe>`);
  const frame = await (await page.waitForSelector('#kolmo')).contentFrame();
  assert.ok(frame);
  await frame.waitForSelector('[data-kolmo="framed"]', { timeout: 60000 });
  const link = await frame.getAttribute('[data-kolmo="framed"] a', 'href');
  assert.equal(link, `${server.url}#${fragment}`, 'the notice opens the same link in its own tab');
  assert.equal(await frame.$('[data-kolmo="input"]'), null, 'the editor is gone');
  assert.equal(await frame.$('[data-kolmo="output"]'), null);
  await page.waitForTimeout(500);
  assert.deepEqual(workers, [], 'no worker started in the frame');
  // Not framed, the same address opens the link.
  const own = await context.newPage();
  await own.goto(`${server.url}#${fragment}`);
  const out = await waitForOutput(own, 120000);
  assert.equal(out.text, english);
});
