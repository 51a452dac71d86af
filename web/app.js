// @file The demo page: UI only. It uses web/lib as any user of the package would (Kolmo from
// lib/index.js); the model, ONNX Runtime and the coder run in the library's Web Worker.
//
// Contract with the end-to-end tests (tests/e2e/): ?backend=wasm|webgpu forces a backend; the
// decoded text of an opened link ends up in [data-kolmo="output"] (textContent), which gets
// data-kolmo-state="done", or "error" with the message as its text; the editor is
// [data-kolmo="input"] and the link [data-kolmo="link"] (value; data-kolmo-state="done" once it
// belongs to the editor's current text). [data-kolmo="channels"] lists an <li> per channel
// (data-kolmo-channel, data-kolmo-fit="fits"|"near"|"over"); [data-kolmo="share"] is the Share
// button (hidden without the Web Share API). ?title=&text=&url= (the manifest's share_target)
// puts shared text into the editor.
import { Kolmo, KolmoError } from './lib/index.js';
import { pageMessage } from './lib/shared/errors.js';
import { channelFits, channelWarning } from './channels.js';
import { showQr } from './qr_view.js';

/** The largest text a link holds: the core's limit, asked of the library once (kolmo.limits()). */
let maxTextBytes = 0;
const kMaxHeatTokens = 20000; // beyond this the heat view shows the start only
const kHeatMaxBits = 16; // bits at which the heat colour is hottest
// Longest fragment put into the address bar as you type: Chrome shows 32,779 characters and
// history.replaceState() of a multi-megabyte URL blocks the main thread (measured: 0.8 s for a
// 5.6 MB link); longer links stay in the link field only.
const kMaxAddressFragment = 65536;

/** @param {string} name @returns {any} */
const $ = (name) => document.querySelector(`[data-kolmo="${name}"]`);
const ui = {
  backend: $('backend'), model: $('model'), message: $('message'),
  progressCard: $('progress-card'), downloadRow: $('download-row'), downloadBar: $('download-progress'),
  downloadNote: $('download-note'), codeRow: $('code-row'), codeBar: $('progress'), codeLabel: $('code-label'),
  codeNote: $('code-note'), cancel: $('cancel'),
  decoded: $('decoded'), verified: $('verified'), output: $('output'), decodeSpeed: $('decode-speed'), edit: $('edit'),
  input: $('input'), limit: $('limit'), link: $('link'), copy: $('copy'), compressNote: $('compress-note'),
  share: $('share'), channels: $('channels'), channelWarning: $('channel-warning'),
  figBytes: $('fig-bytes'), figLink: $('fig-link'), figBpc: $('fig-bpc'), figGzip: $('fig-gzip'), figB64: $('fig-b64'),
  heatCard: $('heat-card'), heat: $('heat'), heatCaption: $('heat-caption'),
  password: $('password'), passwordNote: $('password-note'), unlock: $('unlock'), qr: $('qr'),
};

const params = new URLSearchParams(location.search);
const forcedBackend = params.get('backend');
const utf8 = new TextEncoder();

// ---- messages ----

const kBackendNames = { webgpu: 'WebGPU', wasm: 'WASM', node: 'Node' };

/**
 * A sentence for every failure a user can meet.
 * @param {unknown} error @returns {string}
 */
function describe(error) {
  const e = /** @type {any} */ (error);
  const code = e instanceof KolmoError || typeof e?.code === 'string' ? e.code : 'internal';
  const detail = String(e?.message ?? e).replace(`${code}: `, '');
  return pageMessage(code, detail, maxTextBytes ? formatBytes(maxTextBytes) : 'the text limit');
}

/** @param {string} text @param {'error'|'info'} [kind] */
function showMessage(text, kind = 'error') {
  ui.message.textContent = text;
  ui.message.className = `message ${kind}`;
  ui.message.hidden = false;
}
function clearMessage() {
  ui.message.hidden = true;
  ui.message.textContent = '';
}

// ---- formatting ----

