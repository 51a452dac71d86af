// Shared by bench/speed.mjs and bench/gpu_speed.mjs: encode and decode tokens/s of one backend
// in a page of the built site, through the library (its Web Worker), links of the model only.

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
