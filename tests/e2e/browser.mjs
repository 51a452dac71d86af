// The one place that knows how the end-to-end tests reach a browser: finds Debian's chromium,
// sets its flags (WebGPU through SwiftShader when asked), and serves the page with
// scripts/serve.mjs on a free port. Tests import these helpers; nothing else launches a browser.
//
//   const server = await startServer();
//   const browser = await launchBrowser({ webgpu: true });
//   ... browser.newContext() ... page.goto(server.url + '?backend=webgpu') ...
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const screenshotDir = join(repoRoot, 'tests/e2e/screenshots');

const kCandidates = [process.env.KOLMO_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean);

/** Path of the chromium binary, or null (tests then skip with a reason). */
export function chromiumPath() {
  return kCandidates.find((p) => existsSync(/** @type {string} */ (p))) ?? null;
}

const kBaseArgs = [
  '--no-sandbox', // runs as root in containers
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
// WebGPU on the CPU: SwiftShader's Vulkan behind ANGLE (no GPU on test machines).
// KOLMO_WEBGPU_ADAPTER=hardware keeps chromium's own adapter choice, for a machine with a GPU
// (e.g. bench/drift.mjs measuring a real GPU's drift).
const kWebGpuArgs = process.env.KOLMO_WEBGPU_ADAPTER === 'hardware'
  ? ['--enable-unsafe-webgpu', '--enable-features=Vulkan']
  : ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-angle=swiftshader', '--use-webgpu-adapter=swiftshader'];

/**
 * Launches headless chromium. @param {{webgpu?: boolean}} [options]
 * @returns {Promise<import('playwright-core').Browser>}
 */
export async function launchBrowser({ webgpu = false } = {}) {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error('chromium not found: apt-get install -y chromium (scripts/setup.sh)');
  return chromium.launch({
    executablePath,
    headless: true,
    args: [...kBaseArgs, ...(webgpu ? kWebGpuArgs : [])],
  });
}

/**
 * Whether a page of this browser gets a WebGPU adapter (needs a served page: secure context).
 * @param {import('playwright-core').Browser} browser @param {string} url
 * @returns {Promise<string|null>} null when available, else why not
 */
export async function webgpuMissing(browser, url) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(url + 'style.css');
    return await page.evaluate(async () => {
      const gpu = /** @type {any} */ (navigator).gpu;
      if (!gpu) return 'navigator.gpu is missing';
      const adapter = await gpu.requestAdapter();
      return adapter ? null : 'requestAdapter() returned null';
    });
  } finally {
    await context.close();
  }
}

/**
 * Starts `node scripts/serve.mjs` on a free port.
 * @returns {Promise<{url: string, stop: () => Promise<void>}>} url ends with '/'
 */
export async function startServer() {
  const child = spawn(process.execPath, [join(repoRoot, 'scripts/serve.mjs')], {
    cwd: repoRoot,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${output}`)), 120000);
    const onData = (/** @type {Buffer} */ chunk) => {
      output += chunk;
      const match = /on (http:\/\/[\d.]+:\d+\/)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`server exited (${code}): ${output}`)));
  });
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill();
      }),
  };
}

/** Where a test's screenshots go (git-ignored). @param {string} name */
export function screenshotPath(name) {
  mkdirSync(screenshotDir, { recursive: true });
  return join(screenshotDir, name);
}

// ---- page helpers (the contract of web/app.js) ----

const kOutput = '[data-kolmo="output"]';
const kLink = '[data-kolmo="link"]';

/**
 * Types `text` into the editor and returns the link once it belongs to that text.
 * @param {import('playwright-core').Page} page @param {string} text @param {number} [timeout]
 */
export async function compressInPage(page, text, timeout = 120000) {
  await page.fill('[data-kolmo="input"]', text);
  // fill() fires 'input', which marks the link pending; an unchanged value fires nothing, and
  // the link of the current text is then already there.
  await page.waitForFunction(
    ([selector, length]) => {
      const input = /** @type {HTMLTextAreaElement} */ (document.querySelector('[data-kolmo="input"]'));
      const link = /** @type {HTMLInputElement} */ (document.querySelector(selector));
      const state = link?.dataset.kolmoState;
      return input.value.length === length && (state === 'done' || state === 'error');
    },
    [kLink, text.length],
    { timeout, polling: 100 },
  );
  const state = await page.getAttribute(kLink, 'data-kolmo-state');
  if (state !== 'done') throw new Error(`compress failed in the page: ${await page.textContent('[data-kolmo="message"]')}`);
  return page.inputValue(kLink);
}

/**
 * Waits for an opened link to finish decoding.
 * @param {import('playwright-core').Page} page @param {number} [timeout]
 * @returns {Promise<{state: string, text: string, backend: string|null, tokensPerSecond: number|null}>}
 */
export async function waitForOutput(page, timeout = 120000) {
  await page.waitForSelector(`${kOutput}[data-kolmo-state="done"], ${kOutput}[data-kolmo-state="error"]`, {
    timeout, state: 'attached',
  });
  return page.$eval(kOutput, (el) => ({
    state: /** @type {HTMLElement} */ (el).dataset.kolmoState ?? '',
    text: el.textContent ?? '',
    backend: /** @type {HTMLElement} */ (el).dataset.kolmoBackend ?? null,
    tokensPerSecond: Number(/** @type {HTMLElement} */ (el).dataset.kolmoTokensPerSecond ?? NaN) || null,
  }));
}

/** Collects the page's console errors and crashes (for assertion messages). @param {import('playwright-core').Page} page */
export function collectPageErrors(page) {
  /** @type {string[]} */
  const errors = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  return errors;
}