/** @param {number} n */
function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10240 ? 1 : 0)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
/** @param {number} n */
const formatCount = (n) => n.toLocaleString('en-US');
/** Characters of a base64url text for n bytes (no padding). @param {number} n */
const base64urlChars = (n) => Math.ceil((n * 4) / 3);

/** A figure: its value and an optional second, smaller line. @param {HTMLElement} el @param {string} value @param {string} [sub] */
function setFigure(el, value, sub = '') {
  const small = document.createElement('small');
  small.textContent = sub;
  el.replaceChildren(value, ...(sub ? [small] : []));
}

/** @param {Uint8Array} bytes @returns {Promise<number|null>} gzip size, or null without CompressionStream */
async function gzipBytes(bytes) {
  if (typeof CompressionStream !== 'function') return null;
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream('gzip'));
  return (await new Response(stream).arrayBuffer()).byteLength;
}

// ---- progress ----

// The progress card shows only for work that takes a while (no flashing on short texts).
let showProgressTimer = 0;
function beginProgress() {
  clearTimeout(showProgressTimer);
  ui.downloadRow.hidden = true;
  ui.codeRow.hidden = true;
  ui.codeBar.value = 0;
  showProgressTimer = setTimeout(() => (ui.progressCard.hidden = false), 400);
}
/** @param {import('./lib/index.js').Progress} p */
function onProgress(p) {
  if (p.phase === 'download') {
    ui.downloadRow.hidden = false;
    ui.downloadBar.value = p.total ? p.done / p.total : 0;
    ui.downloadNote.textContent = `${formatBytes(p.done)} of ${formatBytes(p.total ?? 0)}`;
  } else if (p.phase === 'load') {
    ui.downloadRow.hidden = false;
    ui.downloadBar.value = 1;
    ui.downloadNote.textContent = p.done ? 'model ready' : 'starting the model…';
  } else {
    ui.codeRow.hidden = false;
    const decoding = p.phase === 'decode';
    ui.codeLabel.textContent = decoding ? 'Decoding' : 'Compressing';
    const share = p.total ? p.done / p.total : p.fraction;
    if (share === undefined) ui.codeBar.removeAttribute('value');
    else ui.codeBar.value = share;
    ui.codeNote.textContent = `${formatCount(p.done)}${p.total ? ' / ' + formatCount(p.total) : ''} tokens`;
  }
}
function endProgress() {
  clearTimeout(showProgressTimer);
  ui.progressCard.hidden = true;
}

// ---- engine ----

// ONNX Runtime and the models lie beside the page in the site (scripts/site.mjs), which may be
// served from a sub-path: relative to the page, not to the library's own URL.
/** @type {import('./lib/index.js').KolmoOptions} */
const options = {
  ortBaseUrl: new URL('ort/', document.baseURI).href,
  modelBaseUrl: new URL('models/', document.baseURI).href,
};
if (forcedBackend === 'wasm' || forcedBackend === 'webgpu') options.backends = [forcedBackend];
else if (forcedBackend) showMessage(`Unknown backend "${forcedBackend}" in the address: use ?backend=wasm or ?backend=webgpu.`);
const kolmo = new Kolmo(options);
/** @type {Promise<void>|null} asked with the first compress, not at start-up: the worker must
 * start once the service worker controls the page, which gives it the CSP headers. */
let limitsReady = null;

let fallbackShown = false;
/** @param {{backend: string|null, fallback?: string|null, modelId?: string|null}} info */
function showEngine(info) {
  if (!info.backend) return;
  ui.backend.textContent = `Model on ${kBackendNames[/** @type {'webgpu'|'wasm'} */ (info.backend)] ?? info.backend}`;
  ui.backend.dataset.backend = info.backend;
  if (info.modelId) ui.model.textContent = info.modelId;
  if (info.fallback && !fallbackShown) {
    fallbackShown = true;
    showMessage(`WebGPU is not available here, so the model runs on WASM (slower on long texts). ${info.fallback}`, 'info');
  }
}

/** The AbortController of the running operation (the Cancel button aborts it). */
let current = /** @type {AbortController|null} */ (null);
ui.cancel.addEventListener('click', () => current?.abort(new Error('cancelled by the user')));

