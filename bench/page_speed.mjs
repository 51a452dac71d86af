// Shared by the benches that drive a page of the built site: encode and decode tokens/s of one
// backend through the library (its Web Worker), links of the model only (bench/speed.mjs,
// bench/gpu_speed.mjs); one timed opening of a link by the page (bench/speed.mjs,
// bench/cached_open.mjs); medians.

/**
 * @param {import('playwright-core').Page} page  a page of the site (any file of it)
 * @param {string} backend  'core' | 'wasm' | 'webgpu'
 * @param {Uint8Array[]} texts
 * @param {{workers?: number}} [options]  threads a link may use (default 1; with more, the helpers
 *   are started, and their model loaded, by a first link before the clock runs)
 * @returns {Promise<{tokens: number, encodePerSecond: number, decodePerSecond: number, backend: string, fragments: string[]}>}
 */
export function pageThroughput(page, backend, texts, { workers = 1 } = {}) {
  return page.evaluate(async ({ backend, samples, workers }) => {
    const site = new URL('./', location.href).href;
    const { Kolmo } = await import(`${site}lib/index.js`);
    const kolmo = new Kolmo({ backends: [backend], threads: 1, workers, ortBaseUrl: `${site}ort/`, modelBaseUrl: `${site}models/`, cache: false });
    await kolmo.load();
    if (workers > 1) await kolmo.compress(Uint8Array.from(samples[0]), { modes: ['lm'] });
    let tokens = 0, encodeMs = 0, decodeMs = 0, ran = '';
    /** @type {string[]} */
    const fragments = [];
    for (const sample of samples) {
      const bytes = Uint8Array.from(sample);
      const { fragment, stats } = await kolmo.compress(bytes, { modes: ['lm'] });
      fragments.push(fragment);
      /** @type {any} */
      let decodeStats = null;
      const back = await kolmo.decompress(fragment, { output: 'bytes', onStats: (/** @type {any} */ s) => { decodeStats = s; } });
      if (back.length !== bytes.length || back.some((b, i) => b !== bytes[i])) throw new Error('round trip failed');
      tokens += stats.tokens + 1;
      encodeMs += stats.codeMs;
      decodeMs += decodeStats.codeMs;
      ran = stats.backend;
    }
    kolmo.dispose();
    return { tokens, encodePerSecond: (tokens / encodeMs) * 1000, decodePerSecond: (tokens / decodeMs) * 1000, backend: ran, fragments };
  }, { backend, samples: texts.map((t) => Array.from(t)), workers });
}

/** The page's state once an opened link's text is shown (web/app/render.js). */
const kDone = '[data-kolmo="output"][data-kolmo-state="done"]';

/**
 * Navigates `page` to `url` (a page of the site with a link's fragment) and waits for the text.
 * @param {import('playwright-core').Page} page @param {string} url @param {string} expected the link's text
 * @param {{timeout?: number}} [options]
 * @returns {Promise<{wall: number, marks: Record<string, number>, navigation: number, controlled: boolean}>}
 *   wall: ms from page.goto() to the done state as playwright's polling sees it; marks: the
 *   page's kolmo:* performance marks (web/app/timing.js), ms after navigation start; navigation:
 *   when the page's response ended; controlled: whether the service worker served the page
 */
export async function openTimed(page, url, expected, { timeout = 60000 } = {}) {
  const start = Date.now();
  await page.goto(url);
  await page.waitForSelector(kDone, { timeout, state: 'attached' });
  const wall = Date.now() - start;
  const text = await page.$eval('[data-kolmo="output"]', (el) => el.textContent);
  if (text !== expected) throw new Error(`${url}: another text was decoded: ${text}`);
  const { marks, navigation, controlled } = await page.evaluate(() => ({
    marks: performance.getEntriesByType('mark').filter((m) => m.name.startsWith('kolmo:')).map((m) => [m.name.slice(6), m.startTime]),
    navigation: /** @type {PerformanceNavigationTiming} */ (performance.getEntriesByType('navigation')[0])?.responseEnd ?? NaN,
    controlled: Boolean(navigator.serviceWorker?.controller),
  }));
  return { wall, marks: Object.fromEntries(marks), navigation, controlled };
}

/** Median of a list of numbers. @param {number[]} xs */
export function median(xs) {
  const sorted = [...xs].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
