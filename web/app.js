// @file The demo page's controller: it wires the page's controls to the library and decides
// what happens when — compress as you type, open a link, cancel, copy, share, password, offline.
// It uses web/lib as any user of the package would (Kolmo from lib/index.js); the model, ONNX
// Runtime and the coder run in the library's Web Worker. What the page shows is app/render.js;
// the state of its links (the editor's link, the address, a link waiting for its password) is
// app/link_state.js.
//
// Contract with the end-to-end tests (tests/e2e/): ?backend=core|wasm|webgpu forces a backend
// (default core: kolmo's own engine; ONNX Runtime is downloaded only for wasm and webgpu); the
// decoded text of an opened link ends up in [data-kolmo="output"] (textContent), which gets
// data-kolmo-state="done", or "error" with the message as its text; the editor is
// [data-kolmo="input"] and the link [data-kolmo="link"] (value; data-kolmo-state="done" once it
// belongs to the editor's current text). A long opened text shows its start only
// (data-kolmo-shown-chars of data-kolmo-chars UTF-16 units); [data-kolmo="copy-text"] and
// [data-kolmo="download-text"] give all of it. [data-kolmo="cancel"] cancels the editor's compress,
// [data-kolmo="open-cancel"] the opening of a link: the two run in workers of their own, so that
// opening a link never cancels or delays the editor's link. A link that would take long to open
// (open_time.js: over kAskAboveSeconds by the page's estimate; ?ask-after=SECONDS sets that
// threshold, 0 asks of every link that declares its size) is not decoded until asked: the output
// gets data-kolmo-state="asking" and [data-kolmo="open-ask"] shows what the link holds with
// [data-kolmo="open-accept"] (Open: decodes it) and [data-kolmo="open-decline"] (Cancel: state
// "declined", nothing decoded). [data-kolmo="channels"] lists an <li>
// per channel (data-kolmo-channel, data-kolmo-fit="fits"|"near"|"over"); [data-kolmo="share"] is
// the Share button (hidden without the Web Share API). Text shared from another app (the
// manifest's share_target, a POST that the service worker answers: web/sw.js) goes into the editor.
import { Kolmo, KolmoError } from './lib/index.js';
import {
  ui, describe, showMessage, clearError, beginProgress, showProgress, endProgress, showEngine, showTextSize,
  showOverLimit, showLink, clearLink, showChannels, showPasswordNote, beginDecoded, appendDecoded, showDecoded,
  showOpenFailed, showOpenProgress, showTiming, showDeclared, askToOpen, showDeclined, endOpening, editable,
} from './app/render.js';
import * as link from './app/link_state.js';
import { kAskAboveSeconds, openingTime, segmentThreads } from './app/open_time.js';
import { mark, timingLine } from './app/timing.js';

mark('app');

/** The largest text a link holds: the core's limit, asked of the library once (kolmo.limits()). */
let maxTextBytes = 0;
const utf8 = new TextEncoder();

// ---- the library ----

// ONNX Runtime and the models lie beside the page in the site (scripts/site.mjs), which may be
// served from a sub-path: relative to the page, not to the library's own URL.
/** @type {import('./lib/index.js').KolmoOptions} */
const options = {
  ortBaseUrl: new URL('ort/', document.baseURI).href,
  modelBaseUrl: new URL('models/', document.baseURI).href,
};
const forcedBackend = link.requestedBackend();
if (forcedBackend === 'core' || forcedBackend === 'wasm' || forcedBackend === 'webgpu') options.backends = [forcedBackend];
else if (forcedBackend) showMessage(`Unknown backend "${forcedBackend}" in the address: use ?backend=core, ?backend=webgpu or ?backend=wasm.`);
// The "Run on" choice: the page reloads with ?backend= (the link in the address is kept).
ui.backendChoice.value = forcedBackend === 'webgpu' ? 'webgpu' : 'core';
ui.backendChoice.addEventListener('change', () => {
  const address = new URL(location.href);
  address.searchParams.set('backend', ui.backendChoice.value);
  location.assign(address.href);
});
// Two instances, a worker each: the editor's compress and the opening of a link run side by side,
// and cancelling one (which terminates its worker, and with it the helper workers that decode a
// long link's segments) leaves the other alone. The opener's helpers are the number the page's
// estimate of opening times counts on; ONNX Runtime decodes segments one after another.
const kolmo = new Kolmo(options);
const openThreads = options.backends && options.backends[0] !== 'core' ? 1 : segmentThreads();
const opener = new Kolmo({ ...options, workers: openThreads });
/** The opening time (seconds, by the page's estimate) above which the page asks before opening a link. */
const askAboveSeconds = link.askAfterSeconds() ?? kAskAboveSeconds;
/** @type {Promise<void>|null} asked with the first compress, not at start-up: the worker must
 * start once the service worker controls the page, which gives it the CSP headers. */
