// The conformance matrix: every text encoded on every path A decodes exactly on every path B.
// Encoders that produce the same fragment share its decodes (a decode on B proves the pair for
// each A that made it), so distinct fragments are decoded once per decoder path.
//
// Used by tests/node/conformance.test.mjs (Node paths) and tests/e2e/conformance.test.mjs
// (browser paths, with one Node path to cross between the two).

/**
 * @param {{name: string, bytes: Uint8Array}[]} texts
 * @param {{name: string, compress: (b: Uint8Array) => Promise<{fragment: string, mode: string}>,
 *   decompress: (f: string) => Promise<{bytes?: Uint8Array, error?: {code: string, message: string}}>}[]} encoders
 * @param {typeof encoders} decoders
 * @param {{encodes?: (path: any, text: any) => boolean, decodes?: (path: any, text: any) => boolean,
 *   log?: (line: string) => void}} [options]  which texts each path takes (default: all)
 * @returns {Promise<{pairs: number, decodes: number, distinct: number, failures: string[], modes: Record<string, number>}>}
 *   pairs: (encoder, decoder, text) triples checked; modes: distinct fragments per container mode
 */
export async function runMatrix(texts, encoders, decoders, { encodes = () => true, decodes = () => true, log = () => {} } = {}) {
  /** fragment -> {text, madeBy: names} per text */
  const fragments = texts.map(() => new Map());
  const started = Date.now();
  const seconds = () => ((Date.now() - started) / 1000).toFixed(0);
  // Each path works through its list in order; different paths run at the same time.
  await Promise.all(encoders.map(async (path) => {
    for (const [i, text] of texts.entries()) {
      if (!encodes(path, text)) continue;
      const { fragment, mode } = await path.compress(text.bytes);
      const made = fragments[i].get(fragment) ?? { madeBy: [], mode };
      fragments[i].set(fragment, { ...made, madeBy: [...made.madeBy, path.name] });
    }
    log(`${path.name}: encoded at ${seconds()} s`);
  }));
  const failures = [];
  const modes = {};
  let pairs = 0;
  let decodeCount = 0;
  let distinct = 0;
  for (const [i, byFragment] of fragments.entries()) {
    distinct += byFragment.size;
    for (const { mode } of byFragment.values()) modes[mode] = (modes[mode] ?? 0) + 1;
    if (byFragment.size > 1) log(`${texts[i].name}: ${byFragment.size} different fragments (${[...byFragment.values()].map((m) => m.madeBy.join('+')).join(' / ')})`);
  }
  await Promise.all(decoders.map(async (path) => {
    for (const [i, text] of texts.entries()) {
      if (!decodes(path, text)) continue;
      for (const [fragment, { madeBy }] of fragments[i]) {
        const out = await path.decompress(fragment);
        decodeCount++;
        pairs += madeBy.length;
        const pair = `${text.name}: made on ${madeBy.join(', ')}, opened on ${path.name}`;
        if (out.error) failures.push(`${pair}: ${out.error.code}: ${out.error.message}`);
        else if (Buffer.compare(Buffer.from(out.bytes), Buffer.from(text.bytes)) !== 0) failures.push(`${pair}: A DIFFERENT TEXT`);
      }
    }
    log(`${path.name}: decoded at ${seconds()} s`);
  }));
  return { pairs, decodes: decodeCount, distinct, failures, modes };
}