// ---- heat view ----

/**
 * Spans of text with their cost: tokens are merged until a boundary falls between UTF-8
 * characters (a character split across tokens is shown once, with the tokens' summed cost).
 * @param {Uint8Array} bytes @param {Uint32Array} lengths @param {Float32Array} bits
 */
function heatSegments(bytes, lengths, bits) {
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  const segments = [];
  let start = 0;
  let at = 0;
  let cost = 0;
  const n = Math.min(lengths.length, kMaxHeatTokens);
  for (let i = 0; i < n; i++) {
    at += lengths[i];
    cost += bits[i];
    if (at >= bytes.length || (bytes[at] & 0xc0) !== 0x80) {
      segments.push({ text: decoder.decode(bytes.subarray(start, at)), bits: cost });
      start = at;
      cost = 0;
    }
  }
  return segments;
}

/** @param {Uint8Array} bytes @param {import('./lib/index.js').TokenCosts|undefined} costs @param {string} caption */
function renderHeat(bytes, costs, caption) {
  if (!costs || costs.lengths.length === 0) {
    ui.heatCard.hidden = true;
    return;
  }
  const fragment = document.createDocumentFragment();
  for (const { text, bits } of heatSegments(bytes, costs.lengths, costs.bits)) {
    const span = document.createElement('span');
    span.textContent = text;
    const heat = Math.min(1, bits / kHeatMaxBits);
    span.style.setProperty('--heat', heat.toFixed(3));
    span.title = `${bits.toFixed(1)} bits`;
    fragment.append(span);
  }
  const total = costs.bits.reduce((a, b) => a + b, 0);
  const shown = costs.lengths.length > kMaxHeatTokens ? ` (first ${formatCount(kMaxHeatTokens)} shown)` : '';
  ui.heatCaption.textContent = `${caption}: ${formatCount(costs.lengths.length)} tokens${shown}, ` +
    `${(total / Math.max(1, costs.lengths.length)).toFixed(1)} bits per token on average ` +
    `(the end-of-text marker costs ${costs.bits[costs.bits.length - 1].toFixed(1)} more). Hover a token for its cost.`;
  ui.heat.replaceChildren(fragment);
  ui.heatCard.hidden = false;
}

// ---- compress as you type ----

let compressTimer = 0;
let compressing = false;
let compressAgain = false;
let ownHash = ''; // the fragment this page wrote into the address (not a link to open)

