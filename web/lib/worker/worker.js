// @ts-check
// @file The Web Worker that owns the heavy work: ONNX Runtime Web, the WASM codec and the
// pipeline (engine.js), so that the page stays responsive while a model loads or a text codes.
// Speaks the protocol of shared/messages.js: one request at a time, in arrival order; progress
// and decoded tokens are messages too. The page side (page/hosts.js) aborts by terminating this
// worker.
//
//   new Worker(new URL('../worker/worker.js', import.meta.url), { type: 'module' })   (page/hosts.js)
import { EngineSlot, asKolmoError } from './engine.js';
import { Kind, reply, failure, transferablesOf } from '../shared/messages.js';

const engines = new EngineSlot();
let queue = Promise.resolve();

const scope = /** @type {any} */ (globalThis);

/** @param {import('../shared/messages.js').Message} message */
function post(message) {
  scope.postMessage(message, transferablesOf(message));
}

/** @param {import('../shared/messages.js').Message} message */
async function handle(message) {
  const { type, id } = message;
  try {
    const onProgress = (/** @type {import('../shared/messages.js').Progress} */ p) => post(reply(Kind.progress, id, p));
    const out = await engines.run(type, message.in ?? {}, { onProgress, onTokens: (tokens) => post(reply(Kind.tokens, id, tokens)) });
    post(reply(type, id, out));
  } catch (error) {
    post(failure(type, id, asKolmoError(error)));
  }
}

scope.onmessage = (/** @type {MessageEvent} */ event) => {
  queue = queue.then(() => handle(event.data));
};
