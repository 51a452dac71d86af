// Conformance matrix, Node paths: every tested eval text compressed on each of ORT Node (native
// CPU) and ORT Web WASM, with 1 and 2 threads, opens exactly on each of them (tests/conformance/).
// Through the public API, each path in a process of its own. `npm test` takes the sample of
// testedEvalTexts() (every category, the hardest texts by drift); `npm run conformance` all 160
// texts, ~61,000 tokens, decoded once per distinct fragment on each of 4 paths (minutes).
import test from 'node:test';
import assert from 'node:assert/strict';
import { testedEvalTexts } from '../conformance/eval_texts.mjs';
import { runMatrix } from '../conformance/matrix.mjs';
import { NodePath, nodePathSpecs } from '../conformance/paths.mjs';

test('every eval text made on any Node path opens exactly on every Node path', async (t) => {
  const texts = testedEvalTexts();
  const paths = nodePathSpecs.map((spec) => new NodePath(spec));
  try {
    const result = await runMatrix(texts, paths, paths, { log: (line) => t.diagnostic(line) });
    t.diagnostic(`${texts.length} texts (KOLMO_EVAL=${texts.tier}) x ${paths.length} encoders x ${paths.length} decoders: ${result.pairs} pairs checked ` +
      `with ${result.decodes} decodes of ${result.distinct} distinct fragments (modes ${JSON.stringify(result.modes)})`);
    assert.deepEqual(result.failures, []);
    assert.equal(result.pairs, texts.length * paths.length * paths.length);
    assert.deepEqual(Object.keys(result.modes), ['lm'], 'every link is coded with the model');
  } finally {
    for (const path of paths) await path.close();
  }
});
