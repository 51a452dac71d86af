// @ts-check
// @file The core's model engine (src/transformer.h) as a LanguageModel — the interface of
// model.js, which wraps ONNX Runtime. The pipeline codes links on this backend with the core's
// link jobs (pipeline.js: the logits never leave the WASM module); prefill() and step() serve
// the tools that compare its logits with ONNX Runtime's (bench/drift.mjs, the conformance
// tests). stats.backend calls it 'core'.
import { KolmoError } from '../shared/errors.js';

export class CoreLanguageModel {
  /**
   * @param {import('./codec.js').ModelEngine} engine
   * @param {{vocab_size: number, eot_id: number, context: number}} shape the manifest entry
   */
  constructor(engine, shape) {
    /** The engine the link jobs run on. */
    this.engine = engine;
    this.backend = 'core';
    this.vocabSize = shape.vocab_size;
    this.eotId = shape.eot_id;
    this.context = shape.context;
  }

  /** A new window over `tokens`. @param {ArrayLike<number>} tokens @returns {Promise<Float32Array>} (n, vocab) */
  async prefill(tokens) {
    if (tokens.length === 0 || tokens.length > this.context) {
      throw new KolmoError('bad_argument', `prefill: ${tokens.length} tokens for a context of ${this.context}`);
    }
    this.engine.reset();
    return /** @type {Float32Array} */ (this.engine.append(tokens, true));
  }

  /** One more token of the window. @param {number} token @returns {Promise<Float32Array>} (vocab,) */
  async step(token) {
    if (this.engine.windowLength >= this.context) {
      throw new KolmoError('bad_argument', `step: the window of ${this.context} tokens is full`);
    }
    return /** @type {Float32Array} */ (this.engine.append([token], true));
  }

  get windowLength() {
    return this.engine.windowLength;
  }

  async dispose() {
    this.engine.dispose();
  }
}

/**
 * Loads model.onnx into the core's engine. KolmoError 'bad_model' when the file is not a model
 * the engine can run, 'out_of_memory' when its weights do not fit.
 * @param {import('./codec.js').Codec} codec @param {Uint8Array} modelBytes
 * @param {{vocab_size: number, eot_id: number, context: number, n_heads: number, id?: string}} shape
 */
export function createCoreModel(codec, modelBytes, shape) {
  const engine = codec.loadModelEngine(modelBytes, shape);
  if (engine.vocabSize !== shape.vocab_size || engine.context !== shape.context) {
    engine.dispose();
    throw new KolmoError('bad_model', `the model file of ${shape.id ?? 'this model'} has a vocabulary of ${engine.vocabSize}; its manifest says ${shape.vocab_size}`);
  }
  return new CoreLanguageModel(engine, shape);
}
