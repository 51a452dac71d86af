// Reading the rounding layer from JS, for the tests and benches that look inside it
// (tests/node/noise.test.mjs, bench/drift_nodes.mjs): a token's path through the token tree, and
// the log-odds r and fragility flags of a node in dumpNodeTable()'s words (rounding.h:
// kNodeDumpWords = 6 per internal node: bin0, bin1, flags, probabilities, r low, r high). Both
// come from the test module (tests/node/test_codec.mjs).

const kWords = 6;
const kNoParent = 0xffffffff;

/** Paths through a TokenTree: `path(token)` gives the internal node indices, leaf to root. */
export class TreePaths {
  /**
   * @param {import('../node/test_codec.mjs').TestCodec} codec the test codec that built `tree`
   * @param {import('../../web/lib/worker/codec.js').TokenTree} tree
   */
  constructor(codec, tree) {
    const V = tree.vocabSize;
    this.vocab = V;
    this.children = codec.treeChildren(tree);
    this.parent = new Uint32Array(2 * V - 1).fill(kNoParent);
    for (let i = 0; i < V - 1; i++) this.parent[this.children[2 * i]] = this.parent[this.children[2 * i + 1]] = V + i;
  }

  /** @param {number} token @returns {number[]} */
  path(token) {
    const nodes = [];
    for (let id = token; this.parent[id] !== kNoParent; id = this.parent[id]) nodes.push(this.parent[id] - this.vocab);
    return nodes;
  }

  /** Calls f(token) for every leaf under node id (a token id, or vocab + internal index). */
  forLeaves(id, f) {
    const stack = [id];
    while (stack.length) {
      const n = /** @type {number} */ (stack.pop());
      if (n < this.vocab) f(n);
      else stack.push(this.children[2 * (n - this.vocab)], this.children[2 * (n - this.vocab) + 1]);
    }
  }
}

const bits = new Uint32Array(2);
const asDouble = new Float64Array(bits.buffer);

/** r of internal node `node` in a node dump. @param {Uint32Array} words @param {number} node */
export function dumpedLogOdds(words, node) {
  bits[0] = words[kWords * node + 4];
  bits[1] = words[kWords * node + 5];
  return asDouble[0];
}

/** Whether the dump marks `node` fragile on `grid` (0 or 1). */
export function dumpedFragile(words, node, grid) {
  return (words[kWords * node + 2] & (1 << grid)) !== 0;
}