ui.input.addEventListener('input', () => {
  ui.link.dataset.kolmoState = 'pending';
  clearTimeout(compressTimer);
  compressTimer = setTimeout(compressLoop, 300);
});

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
    } while (compressAgain || ui.link.dataset.kolmoState === 'pending');
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
  setFigure(ui.figBytes, formatBytes(bytes.length), `${formatCount([...text].length)} chars`);
  if (bytes.length > maxTextBytes) {
    ui.link.value = '';
    ui.link.dataset.kolmoState = 'error';
    ui.copy.disabled = true;
    ui.limit.textContent = `${formatBytes(bytes.length)} — over the ${formatBytes(maxTextBytes)} limit`;
    showMessage(`The text is ${formatBytes(bytes.length)}, over the limit of ${formatBytes(maxTextBytes)}. Shorten it to get a link.`);
    showChannels('');
    return;
  }
  ui.limit.textContent = bytes.length > maxTextBytes / 4 ? `${formatBytes(bytes.length)} of ${formatBytes(maxTextBytes)}` : '';
  ui.link.dataset.kolmoState = 'working';
  const password = ui.password.value;
  const controller = new AbortController();
  current = controller;
  beginProgress();
  try {
    const [result, gzip] = await Promise.all([
      kolmo.compress(bytes, { tokenCosts: true, onProgress, signal: controller.signal, ...(password ? { password } : {}) }),
      gzipBytes(bytes),
    ]);
    if (ui.input.value !== text || ui.password.value !== password) {
      ui.link.dataset.kolmoState = 'pending'; // typed meanwhile: the loop compresses again
      return;
    }
    if (ui.message.classList.contains('error')) clearMessage();
    showEngine(result.stats);
    const link = `${location.origin}${location.pathname}${location.search}#${result.fragment}`;
    ui.link.value = link;
    ui.link.dataset.kolmoEncrypted = String(result.stats.encrypted);
    showQr(ui.qr, text ? `${location.origin}${location.pathname}${location.search}#${result.qrFragment}` : '');
    ui.link.dataset.kolmoMode = result.stats.mode;
    ui.link.dataset.kolmoState = 'done';
    ui.copy.disabled = false;
    if (text.length > 0 && result.fragment.length <= kMaxAddressFragment) {
      ownHash = result.fragment;
      history.replaceState(null, '', `#${result.fragment}`);
    } else if (ownHash && location.hash.slice(1) === ownHash) {
      ownHash = ''; // emptied, or too long for the address: drop the link this page had put there
      history.replaceState(null, '', location.pathname + location.search);
    }
    const chars = [...text].length;
    const fragmentChars = result.fragment.length;
    setFigure(ui.figLink, `${formatCount(link.length)} chars`, `${formatCount(fragmentChars)} after the #`);
    ui.figLink.title = `${result.bytes.length} bytes coded (${result.stats.mode})`;
    setFigure(ui.figBpc, chars ? ((result.bytes.length * 8) / chars).toFixed(2) : '–', chars ? `${result.bytes.length} bytes coded` : '');
    // The other links' fragments: the same bytes as base64url, plain and gzipped.
    const b64 = base64urlChars(bytes.length);
    if (bytes.length === 0) {
      setFigure(ui.figB64, '–');
      setFigure(ui.figGzip, '–');
    } else {
      setFigure(ui.figB64, `${formatCount(b64)} chars`, ratio(b64, fragmentChars));
      if (gzip === null) setFigure(ui.figGzip, 'n/a', 'no CompressionStream');
      else setFigure(ui.figGzip, `${formatCount(base64urlChars(gzip))} chars`, ratio(base64urlChars(gzip), fragmentChars));
    }
    const s = result.stats;
    ui.compressNote.textContent = text.length === 0
      ? 'Type something: the link updates as you type.'
      : `${formatCount(s.tokens)} tokens coded in ${(s.codeMs / 1000).toFixed(2)} s on ${kBackendNames[/** @type {'wasm'} */ (s.backend)] ?? s.backend}` +
        (s.mode === 'lm' ? '' : ` — stored with the model-free ${s.mode === 'cm' ? 'context-mixing codec' : 'plain form'}, which was shorter`) + '.';
    renderHeat(bytes, s.tokenCosts, 'Your text');
  } catch (error) {
    if (ui.input.value !== text) {
      ui.link.dataset.kolmoState = 'pending';
      return;
    }
    ui.link.value = '';
    ui.copy.disabled = true;
    showQr(ui.qr, '');
    if (/** @type {any} */ (error)?.code === 'aborted') {
      ui.link.dataset.kolmoState = 'idle';
      showMessage('Cancelled. Edit the text to make a link again.', 'info');
    } else {
      ui.link.dataset.kolmoState = 'error';
      showMessage(describe(error));
    }
  } finally {
    if (current === controller) current = null;
    endProgress();
    if (ui.link.dataset.kolmoState !== 'pending') showChannels(ui.link.dataset.kolmoState === 'done' && text ? ui.link.value : '');
  }
}

/** "2.4× shorter" (or longer) of kolmo's fragment against another link. @param {number} other @param {number} ours */
function ratio(other, ours) {
  if (ours === 0) return '';
  const r = other / ours;
  return r >= 1 ? `kolmo: ${r.toFixed(1)}× shorter` : `kolmo: ${(1 / r).toFixed(1)}× longer`;
}

// ---- where the link fits ----

