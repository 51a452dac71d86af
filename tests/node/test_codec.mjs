// The test build of the WASM module for the tests and benches that look inside the rounding layer
// (tests/node/native_wasm.test.mjs, tests/node/noise.test.mjs, bench/drift_nodes.mjs): the
// product bindings plus wasm/test_bindings.cpp, built by scripts/build.sh as
// build-wasm/wasm/kolmo_wasm_test.{js,wasm} and never shipped. loadTestCodec() gives the codec.js
// Codec over it (so everything the product codec does works the same) with the test-only calls
// added. Its handles are its own: a tree of the product codec cannot go into this one.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Codec } from '../../web/lib/worker/codec.js';
import { repoRoot } from './helpers.mjs';

export const testModuleDir = join(repoRoot, 'build-wasm', 'wasm');

/** The quantization grids of the rounding layer (src/quantizer.h), the format's default spec. */
class Quantizer {
  constructor(handle) {
    this.handle = handle;
  }
  /** Bin boundaries of grid 0 or 1, in log-odds, ascending. @param {0|1} grid @returns {Float64Array} */
  boundaries(grid) {
    return this.handle.boundaries(grid);
  }
  dispose() {
    if (!this.handle.isDeleted()) this.handle.delete();
  }
}

/** codec.js's Codec with the calls of the test module (wasm/kolmo_wasm_test.d.ts). */
export class TestCodec extends Codec {
  /** Builds the quantization grids (the format's default GridSpec). */
  buildQuantizer() {
    return new Quantizer(this.check(this.wasm.Quantizer.build()));
  }

  /**
   * Rounding-layer dump for one (vocab,) logits vector: kNodeDumpWords words per internal
   * node (see rounding.h, dumpNodeTable). For native == WASM comparisons.
   * @returns {Uint32Array}
   */
  dumpNodeTable(tree, quantizer, logits, epsilon) {
    return this.check(this.wasm.dumpNodeTable(tree.handle, quantizer.handle, logits, epsilon));
  }

  /**
   * Children of every internal node i (node id vocabSize + i) of a tree: [2i] child 0, [2i+1]
   * child 1, as node ids (a leaf's id is its token id). @returns {Uint32Array}
   */
  treeChildren(tree) {
    return this.wasm.tokenTreeChildren(tree.handle);
  }
}

let shared = null;

/** Loads the test module once (Node) and returns a TestCodec over it. @returns {Promise<TestCodec>} */
export function loadTestCodec() {
  shared ??= (async () => {
    const { default: createKolmoTestModule } = await import(pathToFileURL(join(testModuleDir, 'kolmo_wasm_test.js')).href);
    const wasmBinary = await readFile(join(testModuleDir, 'kolmo_wasm_test.wasm'));
    return new TestCodec(await createKolmoTestModule({ wasmBinary }));
  })();
  return shared;
}
