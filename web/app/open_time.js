// @file How long opening a link will take on this device, judged from what the link declares
// before any decoding (the library's first decode progress carries `declared`). The opening's
// plan line says it (render.js), and app.js asks before it opens a link that takes longer than
// kAskAboveSeconds. No DOM writes and no library calls.
//
// The rates are the measured ones, rounded (README, the speed table): the core engine decodes
// ~1,000 tokens a second on one thread of a desktop CPU (896–977 in a Chromium worker), the
// model-free codecs ~1 MB a second; a long link's segments are counted as sharing the threads
// evenly. An estimate, not a measurement of this device: a phone, a busy machine, or cores that
// are hyperthreads take longer; the question is about minutes, not seconds.

/**
 * Above this estimate the page asks before opening a link (?ask-after=SECONDS overrides it, for
 * tests: link_state.js). At ~1,000 tokens a second a thread, that is a text of ~60 KB on one
 * thread, ~240 KB on four; a link of the model-free codecs (at most 4 MB, 1 MB a second) never asks.
 */
export const kAskAboveSeconds = 20;

const kTokensPerSecond = 1000;
const kModelFreeBytesPerSecond = 1e6;
// Bytes of text per token with km2: 2.9 over the eval set (178,507 B in 61,630 tokens); English
// prose 3.4 (6,233 B in 1,846 tokens), a mix with Chinese and code 2.5 (30,771 B in 12,400).
export const kBytesPerToken = 2.9;
// The library's default for `workers` (web/lib/worker/segments.js): the device's cores, at most 4.
const kMaxSegmentThreads = 4;

/**
 * Threads that decode a long link's segments side by side in this browser: the library's default
 * (app.js gives the same number to its opener, so that the estimate and the work agree).
 */
export function segmentThreads() {
  return Math.max(1, Math.min(kMaxSegmentThreads, globalThis.navigator?.hardwareConcurrency || 1));
}

/**
 * @typedef {{mode: 'stored'|'cm'|'lm', textBytes: number, maxTokens: number}} Declared  what a link
 *   declares (the library's Progress.declared): textBytes is exact for stored, cm and segmented
 *   lm links (-1 for an lm link of one stream, whose size class bounds its tokens: maxTokens)
 * @typedef {{seconds: number, tokens: number, threads: number, upTo: boolean}} OpeningTime
 *   tokens: the model's steps expected (0 without the model); threads: those that share them;
 *   upTo: the link gives only a bound (its size class can be up to twice the real count)
 */

/**
 * How long opening this link takes, or null when it says nothing of its size (a short lm link).
 * @param {Declared} declared @param {number} threads the opener's segment threads (1 on ONNX
 *   Runtime, which decodes segments one after another)
 * @returns {OpeningTime|null}
 */
export function openingTime(declared, threads) {
  if (declared.mode !== 'lm') {
    if (declared.textBytes < 0) return null;
    return { seconds: declared.textBytes / kModelFreeBytesPerSecond, tokens: 0, threads: 1, upTo: false };
  }
  if (declared.textBytes >= 0) {
    // Segmented: the exact length, and the segments' size classes as a bound on the tokens.
    const byLength = Math.ceil(declared.textBytes / kBytesPerToken);
    const tokens = declared.maxTokens > 0 ? Math.min(declared.maxTokens, byLength) : byLength;
    return { seconds: tokens / (kTokensPerSecond * threads), tokens, threads, upTo: false };
  }
  if (declared.maxTokens > 0) {
    return { seconds: declared.maxTokens / kTokensPerSecond, tokens: declared.maxTokens, threads: 1, upTo: true };
  }
  return null;
}