let limitsReady = null;

/** The AbortController of the editor's running compress (the progress card's Cancel aborts it). */
let current = /** @type {AbortController|null} */ (null);
ui.cancel.addEventListener('click', () => current?.abort(new Error('cancelled by the user')));
/** The AbortController of the link being opened (the opened link's Cancel aborts it). */
let opening = /** @type {AbortController|null} */ (null);
ui.openCancel.addEventListener('click', () => opening?.abort(new Error('cancelled by the user')));
/** The opened link's verified text ('' when none): what Copy text, Download and Edit a copy take. */
let openedText = '';

/** @param {Uint8Array} bytes @returns {Promise<number|null>} gzip size, or null without CompressionStream */
async function gzipBytes(bytes) {
  if (typeof CompressionStream !== 'function') return null;
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream('gzip'));
  return (await new Response(stream).arrayBuffer()).byteLength;
}

// ---- compress as you type ----

let compressTimer = 0;
let compressing = false;
let compressAgain = false;

/** The editor's text or password changed: compress it soon. */
function compressSoon() {
  link.setEditorLink('pending');
  clearTimeout(compressTimer);
  compressTimer = setTimeout(compressLoop, 300);
}
ui.input.addEventListener('input', compressSoon);

async function compressLoop() {
  if (compressing) {
    compressAgain = true;
    return;
  }
  compressing = true;
  try {
    do {
      compressAgain = false;
      await compressOnce(ui.input.value);
    } while (compressAgain || link.editorLink() === 'pending');
  } finally {
    compressing = false;
  }
}

/** @param {string} text */
async function compressOnce(text) {
  const bytes = utf8.encode(text);
  // Should the worker fail here, compress() reports it; the library checks the limit itself too.
  limitsReady ??= kolmo.limits().then((limits) => void (maxTextBytes = limits.maxTextBytes), () => void (maxTextBytes = Infinity));
  await limitsReady;
  showTextSize(text, bytes.length, maxTextBytes);
  if (bytes.length > maxTextBytes) {
    link.setEditorLink('error');
    showOverLimit(bytes.length, maxTextBytes);
    return;
  }
  link.setEditorLink('working');
  const password = ui.password.value;
  const controller = new AbortController();
  current = controller;
  beginProgress();
  try {
    const [result, gzip] = await Promise.all([
      kolmo.compress(bytes, { tokenCosts: true, onProgress: showProgress, signal: controller.signal, ...(password ? { password } : {}) }),
      gzipBytes(bytes),
    ]);
    if (ui.input.value !== text || ui.password.value !== password) {
      link.setEditorLink('pending'); // typed meanwhile: the loop compresses again
      return;
    }
    clearError();
    showEngine(result.stats);
    showLink({ text, bytes, gzip, result, link: link.pageLink(result.fragment), qrLink: link.pageLink(result.qrFragment) });
    link.setEditorLink('done');
    link.showInAddress(result.fragment, text.length === 0);
  } catch (error) {
    if (ui.input.value !== text) {
      link.setEditorLink('pending');
      return;
    }
    clearLink();
    if (/** @type {any} */ (error)?.code === 'aborted') {
      link.setEditorLink('idle');
      showMessage('Cancelled. Edit the text to make a link again.', 'info');
    } else {
      link.setEditorLink('error');
      showMessage(describe(error, maxTextBytes));
    }
  } finally {
    if (current === controller) current = null;
    endProgress();
    const state = link.editorLink();
    if (state !== 'pending') showChannels(state === 'done' && text ? ui.link.value : '');
  }
}

// ---- share and copy ----

