// @file The only module that talks to ONNX Runtime: creates an inference session for a kolmo model
// (or any decoder exported with Optimum naming) and runs it two ways — a batched pass over a window
// from an empty cache (encoding) and single steps with a KV cache (decoding).
//
// Backends: 'node' (onnxruntime-node, native CPU), 'wasm' (onnxruntime-web's WASM build, in Node or
// a browser), 'webgpu' (onnxruntime-web, browsers). The caller passes the ORT module it loaded, so
// bundles only carry the runtime they use; `backend` reports what actually runs.
import { KolmoError } from '../shared/errors.js';
import { checkGraphConvention } from './model_manifest.js';
import { expandInt8Weights } from './onnx_weights.js';

/**
 * @typedef {{vocab_size: number, eot_id: number, context: number, n_layers: number, n_heads: number, head_dim: number}} ModelShape
 */

/**
 * The inputs of one run of an Optimum-style decoder, batch 1: `tokens` at positions
 * pastLength.., attending to everything before them; `past` is the previous run's outputs
 * (its present.* tensors become past_key_values.*) or null for an empty cache.
 * @param {any} ort @param {ModelShape} shape @param {ArrayLike<number>} tokens
 * @param {number} pastLength @param {Record<string, any>|null} past
 */
export function decoderFeeds(ort, shape, tokens, pastLength, past) {
  const n = tokens.length;
  /** @type {Record<string, any>} */
  const feeds = {
    input_ids: new ort.Tensor('int64', BigInt64Array.from(tokens, (t) => BigInt(t)), [1, n]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(pastLength + n).fill(1n), [1, pastLength + n]),
    position_ids: new ort.Tensor('int64', BigInt64Array.from(tokens, (_, i) => BigInt(pastLength + i)), [1, n]),
  };
  for (let i = 0; i < shape.n_layers; i++) {
    for (const kv of ['key', 'value']) {
      feeds[`past_key_values.${i}.${kv}`] = past
        ? past[`present.${i}.${kv}`]
        : new ort.Tensor('float32', new Float32Array(0), [1, shape.n_heads, 0, shape.head_dim]);
    }
  }
  return feeds;
}

export class LanguageModel {
  #ort;
  #session;
  #shape;
  #past = null; // outputs of the last step: present.* tensors
  #pastLength = 0;

  /** Use createLanguageModel(). */
  constructor(ort, session, shape, backend) {
    this.#ort = ort;
    this.#session = session;
    this.#shape = shape;
    /** The backend that runs: 'node' | 'wasm' | 'webgpu'. */
    this.backend = backend;
    this.vocabSize = shape.vocab_size;
    this.eotId = shape.eot_id;
    /** Context window in tokens (kolmo's context-window rule uses it). */
    this.context = shape.context;
  }

  #feeds(tokens, pastLength) {
    return decoderFeeds(this.#ort, this.#shape, tokens, pastLength, this.#past);
  }


  async #run(feeds) {
    try {
      return await this.#session.run(feeds);
    } catch (error) {
      throw new KolmoError('backend_failed', `${this.backend}: ${error?.message ?? error}`);
    }
  }

  #disposePast() {
    if (this.#past) for (const t of Object.values(this.#past)) t.dispose?.();
    this.#past = null;
    this.#pastLength = 0;
  }

  /**
   * Batched pass over `tokens` (positions 0..n-1, empty cache); the cache then holds them, so
   * step() can continue the window. @returns {Promise<Float32Array>} (n, vocab) row-major logits
   */
  async prefill(tokens) {
    if (tokens.length === 0 || tokens.length > this.context) {
      throw new KolmoError('bad_argument', `prefill: ${tokens.length} tokens for a context of ${this.context}`);
    }
    this.#disposePast();
    const out = await this.#run(this.#feeds(tokens, 0));
    const logits = /** @type {Float32Array} */ (await out.logits.getData());
    out.logits.dispose?.();
    this.#past = out;
    delete this.#past.logits;
    this.#pastLength = tokens.length;
    return logits;
  }

  /** Feeds one more token of the current window. @returns {Promise<Float32Array>} (vocab,) logits */
  async step(token) {
    if (this.#pastLength >= this.context) {
      throw new KolmoError('bad_argument', `step: the window of ${this.context} tokens is full`);
    }
    const length = this.#pastLength + 1;
    const out = await this.#run(this.#feeds([token], this.#pastLength));
    const logits = /** @type {Float32Array} */ (await out.logits.getData());
    out.logits.dispose?.();
    this.#disposePast();
    this.#past = out;
    delete this.#past.logits;
    this.#pastLength = length;
    return logits;
  }

  /** Number of tokens in the current window (the KV cache length). */
  get windowLength() {
    return this.#pastLength;
  }

  /** Frees the session and the cache. */
  async dispose() {
    this.#disposePast();
    await this.#session.release?.();
  }
}

/**
 * Creates the session for `modelBytes` (model.onnx) on the first backend in `backends` that works.
 * @param {{ort: any, modelBytes: Uint8Array, shape: ModelShape, backends: string[], threads?: number,
 *   gpuKvCache?: boolean}} options
 *   ort: the onnxruntime-node or onnxruntime-web module; backends: e.g. ['webgpu', 'wasm'] or ['node'].
 *   gpuKvCache: on 'webgpu', keep the present.* outputs in GPU buffers (preferredOutputLocation)
 *   so that a step feeds the cache back without a round trip through the CPU.
 * @returns {Promise<LanguageModel>}
 */
export async function createLanguageModel({ ort, modelBytes, shape, backends, threads = 1, gpuKvCache = false }) {
  // ORT Web would dequantize the int8 weights at every step; see onnx_weights.js.
  const graphBytes = expandInt8Weights(modelBytes);
  const failures = [];
  for (const backend of backends) {
    try {
      const executionProviders = backend === 'node' ? ['cpu'] : [backend];
      if (backend === 'wasm' && ort.env?.wasm) ort.env.wasm.numThreads = threads;
      /** @type {Record<string, string>} */
      const outputLocations = {};
      if (backend === 'webgpu' && gpuKvCache) {
        for (let i = 0; i < shape.n_layers; i++) {
          for (const kv of ['key', 'value']) outputLocations[`present.${i}.${kv}`] = 'gpu-buffer';
        }
      }
      const session = await ort.InferenceSession.create(graphBytes, {
        executionProviders,
        graphOptimizationLevel: 'all',
        ...(backend === 'node' ? { intraOpNumThreads: threads } : {}),
        ...(Object.keys(outputLocations).length ? { preferredOutputLocation: outputLocations } : {}),
      });
      checkGraphConvention(session.inputNames, session.outputNames, shape.n_layers);
      return new LanguageModel(ort, session, shape, backend);
    } catch (error) {
      if (error instanceof KolmoError && error.code === 'bad_model') throw error;
      failures.push(`${backend}: ${error?.message ?? error}`);
    }
  }
  throw new KolmoError('backend_failed', `no backend could run the model (${failures.join('; ')})`);
}
