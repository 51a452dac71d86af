// The one place that knows how the end-to-end tests reach a browser: finds Debian's chromium,
// sets its flags (WebGPU through SwiftShader when asked), builds the site (scripts/site.mjs) and
// serves it at a sub-path with a plain static file server (python3 -m http.server), and watches
// every page and worker for Content-Security-Policy violations. Tests import these helpers;
// nothing else launches a browser.
//
//   const server = await startServer();                     // server.url: http://127.0.0.1:PORT/kolmo/
//   const browser = await launchBrowser({ webgpu: true });
//   ... browser.newContext() ... page.goto(server.url + '?backend=webgpu') ...
//   await browser.close();   // throws if any page or worker of this browser violated the CSP
//
// CSP violations: every context of a browser from launchBrowser() records them — the
// `securitypolicyviolation` event in each document (an init script, before the page's own
// code) and in each worker (registered when the worker appears, before its first message is
// handled), and chromium's console reports of them. browser.close() fails the test with the
// list, so no test can pass with a violation while loading, compressing, opening a link or
// going offline. takeCspViolations(browser) reads and clears them (for a test that provokes one).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { buildSite } from '../../scripts/site.mjs';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const screenshotDir = join(repoRoot, 'tests/e2e/screenshots');
/** The folder the site is served from, as on https://user.github.io/kolmo/. */
const kSubPath = 'kolmo';

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
 * Launches headless chromium; its contexts record CSP violations, and close() throws if there
 * were any (see the top of this file). @param {{webgpu?: boolean}} [options]
 * @returns {Promise<import('playwright-core').Browser>}
 */
export async function launchBrowser({ webgpu = false } = {}) {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error('chromium not found: apt-get install -y chromium (scripts/setup.sh)');
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: [...kBaseArgs, ...(webgpu ? kWebGpuArgs : [])],
  });
  /** @type {string[]} */
  const violations = [];
  kViolations.set(browser, violations);
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (options) => {
    const context = await newContext(options);
    await watchCsp(context, violations);
    return context;
  };
  const close = browser.close.bind(browser);
  browser.close = async (options) => {
    await close(options);
    if (violations.length > 0) {
      letServersEnd(); // the test's `await server.stop()` after this line will not run
      throw new Error(`Content-Security-Policy violations (${violations.length}):\n  ${[...new Set(violations)].join('\n  ')}`);
    }
  };
  return browser;
}

// ---- CSP violations ----

/** Servers not yet stopped: while one runs, this process stays alive. @type {Set<import('node:child_process').ChildProcess>} */
const kLiveServers = new Set();
/** Lets this process exit though servers still run (the exit handler stops them). */
function letServersEnd() {
  for (const child of kLiveServers) {
    child.unref();
    /** @type {any} */ (child.stdout)?.unref();
    /** @type {any} */ (child.stderr)?.unref();
  }
}

/** @type {WeakMap<import('playwright-core').Browser, string[]>} */
const kViolations = new WeakMap();
const kViolationTag = 'kolmo-csp-violation';
/** Chromium's own console report of a violation (documents; workers only fire the event). */
const isCspReport = (/** @type {string} */ text) => text.includes(kViolationTag) || /Content Security Policy/i.test(text);

/** Registers the listener in a document or worker: each violation becomes a tagged console error. */
function listenForViolations(/** @type {string} */ tag) {
  globalThis.addEventListener('securitypolicyviolation', (event) => {
    const e = /** @type {SecurityPolicyViolationEvent} */ (event);
    console.error(`${tag}: ${e.effectiveDirective} blocked ${e.blockedURI || '(inline)'} in ${e.documentURI || e.sourceFile}` +
      (e.sample ? ` (${e.sample})` : ''));
  });
}

/** @param {import('playwright-core').BrowserContext} context @param {string[]} violations */
async function watchCsp(context, violations) {
  await context.addInitScript(listenForViolations, kViolationTag);
  context.on('console', (message) => {
    if (message.type() === 'error' && isCspReport(message.text())) violations.push(message.text());
  });
  context.on('page', (page) => {
    page.on('worker', (worker) => {
      worker.evaluate(listenForViolations, kViolationTag).catch(() => {}); // a worker may end at once
    });
  });
}

/**
 * The CSP violations recorded so far in this browser's contexts; clears them.
 * @param {import('playwright-core').Browser} browser @returns {string[]}
 */
export function takeCspViolations(browser) {
  const violations = kViolations.get(browser);
  if (!violations) throw new Error('takeCspViolations: the browser was not launched by launchBrowser()');
  return violations.splice(0);
}

