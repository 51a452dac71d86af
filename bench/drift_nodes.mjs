// What the rounding layer actually sees of the drift between the encoder's and a decoder's
// logits. The guarantee of docs/DETERMINISM.md §5 needs max |Δlogit| <= ε (the max norm); but
// a decision's log-odds r are shift-invariant and average the drift over subtrees, so the
// figure that decides whether a decode could go wrong is |Δr| at a node, against the 2ε + τ
// margin. Per row this prints the three views of one drift:
//   max |Δ|            the max norm (the guarantee's quantity)
//   (max Δ - min Δ)/2  the max norm after the best common shift (r ignores shifts)
//   max |Δr| / 2       over every internal node of the token tree (and over the coded path)
//
//   node bench/drift_nodes.mjs [--limit N]
// Encoder: ORT Node CPU, batched (the CLI's default); decoder: ORT Web WASM, stepwise (the
// page's default), the pair with the largest drift over all eval texts in bench/drift.mjs.
import { evalTexts } from '../tests/conformance/eval_texts.mjs';
import { openShippedModel } from '../tests/conformance/shipped_model.mjs';
import { TreePaths, dumpedLogOdds } from '../tests/conformance/tree_view.mjs';
import { codedSequence, sequenceLogits } from '../web/lib/worker/pipeline.js';
import { loadTestCodec } from '../tests/node/test_codec.mjs';

const args = process.argv.slice(2);
const limit = args.includes('--limit') ? Number(args[args.indexOf('--limit') + 1]) : Infinity;
const encoder = await openShippedModel({ backend: 'node' });
const decoder = await openShippedModel({ backend: 'wasm' });
const { codec, tokenizer, tree, entry } = encoder;
// The rounding layer's tables come from the test module (tests/node/test_codec.mjs), over its own
// copy of the tree.
const probe = await loadTestCodec();
const probeTree = probe.buildTokenTree(tokenizer.tokenCounts());
const quantizer = probe.buildQuantizer();
const epsilon = codec.defaultEpsilon();
const V = entry.vocab_size;
const paths = new TreePaths(probe, probeTree);

const logOdds = (/** @type {Float32Array} */ row) => {
  const words = probe.dumpNodeTable(probeTree, quantizer, row, epsilon);
  return Float64Array.from({ length: V - 1 }, (_, n) => dumpedLogOdds(words, n));
};

const worst = { maxNorm: 0, shifted: 0, allNodes: 0, pathNodes: 0 };
const where = {};
let rows = 0;
for (const text of evalTexts().slice(0, limit)) {
  const seq = codedSequence(tokenizer.encode(text.bytes), entry.eot_id);
  const a = await sequenceLogits(codec, encoder.model, seq, 'batched');
  const b = await sequenceLogits(codec, decoder.model, seq, 'stepwise');
  for (let row = 0; row < seq.length - 1; row++) {
    const ra = a.subarray(row * V, (row + 1) * V);
    const rb = b.subarray(row * V, (row + 1) * V);
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < V; i++) {
      const d = ra[i] - rb[i];
      if (d < lo) lo = d;
      if (d > hi) hi = d;
    }
    const figures = { maxNorm: Math.max(hi, -lo), shifted: (hi - lo) / 2, allNodes: 0, pathNodes: 0 };
    const rA = logOdds(ra);
    const rB = logOdds(rb);
    for (let n = 0; n < V - 1; n++) figures.allNodes = Math.max(figures.allNodes, Math.abs(rA[n] - rB[n]) / 2);
    for (const n of paths.path(seq[row + 1])) {
      figures.pathNodes = Math.max(figures.pathNodes, Math.abs(rA[n] - rB[n]) / 2);
    }
    for (const key of Object.keys(worst)) {
      if (figures[key] > worst[key]) {
        worst[key] = figures[key];
        where[key] = `${text.name} row ${row}`;
      }
    }
    rows++;
  }
}
console.log(`${rows} rows; encoder ORT Node CPU batched, decoder ORT Web WASM stepwise; ε = ${epsilon}`);
console.log('| view of the drift | worst row | where | margin ε / worst |');
console.log('|---|---|---|---|');
const label = { maxNorm: 'max abs Δlogit', shifted: '(max Δ − min Δ) / 2', allNodes: 'max abs Δr / 2, all nodes', pathNodes: 'max abs Δr / 2, coded path' };
for (const key of Object.keys(worst)) {
  console.log(`| ${label[key]} | ${worst[key].toExponential(2)} | ${where[key]} | ${(epsilon / worst[key]).toFixed(1)}× |`);
}
await encoder.model.dispose();
await decoder.model.dispose();