// The Share button: the system's share sheet (Web Share API), where the browser has one.
ui.share.hidden = typeof navigator.share !== 'function';
ui.share.addEventListener('click', async () => {
  const data = { title: 'kolmo', url: ui.link.value };
  try {
    if (navigator.canShare && !navigator.canShare(data)) throw new Error('this browser cannot share links');
    await navigator.share(data);
  } catch (error) {
    // AbortError: the person closed the share sheet.
    if (/** @type {any} */ (error)?.name !== 'AbortError') {
      showMessage(`Sharing did not work (${/** @type {any} */ (error)?.message ?? error}). Copy the link instead.`);
    }
  }
});

ui.copy.addEventListener('click', async () => {
  const text = ui.link.value;
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    ui.link.select();
    document.execCommand?.('copy');
  }
  ui.copy.textContent = 'Copied';
  setTimeout(() => (ui.copy.textContent = 'Copy link'), 1500);
});

// ---- open a link ----

/**
 * @typedef {{declared: import('./app/open_time.js').Declared, time: import('./app/open_time.js').OpeningTime}} LongOpening
 *   what a link declares that makes its opening take long, and how long
 */
/** Why an opening was stopped at what its link declares: it takes long, and the page asks first. */
const kAskFirst = new Error('the link takes long to open: the page asks first');
/** The link that waits for the question's answer ('' when none). */
let askedFragment = '';

/**
 * Opens a link: decodes it in the opener's worker, shows its text as it comes and the verified
 * text at the end. Unless `confirmed`, a link whose declared size makes the opening take longer
 * than askAboveSeconds is stopped at its first progress event, before any model step, and the
 * page asks (askToOpen); its Open calls this again, confirmed.
 * @param {string} fragment @param {{confirmed?: boolean}} [options]
 */
