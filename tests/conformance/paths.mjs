// Inference paths: kolmo's core engine, or one ONNX Runtime backend with one thread count, in
// Node or in Chromium. Every
// path answers the same three calls, so the conformance tests and bench/drift.mjs can pair any
// two of them:
//   compress(bytes) -> {fragment, mode}     the public API (web/lib/index.js), as a user runs it,
//                                            always with the model (modes: ['lm'])
//   decompress(fragment) -> {bytes} | {error: {code, message}}
//   logits(seq, mode) -> Float32Array        pipeline.sequenceLogits: 'batched' (the encoder's
//                                            passes) or 'stepwise' (the decoder's KV-cache steps)
// Node paths run in a child process each (ORT Web's WASM module fixes its thread count once per
// process); browser paths in a page each, whose Kolmo runs in its Web Worker like the demo page.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const kProcess = fileURLToPath(new URL('./path_process.mjs', import.meta.url));

/** The Node paths: the core engine, ORT Node native CPU and ORT Web WASM, one and two threads. */
export const nodePathSpecs = [
  { name: 'node-core', backend: 'core', threads: 1 },
  { name: 'node-cpu-1t', backend: 'node', threads: 1 },
  { name: 'node-cpu-2t', backend: 'node', threads: 2 },
  { name: 'node-wasm-1t', backend: 'wasm', threads: 1 },
  { name: 'node-wasm-2t', backend: 'wasm', threads: 2 },
];

/** The browser paths (Chromium): the core engine, ORT Web WASM with one and two threads, WebGPU. */
export const browserPathSpecs = [
  { name: 'chromium-core', backend: 'core', threads: 1 },
  { name: 'chromium-wasm-1t', backend: 'wasm', threads: 1 },
  { name: 'chromium-wasm-2t', backend: 'wasm', threads: 2 },
  { name: 'chromium-webgpu', backend: 'webgpu', threads: 1 },
];

export class NodePath {
  #child;
  #next = 0;
  #pending = new Map();

  /** @param {{name: string, backend: string, threads: number}} spec */
  constructor(spec) {
    this.name = spec.name;
    this.spec = spec;
    this.#child = fork(kProcess, [spec.backend, String(spec.threads)], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.#child.on('message', (message) => {
      const pending = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      if (message.failure) pending?.reject(new Error(`${this.name}: ${message.failure}`));
      else pending?.resolve(message);
    });
    this.#child.on('exit', (code) => {
      for (const { reject } of this.#pending.values()) reject(new Error(`${this.name}: process exited (${code})`));
      this.#pending.clear();
    });
  }

  #call(message) {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#child.send({ id, ...message });
    });
  }

  /**
   * @param {Uint8Array} bytes @param {{segmentRule?: {segmentTokens: number, aboveTokens: number}}} [options]
   * @returns {Promise<{fragment: string, mode: string}>}
   */
  async compress(bytes, { segmentRule } = {}) {
    const { fragment, mode } = await this.#call({ op: 'compress', bytes, modes: ['lm'], segmentRule });
    return { fragment, mode };
  }

  /** @param {string} fragment @returns {Promise<{bytes?: Uint8Array, error?: {code: string, message: string}}>} */
  async decompress(fragment) {
    const { bytes, error } = await this.#call({ op: 'decompress', fragment });
    return error ? { error } : { bytes: new Uint8Array(bytes) };
  }

  /** @param {Uint32Array} seq @param {'batched'|'stepwise'} mode @returns {Promise<Float32Array>} */
  async logits(seq, mode) {
    return (await this.#call({ op: 'logits', seq: Array.from(seq), mode })).logits;
  }

  async close() {
    this.#child.disconnect();
  }
}

