// @ts-check
// @file The Web Worker that owns the heavy work: ONNX Runtime Web, the WASM codec and the
// pipeline (engine.js), so that the page stays responsive while a model loads or a text codes.
// Speaks the protocol of messages.js: one request at a time, in arrival order; progress and
// decoded tokens are messages too. The page side (index.js) aborts by terminating this worker.
//
//   new Worker(new URL('./worker.js', import.meta.url), { type: 'module' })
import { Engine, asKolmoError } from './engine.js';
import { Kind, reply, failure, transferablesOf } from './messages.js';
import { KolmoError } from './codec.js';

/** @type {Engine|null} */
let engine = null;
let engineKey = '';
let queue = Promise.resolve();

const scope = /** @type {any} */ (globalThis);

/** @param {import('./messages.js').Message} message */
function post(message) {
  scope.postMessage(message, transferablesOf(message));
}

/** @param {import('./messages.js').Message} message */
async function handle(message) {
  const { type, id } = message;
  try {
    const input = message.in ?? {};
    const settings = input.settings;
    if (!settings || !Array.isArray(settings.backends)) throw new KolmoError('bad_argument', `${type}: settings missing`);
    const key = JSON.stringify(settings);
    if (engine === null || key !== engineKey) {
      await engine?.dispose();
      engine = new Engine(settings);
      engineKey = key;
    }
    const onProgress = (/** @type {import('./messages.js').Progress} */ p) => post(reply(Kind.progress, id, p));
    const out = await engine.run(type, input, { onProgress, onTokens: (tokens) => post(reply(Kind.tokens, id, tokens)) });
    post(reply(type, id, out));
  } catch (error) {
    post(failure(type, id, asKolmoError(error)));
  }
}

scope.onmessage = (/** @type {MessageEvent} */ event) => {
  queue = queue.then(() => handle(event.data));
};
