// Hand-written types of the test module built from wasm/bindings.cpp + wasm/test_bindings.cpp
// (kolmo_wasm_test.{js,wasm} in build-wasm/wasm/, never shipped): every product binding
// (kolmo_wasm.d.ts) plus the rounding layer's insides. Keep in step with test_bindings.cpp: one
// declaration per binding (tests/node/wasm_types.test.mjs checks). Tests use it through
// tests/node/test_codec.mjs.

import type { EmbindHandle, KolmoWasmModule, KolmoWasmOptions, Result, TokenTree } from './kolmo_wasm.js';

export interface Quantizer extends EmbindHandle {
  /** Bin boundaries of `grid` (0 or 1) in log-odds, ascending. */
  boundaries(grid: number): Float64Array;
}

export interface QuantizerClass {
  /** The grids of the default GridSpec (a format constant, not exposed to JS). */
  build(): Result<Quantizer>;
}

export interface KolmoWasmTestModule extends KolmoWasmModule {
  /** Children of every internal node of `tree`, flattened ([2i] child 0, [2i+1] child 1; a leaf iff < vocabSize). */
  tokenTreeChildren(tree: TokenTree): Uint32Array;
  Quantizer: QuantizerClass;
  /** Words per internal node in dumpNodeTable's output (6). */
  kNodeDumpWords: number;
  /** (V-1) x kNodeDumpWords words for one (V,) logits vector; see rounding.h. */
  dumpNodeTable(tree: TokenTree, quantizer: Quantizer, logits: Float32Array, epsilon: number): Result<Uint32Array>;
}

/** The MODULARIZE factory: the default export of kolmo_wasm_test.js. */
export default function createKolmoTestModule(options?: KolmoWasmOptions): Promise<KolmoWasmTestModule>;
