// @file The opening of the address's link on the page's own clock: performance marks named
// kolmo:<step>, in ms since navigation start (performance.timeOrigin), each step marked once per
// page load. bench/cached_open.mjs reads them (performance.getEntriesByType('mark')); with
// ?timing in the address the page shows them under the opened text, e.g.
//
//   app 41 · open 58 · model files 190 · engine 231 · first tokens 262 · decoded 268 · shown 270
//
// Steps, in order (see app.js): app — the page's modules are evaluated; open — the link goes to
// the library; model-files — the model is read (the 'load' progress starts); engine — the model's
// engine is ready; first-tokens — the first decoded tokens arrive; decoded — the verified text is
// back; shown — it is on the page.

const kPrefix = 'kolmo:';
/** The steps marked so far. @type {Set<string>} */
const marked = new Set();

/** Marks `step` now, unless it was marked already in this page. @param {string} step */
export function mark(step) {
  if (marked.has(step) || typeof performance?.mark !== 'function') return;
  marked.add(step);
  performance.mark(kPrefix + step);
}

/** The marks so far, in time order: [step, ms since navigation start]. @returns {Array<[string, number]>} */
export function marks() {
  return performance.getEntriesByType('mark')
    .filter((entry) => entry.name.startsWith(kPrefix))
    .map((entry) => /** @type {[string, number]} */ ([entry.name.slice(kPrefix.length), entry.startTime]));
}

/** The marks as one line of text: "app 41 · open 58 · …". */
export function timingLine() {
  return marks().map(([step, ms]) => `${step.replace('-', ' ')} ${Math.round(ms)}`).join(' · ');
}