/** Shows which channels the link fits, and warns when it is about to outgrow one. @param {string} link ('' hides it) */
function showChannels(link) {
  ui.share.disabled = !link;
  ui.channels.replaceChildren(...(link ? channelFits(link.length) : []).map(({ id, name, limit, fit, spare }) => {
    const chip = document.createElement('li');
    chip.dataset.kolmoChannel = id;
    chip.dataset.kolmoFit = fit;
    chip.textContent = `${fit === 'over' ? '✗' : '✓'} ${name} ${formatCount(limit)}`;
    chip.title = fit === 'over'
      ? `${formatCount(-spare)} characters too long for ${name}`
      : `fits ${name}: ${formatCount(spare)} characters to spare`;
    return chip;
  }));
  const warning = link ? channelWarning(link.length) : '';
  ui.channelWarning.textContent = warning;
  ui.channelWarning.hidden = !warning;
}

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
  const link = ui.link.value;
  try {
    await navigator.clipboard.writeText(link);
  } catch {
    ui.link.select();
    document.execCommand?.('copy');
  }
  ui.copy.textContent = 'Copied';
  setTimeout(() => (ui.copy.textContent = 'Copy link'), 1500);
});

// ---- open a link ----

/** @param {string} fragment */
async function openLink(fragment) {
  current?.abort(new Error('a new link was opened'));
  const controller = new AbortController();
  current = controller;
  ui.decoded.hidden = false;
  ui.output.textContent = '';
  ui.output.dataset.kolmoState = 'decoding';
  ui.output.classList.add('unverified');
  ui.output.classList.remove('failed');
  ui.verified.textContent = 'unverified — decoding…';
  ui.verified.className = 'badge pending';
  ui.edit.disabled = true;
  ui.decodeSpeed.textContent = '';
  const live = new TextDecoder('utf-8', { ignoreBOM: true });
  const started = performance.now();
  beginProgress();
  let decodedTokens = 0;
  /** @type {import('./lib/index.js').DecompressStats|null} */
  let stats = null;
  const password = ui.password.value;
  try {
    const bytes = await kolmo.decompress(fragment, {
      output: 'bytes', tokenCosts: true, onProgress, signal: controller.signal, ...(password ? { password } : {}),
      onTokens: (t) => {
        ui.output.append(live.decode(t.bytes, { stream: true }));
        decodedTokens += t.lengths.length;
        ui.codeRow.hidden = false;
        ui.codeLabel.textContent = 'Decoding';
        ui.codeNote.textContent = `${formatCount(decodedTokens)} tokens`;
      },
      onStats: (s) => (stats = s),
    });
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    lockedFragment = '';
    ui.unlock.hidden = true;
    ui.output.textContent = text;
    ui.output.dataset.kolmoMode = /** @type {any} */ (stats)?.mode ?? '';
    ui.output.classList.remove('unverified');
    ui.output.dataset.kolmoState = 'done';
    ui.verified.textContent = '✓ verified';
    ui.verified.className = 'badge ok';
    ui.edit.disabled = false;
    const s = /** @type {import('./lib/index.js').DecompressStats} */ (/** @type {unknown} */ (stats));
    showEngine(s);
    const seconds = s.codeMs / 1000;
    if (s.mode === 'lm') {
      const rate = s.tokens / Math.max(seconds, 1e-3);
      ui.output.dataset.kolmoTokensPerSecond = rate.toFixed(1);
      ui.output.dataset.kolmoBackend = s.backend ?? '';
      ui.decodeSpeed.textContent = `${formatBytes(bytes.length)} from a ${formatCount(fragment.length)}-character link: ` +
        `${formatCount(s.tokens)} tokens in ${seconds.toFixed(2)} s (${rate.toFixed(1)} tokens/s on ` +
        `${kBackendNames[/** @type {'wasm'} */ (s.backend)] ?? s.backend})` +
        (s.loadMs > 50 ? `, after ${(s.loadMs / 1000).toFixed(1)} s loading the model.` : '.');
      renderHeat(bytes, s.tokenCosts, 'Opened link');
    } else {
      ui.decodeSpeed.textContent = `${formatBytes(bytes.length)} from a ${formatCount(fragment.length)}-character link ` +
        `(coded without the model: ${s.mode === 'cm' ? 'context mixing' : 'stored'}), in ${(performance.now() - started).toFixed(0)} ms.`;
    }
  } catch (error) {
    // Never leave unverified text on screen as if it were the message.
    const code = /** @type {any} */ (error)?.code;
    const message = code === 'not_utf8' || error instanceof TypeError ? describe(new KolmoError('not_utf8')) : describe(error);
    ui.output.textContent = message;
    ui.output.classList.remove('unverified');
    ui.output.classList.add('failed');
    ui.output.dataset.kolmoState = 'error';
    ui.verified.textContent = 'could not open';
    ui.verified.className = 'badge bad';
    if (code === 'password_required' || code === 'wrong_password') {
      // Ask for the password: the same field protects new links and opens protected ones.
      lockedFragment = fragment;
      ui.output.dataset.kolmoState = 'locked';
      ui.verified.textContent = code === 'password_required' ? 'password needed' : 'wrong password';
      ui.unlock.hidden = false;
      ui.passwordNote.textContent = 'Enter the password of the opened link, then press Enter or Open.';
      ui.password.focus();
    }
  } finally {
    if (current === controller) current = null;
    endProgress();
  }
}