/**
 * A page of the site that runs none of the page's own code (its style.css), controlled by the
 * site's service worker and so cross-origin isolated as the page is after a first visit: for
 * tests that drive the library directly (WASM threads need SharedArrayBuffer).
 * @param {import('playwright-core').BrowserContext} context @param {string} siteUrl ends with '/'
 */
export async function isolatedLibraryPage(context, siteUrl) {
  const page = await context.newPage();
  await page.goto(siteUrl + 'style.css');
  await page.evaluate(async () => {
    await navigator.serviceWorker.register('./sw.js');
    await navigator.serviceWorker.ready;
  });
  await page.reload();
  if (!(await page.evaluate(() => globalThis.crossOriginIsolated))) {
    throw new Error(`${siteUrl}style.css is not cross-origin isolated under the site's service worker`);
  }
  return page;
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
 * Builds the site (scripts/site.mjs, what `npm run site` writes to dist/) into a fresh temporary
 * folder, or takes KOLMO_SITE (a prebuilt dist/, to test exactly what will be deployed), and
 * serves it at the sub-path /kolmo/ with `python3 -m http.server` on a free port: a plain static
 * host with no routes and no headers of its own, like GitHub Pages.
 * requestLog() is what the host saw: the server's log, a line per request ("GET /kolmo/ HTTP/1.1" 200).
 * @returns {Promise<{url: string, root: string, stop: () => Promise<void>, requestLog: () => string[]}>}
 *   url ends with '/kolmo/'
 */
export async function startServer() {
  const top = await mkdtemp(join(tmpdir(), 'kolmo-e2e-'));
  const root = join(top, kSubPath);
  try {
    if (process.env.KOLMO_SITE) await symlink(resolve(process.env.KOLMO_SITE), root);
    else await buildSite(root);
  } catch (error) {
    await rm(top, { recursive: true, force: true });
    throw error;
  }
  const child = spawn('python3', ['-u', '-m', 'http.server', '0', '--bind', '127.0.0.1', '--directory', top], {
    stdio: ['ignore', 'pipe', 'pipe'], // stdout: the address; stderr: a line per request
  });
  /** @type {string[]} */
  const requestLog = [];
  let partial = '';
  child.stderr.on('data', (/** @type {Buffer} */ chunk) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    requestLog.push(...lines);
  });
  let output = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`python3 -m http.server did not start: ${output}`)), 60000);
    child.stdout.on('data', (/** @type {Buffer} */ chunk) => {
      output += chunk;
      const match = /\((http:\/\/[\d.]+:\d+\/)\)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(`${match[1]}${kSubPath}/`);
      }
    });
    child.on('error', (error) => reject(new Error(`cannot run python3 -m http.server (${error.message}): apt-get install -y python3`)));
    child.on('exit', (code) => reject(new Error(`python3 -m http.server exited (${code}): ${output}`)));
  });
  // A failing test must not leave the server or the copy behind: they go when this process
  // exits (see letServersEnd for a test that fails before it stops the server).
  kLiveServers.add(child);
  const cleanUp = () => {
    child.kill();
    rmSync(top, { recursive: true, force: true });
  };
  process.once('exit', cleanUp);
  return {
    url,
    root,
    requestLog: () => [...requestLog, ...(partial ? [partial] : [])],
    stop: async () => {
      process.removeListener('exit', cleanUp);
      kLiveServers.delete(child);
      if (child.exitCode === null && child.signalCode === null) {
        await new Promise((resolve) => {
          child.once('exit', resolve);
          child.kill();
        });
      }
      await rm(top, { recursive: true, force: true });
    },
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

/** The pids of this process's descendants whose command line has --type=renderer (chromium's renderers). */
export function rendererPids() {
  /** @type {Map<number, number[]>} */
  const children = new Map();
  /** @type {Map<number, string>} */
  const cmdlines = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const pid = Number(name);
      children.set(ppid, [...(children.get(ppid) ?? []), pid]);
      cmdlines.set(pid, readFileSync(`/proc/${name}/cmdline`, 'utf8'));
    } catch {
      // gone meanwhile
    }
  }
  const found = [];
  const stack = [process.pid];
  while (stack.length) {
    const pid = /** @type {number} */ (stack.pop());
    for (const child of children.get(pid) ?? []) {
      if (cmdlines.get(child)?.includes('--type=renderer')) found.push(child);
      stack.push(child);
    }
  }
  return found;
}