async function openLink(fragment, { confirmed = false } = {}) {
  opening?.abort(new Error('a new link was opened'));
  const controller = new AbortController();
  opening = controller;
  openedText = '';
  askedFragment = '';
  beginDecoded(fragment.replace(/^#/, '').length);
  /** @type {LongOpening|null} */
  let tooLong = null;
  const onProgress = (/** @type {import('./lib/index.js').Progress} */ p) => {
    if (p.phase === 'load') mark(p.done ? 'engine' : 'model-files');
    if (p.declared) {
      const time = openingTime(p.declared, openThreads);
      if (!confirmed && time && time.seconds > askAboveSeconds) {
        // Aborting terminates the opener's worker: nothing is decoded, and Open starts afresh.
        tooLong = { declared: p.declared, time };
        controller.abort(kAskFirst);
        return;
      }
      showDeclared(p.declared, time);
    }
    showOpenProgress(p);
  };
  const live = new TextDecoder('utf-8', { ignoreBOM: true });
  const started = performance.now();
  let decodedTokens = 0;
  /** @type {import('./lib/index.js').DecompressStats|null} */
  let stats = null;
  const password = ui.password.value;
  mark('open');
  try {
    const bytes = await opener.decompress(fragment, {
      output: 'bytes', tokenCosts: true, onProgress, signal: controller.signal, ...(password ? { password } : {}),
      onTokens: (t) => {
        mark('first-tokens');
        decodedTokens += t.lengths.length;
        appendDecoded(live.decode(t.bytes, { stream: true }), decodedTokens);
      },
      onStats: (s) => (stats = s),
    });
    mark('decoded');
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    if (opening !== controller) return; // another link was opened meanwhile
    link.unlocked();
    openedText = text;
    showDecoded({
      text, bytes, fragment: fragment.replace(/^#/, ''), elapsedMs: performance.now() - started,
      stats: /** @type {import('./lib/index.js').DecompressStats} */ (/** @type {unknown} */ (stats)),
    });
    mark('shown');
    if (link.timingAsked()) showTiming(timingLine());
  } catch (error) {
    if (opening !== controller) return;
    const asked = /** @type {LongOpening|null} */ (tooLong); // set in onProgress, which TypeScript does not follow
    if (asked && controller.signal.reason === kAskFirst) {
      askedFragment = fragment;
      askToOpen(asked.declared, asked.time);
      return;
    }
    // Never leave unverified text on screen as if it were the message.
    const code = /** @type {any} */ (error)?.code;
    const message = code === 'not_utf8' || error instanceof TypeError
      ? describe(new KolmoError('not_utf8'), maxTextBytes)
      : describe(error, maxTextBytes);
    // Asks for the password: the same field protects new links and opens protected ones.
    if (code === 'password_required' || code === 'wrong_password') link.lock(fragment);
    showOpenFailed(message, code);
  } finally {
    if (opening === controller) {
      opening = null;
      endOpening();
    }
  }
}

// The question before a long opening: Open decodes the link; Cancel leaves it unopened (Open
// still opens it).
ui.openAccept.addEventListener('click', () => {
  if (askedFragment) openLink(askedFragment, { confirmed: true });
});
ui.openDecline.addEventListener('click', () => {
  if (askedFragment) showDeclined();
});

// ---- the opened text: copy, download, edit ----

ui.copyText.addEventListener('click', async () => {
  try {
    await navigator.clipboard.writeText(openedText);
    ui.copyText.textContent = 'Copied';
  } catch {
    ui.copyText.textContent = 'Copy failed: use Download';
  }
  setTimeout(() => (ui.copyText.textContent = 'Copy text'), 1500);
});

ui.downloadText.addEventListener('click', () => {
  const url = URL.createObjectURL(new Blob([openedText], { type: 'text/plain;charset=utf-8' }));
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = 'kolmo.txt';
  anchor.click();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
});

ui.edit.addEventListener('click', () => {
  if (!editable(openedText)) return;
  ui.input.value = openedText;
  ui.input.dispatchEvent(new Event('input'));
  ui.input.focus();
});

// ---- password ----

function unlock() {
  if (link.lockedLink() && ui.password.value) openLink(link.lockedLink());
}
ui.unlock.addEventListener('click', unlock);
ui.password.addEventListener('keydown', (/** @type {KeyboardEvent} */ event) => {
  if (event.key === 'Enter') unlock();
});
ui.password.addEventListener('input', () => {
  showPasswordNote(ui.password.value);
  if (link.lockedLink()) return; // typing the password of an opened link
  compressSoon();
});

window.addEventListener('hashchange', () => {
  const fragment = link.fragmentToOpen();
  if (fragment) openLink(fragment);
});

// ---- offline ----

/** Registers the service worker; on a first visit waits (briefly) until it controls the page. */
async function startServiceWorker() {
  if (!('serviceWorker' in navigator) || link.serviceWorkerOff()) return;
  try {
    const registering = navigator.serviceWorker.register('./sw.js');
    // A repeat visit is controlled already: the registration's update check runs beside the
    // page's own work instead of before it (a link opens ~0.2-2 s sooner).
    if (navigator.serviceWorker.controller) {
      registering.catch(() => {});
      return;
    }
    const registration = await registering;
    // First visit: let the worker's downloads (ONNX Runtime, the WASM codec) go through the
    // service worker so that they are kept for offline use.
    await Promise.race([
      new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true })),
      new Promise((resolve) => setTimeout(resolve, 3000)),
    ]);
    void registration;
  } catch {
    // No offline support (e.g. a private window): the page still works online.
  }
}

// ---- start ----

async function start() {
  await startServiceWorker();
  const shared = await link.takeSharedText();
  if (shared.text !== null) {
    ui.input.value = shared.text;
    link.setEditorLink('pending');
  } else if (shared.lost) {
    showMessage('The shared text did not reach the page (it is kept for a minute only). Share it again.');
  }
  const fragment = link.fragmentToOpen();
  if (fragment) {
    await openLink(fragment);
  }
  // Loads the model ahead of typing (the first compress reuses it) and fills the figures.
  await compressLoop();
}

// ---- framing ----

/**
 * Inside another site's page (a frame), kolmo does not start: that page could lay its own
 * controls over ours (clickjacking) on hosts that send no frame-ancestors header, where the
 * meta-tag CSP cannot forbid framing. The page is replaced by a link that opens it in its own tab
 * (the link in the address goes along; nothing is decoded here).
 */
function refuseFrame() {
  const note = document.createElement('p');
  note.className = 'message info';
  note.dataset.kolmo = 'framed';
  note.append('kolmo does not run inside another page. ');
  const open = document.createElement('a');
  open.href = location.href;
  open.target = '_blank';
  open.rel = 'noopener noreferrer';
  open.textContent = 'Open it in its own tab';
  note.append(open, '.');
  document.body.replaceChildren(note);
}

if (window.top !== window.self) refuseFrame();
else start();