// ---- password ----

let lockedFragment = ''; // an opened link that waits for its password

function unlock() {
  if (lockedFragment && ui.password.value) openLink(lockedFragment);
}
ui.unlock.addEventListener('click', unlock);
ui.password.addEventListener('keydown', (/** @type {KeyboardEvent} */ event) => {
  if (event.key === 'Enter') unlock();
});
ui.password.addEventListener('input', () => {
  ui.passwordNote.textContent = ui.password.value
    ? 'The link is encrypted with this password (AES-GCM, 16 bytes more). Share the password another way.'
    : 'No password: anyone with the link can read the text.';
  if (lockedFragment) return; // typing the password of an opened link
  ui.link.dataset.kolmoState = 'pending';
  clearTimeout(compressTimer);
  compressTimer = setTimeout(compressLoop, 300);
});

ui.edit.addEventListener('click', () => {
  ui.input.value = ui.output.textContent ?? '';
  ui.input.dispatchEvent(new Event('input'));
  ui.input.focus();
});

window.addEventListener('hashchange', () => {
  const fragment = location.hash.slice(1);
  if (fragment && fragment !== ownHash) openLink(fragment);
});

// ---- offline ----

/** Registers the service worker; on a first visit waits (briefly) until it controls the page. */
async function startServiceWorker() {
  if (!('serviceWorker' in navigator) || params.get('sw') === '0') return;
  try {
    const registration = await navigator.serviceWorker.register('./sw.js');
    if (navigator.serviceWorker.controller) return;
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

/**
 * Text shared to kolmo from another app (the web app manifest's share_target opens
 * ./?title=…&text=…&url=…): the parts joined by lines, each once (apps often repeat the link
 * of `url` in `text`); null if nothing was shared. The parameters leave the address, so that
 * they do not end up in the link.
 */
function takeSharedText() {
  const keys = ['title', 'text', 'url'];
  const parts = keys.map((key) => params.get(key) ?? '').filter((part) => part !== '');
  if (parts.length === 0) return null;
  const kept = parts.filter((part, i) => !parts.some((other, j) => j !== i && other.includes(part) && (other !== part || j < i)));
  const rest = new URLSearchParams(location.search);
  for (const key of keys) rest.delete(key);
  const query = rest.toString();
  history.replaceState(null, '', location.pathname + (query ? `?${query}` : '') + location.hash);
  return kept.join('\n');
}

async function start() {
  const shared = takeSharedText();
  if (shared !== null) {
    ui.input.value = shared;
    ui.link.dataset.kolmoState = 'pending';
  }
  await startServiceWorker();
  const fragment = location.hash.slice(1);
  if (fragment) {
    await openLink(fragment);
  }
  // Loads the model ahead of typing (the first compress reuses it) and fills the figures.
  await compressLoop();
}

start();