const toBase64 = (/** @type {Uint8Array} */ bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

export class BrowserPath {
  /** @param {import('playwright-core').BrowserContext} context @param {import('playwright-core').Page} page */
  constructor(spec, context, page) {
    this.name = spec.name;
    this.spec = spec;
    this.context = context;
    this.page = page;
  }

  /**
   * Opens a page of the demo server for one path.
   * @param {{name: string, backend: string, threads: number}} spec
   * @param {import('playwright-core').Browser} browser  launched with WebGPU for 'webgpu'
   * @param {string} serverUrl  the site (tests/e2e/browser.mjs startServer), maybe at a sub-path
   */
  static async open(spec, browser, serverUrl) {
    const context = await browser.newContext();
    const { isolatedLibraryPage } = await import('../e2e/browser.mjs'); // not loaded for the Node paths
    const page = await isolatedLibraryPage(context, serverUrl);
    await page.evaluate(async ({ backend, threads }) => {
      const site = new URL('./', location.href).href; // the site may be served from a sub-path
      const { Kolmo } = await import(`${site}lib/index.js`);
      const kolmo = new Kolmo({ backends: [backend], threads, ortBaseUrl: `${site}ort/`, modelBaseUrl: `${site}models/`, cache: false });
      const fromBase64 = (/** @type {string} */ s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
      const toBase64 = (/** @type {Uint8Array} */ u8) => {
        let s = '';
        for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode.apply(null, /** @type {any} */ (u8.subarray(i, i + 0x8000)));
        return btoa(s);
      };
      /** @type {Promise<any>|null} */
      let direct = null;
      const openDirect = async () => {
        const { loadCodec } = await import(`${site}lib/worker/codec.js`);
        const { createLanguageModel } = await import(`${site}lib/worker/model.js`);
        const { manifestEntry } = await import(`${site}lib/worker/model_manifest.js`);
        const entry = manifestEntry(await (await fetch(`${site}models/manifest.json`)).json());
        if (backend === 'core') {
          const { createCoreModel } = await import(`${site}lib/worker/core_model.js`);
          const codec = await loadCodec();
          const modelBytes = new Uint8Array(await (await fetch(`${site}models/${entry.id}/model.onnx`)).arrayBuffer());
          return { codec, model: createCoreModel(codec, modelBytes, entry) };
        }
        const ort = await import(`${site}ort/${backend === 'webgpu' ? 'ort.min.mjs' : 'ort.wasm.min.mjs'}`);
        ort.env.wasm.wasmPaths = `${site}ort/`;
        ort.env.wasm.numThreads = threads;
        const modelBytes = new Uint8Array(await (await fetch(`${site}models/${entry.id}/model.onnx`)).arrayBuffer());
        const model = await createLanguageModel({ ort, modelBytes, shape: entry, backends: [backend], threads, gpuKvCache: true });
        if (model.backend !== backend) throw new Error(`model runs on ${model.backend}`);
        return { codec: await loadCodec(), model };
      };
      /** @type {Map<string, any>} an instance per segment rule asked for (FORMAT.md §5.7) */
      const bySegmentRule = new Map();
      const kolmoFor = (/** @type {any} */ rule) => {
        if (!rule) return kolmo;
        const key = JSON.stringify(rule);
        if (!bySegmentRule.has(key)) {
          bySegmentRule.set(key, new Kolmo({ backends: [backend], threads, ortBaseUrl: `${site}ort/`, modelBaseUrl: `${site}models/`, cache: false, segmentRule: rule }));
        }
        return bySegmentRule.get(key);
      };
      /** @type {any} */ (window).kolmoPath = {
        async compress(/** @type {string} */ b64, /** @type {any} */ segmentRule) {
          const { fragment, stats } = await kolmoFor(segmentRule).compress(fromBase64(b64), { modes: ['lm'] });
          if (stats.backend !== backend) throw new Error(`ran on ${stats.backend}, not ${backend}`);
          return { fragment, mode: stats.mode };
        },
        async decompress(/** @type {string} */ fragment) {
          try {
            return { bytes: toBase64(await kolmo.decompress(fragment, { output: 'bytes' })) };
          } catch (/** @type {any} */ error) {
            return { error: { code: error?.code ?? 'internal', message: String(error?.message ?? error) } };
          }
        },
        async logits(/** @type {number[]} */ seq, /** @type {string} */ mode) {
          direct ??= openDirect();
          const { codec, model } = await direct;
          const { sequenceLogits } = await import(`${site}lib/worker/pipeline.js`);
          const logits = await sequenceLogits(codec, model, Uint32Array.from(seq), /** @type {any} */ (mode));
          return toBase64(new Uint8Array(logits.buffer, logits.byteOffset, logits.byteLength));
        },
      };
    }, { backend: spec.backend, threads: spec.threads });
    return new BrowserPath(spec, context, page);
  }

  /**
   * @param {Uint8Array} bytes @param {{segmentRule?: {segmentTokens: number, aboveTokens: number}}} [options]
   * @returns {Promise<{fragment: string, mode: string}>}
   */
  async compress(bytes, { segmentRule } = {}) {
    return this.page.evaluate(([b64, rule]) => /** @type {any} */ (window).kolmoPath.compress(b64, rule), /** @type {[string, any]} */ ([toBase64(bytes), segmentRule]));
  }

  /** @param {string} fragment @returns {Promise<{bytes?: Uint8Array, error?: {code: string, message: string}}>} */
  async decompress(fragment) {
    const out = await this.page.evaluate((f) => /** @type {any} */ (window).kolmoPath.decompress(f), fragment);
    return out.error ? { error: out.error } : { bytes: new Uint8Array(Buffer.from(out.bytes, 'base64')) };
  }

  /** @param {Uint32Array} seq @param {'batched'|'stepwise'} mode @returns {Promise<Float32Array>} */
  async logits(seq, mode) {
    const b64 = await this.page.evaluate(([s, m]) => /** @type {any} */ (window).kolmoPath.logits(s, m), [Array.from(seq), mode]);
    const bytes = Buffer.from(b64, 'base64');
    return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  }

  async close() {
    await this.context.close();
  }
}
