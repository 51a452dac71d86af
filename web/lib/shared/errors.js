// @ts-check
// @file The library's error type, how a failure is classified, and the one table of what each
// error code means: KolmoError (re-exported by worker/codec.js and index.js), abortError (an
// aborted call, page side and worker side), isOutOfMemory (the engine, in-process or in the
// worker, and page/hosts.js for a worker that crashed), kErrorTexts (the library's messages,
// which the CLI prints, and the page's sentences).

/** An error from the kolmo core: `code` is the stable status name, e.g. 'checksum_mismatch'. */
export class KolmoError extends Error {
  /**
   * @param {string} code stable status name (kolmo::statusName), e.g. 'truncated'
   * @param {string} [message]
   */
  constructor(code, message) {
    super(message ? `${code}: ${message}` : code);
    this.name = 'KolmoError';
    /** the stable code: compare it with the names of KolmoErrorCode (index.js) */
    this.code = /** @type {import('../index.js').KolmoErrorCode} */ (code);
  }
}

/**
 * The error of work stopped by an AbortSignal: KolmoError 'aborted' with the signal's reason.
 * @param {AbortSignal} signal
 */
export function abortError(signal) {
  const reason = /** @type {any} */ (signal.reason);
  return new KolmoError('aborted', String(reason?.message ?? reason ?? 'aborted'));
}

// Memory exhaustion as the core (std::bad_alloc), Emscripten (Cannot enlarge memory, Aborted(OOM)),
// ONNX Runtime and the JS engines word it. Not a trap such as "memory access out of bounds": that
// is a bug, not a lack of memory.
const kOutOfMemory =
  /out of memory|bad_alloc|Cannot enlarge memory|failed to allocate|could not allocate|Array buffer allocation failed|Aborted\(OOM\)|\bOOM\b/i;

/**
 * Whether a thrown value (or a worker's error message) says that memory ran out: the messages
 * above, or a RangeError about memory, allocation or a buffer (a typed array or WebAssembly.Memory
 * that could not be allocated).
 * @param {unknown} error @returns {boolean}
 */
export function isOutOfMemory(error) {
  const message = String(/** @type {any} */ (error)?.message ?? error);
  const rangeError = error instanceof RangeError || /^(Uncaught )?RangeError\b/.test(message);
  return kOutOfMemory.test(message) || (rangeError && /memory|allocat|buffer/i.test(message));
}

/**
 * Every error code a person can meet: `meaning` completes a bare core status into the library's
 * message (KolmoError.message; the CLI prints it), `page` is what the page says, with what to do
 * (`detail`: the error's own message; `limit`: the text limit, formatted).
 * @type {Record<string, {meaning?: string, page: (detail: string, limit: string) => string}>}
 */
export const kErrorTexts = {
  truncated: {
    meaning: 'the link or file is incomplete (cut off when it was copied?)',
    page: (detail) => damaged(detail),
  },
  bad_url_text: {
    meaning: 'the link contains characters a kolmo link never has (damaged when it was copied?)',
    page: (detail) => damaged(detail),
  },
  damaged_link: {
    meaning: 'the link was changed on its way (a typo, or a character lost or added): copy the whole link again from where it was shared',
    page: (detail) => damaged(detail),
  },
  bad_magic: { meaning: 'not a kolmo file (it does not start with KLMO)', page: (detail) => damaged(detail) },
  corrupt: { meaning: 'the link or file is damaged', page: (detail) => damaged(detail) },
  checksum_mismatch: {
    meaning: 'the link or file is damaged: the restored text fails its integrity check',
    page: (detail) => damaged(detail),
  },
  unknown_version: { meaning: 'the link was made by a newer version of kolmo; update kolmo to open it', page: () => newer() },
  unknown_mode: { meaning: 'the link was made by a newer version of kolmo; update kolmo to open it', page: () => newer() },
  unknown_model: {
    meaning: 'the link needs a model this version of kolmo does not have',
    page: (detail) => 'This link needs a model version this page does not have, so it cannot be decoded here — or it is ' +
      'damaged or incomplete. (' + detail + ')',
  },
  length_over_limit: {
    meaning: 'the text is over the size limit',
    page: (detail, limit) => `The text is over the limit of ${limit}. (${detail})`,
  },
  non_finite_logits: {
    meaning: 'the model produced invalid numbers on this backend',
    page: (detail) => 'The model produced invalid numbers on this backend. Try ?backend=wasm. (' + detail + ')',
  },
  out_of_memory: {
    meaning: 'not enough memory',
    page: (detail) => 'This device ran out of memory for this text. Close other tabs or try a shorter text. (' + detail + ')',
  },
  webgpu_unavailable: {
    page: (detail) => 'WebGPU is not available in this browser. Open the page without ?backend=webgpu to use WASM instead. (' + detail + ')',
  },
  model_unavailable: {
    page: (detail) => 'The model could not be downloaded — are you offline? After one successful visit it is stored for offline use. (' + detail + ')',
  },
  model_mismatch: { page: (detail) => badModel(detail) },
  bad_model: { page: (detail) => badModel(detail) },
  backend_failed: { page: (detail) => 'The model could not run on this device (' + detail + '). Try ?backend=wasm.' },
  not_utf8: { page: () => 'This link holds binary data, not text. Restore it with the command line: kolmo decompress --url' },
  bad_argument: { page: (detail) => detail },
  aborted: { page: () => 'Cancelled.' },
  password_required: { page: () => 'This link is protected by a password. Enter it in the password field and press Enter (or Open).' },
  wrong_password: { page: () => 'Wrong password — or the link was changed after it was made. Check the password and try again.' },
  crypto_unavailable: {
    page: (detail) => 'Password-protected links need WebCrypto, which this browser offers only on https:// pages. (' + detail + ')',
  },
  ort_missing: {
    page: (detail) => 'This backend needs ONNX Runtime Web, which this site does not serve. Open the page without ?backend= to use kolmo\'s own engine. (' + detail + ')',
  },
  wasm_unavailable: {
    page: (detail) => 'kolmo\'s WebAssembly module could not be loaded — are you offline? Reload the page to try again. (' + detail + ')',
  },
  wasm_blocked: {
    page: (detail) => 'This site\'s security policy does not allow WebAssembly, which kolmo needs. (' + detail + ')',
  },
  worker_blocked: {
    page: (detail) => 'This site\'s security policy blocked kolmo\'s background worker. (' + detail + ')',
  },
  worker_failed: { page: (detail) => 'The background worker stopped (' + detail + '). Reload the page to try again.' },
};

/** @param {string} detail */
function damaged(detail) {
  return 'This link is damaged or incomplete, so it cannot be opened — perhaps it was cut off or changed ' +
    'when it was copied. Ask for the whole link again. (' + detail + ')';
}
function newer() {
  // A cut or altered link can carry any header byte, so these codes may also mean damage.
  return 'This link was made by a newer version of kolmo — or it is damaged or incomplete. Reload the page to ' +
    'get the latest version and open the link again; if that does not help, ask for the whole link again.';
}
/** @param {string} detail */
function badModel(detail) {
  return 'The downloaded model failed its integrity check, so it was not used. Reload the page to download it again. (' + detail + ')';
}

/**
 * The page's sentence for an error code (kErrorTexts), or a generic one for any other.
 * @param {string} code @param {string} detail the error's message @param {string} limit the text limit, formatted
 */
export function pageMessage(code, detail, limit) {
  return kErrorTexts[code]?.page(detail, limit) ?? 'Something went wrong: ' + detail;
}
