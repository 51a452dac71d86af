// @file What the page shows: every write to the DOM of web/index.html, found by its
// data-kolmo= hooks (ui). Messages, the progress card, the engine line, the figures of a new
// link, the question before a long opening, the opened link's progress, text (the start of a
// long one: the page stays responsive on any link) and badge, the heat view, where the link
// fits. No library calls and no link state (link_state.js); app.js decides what to show when.
// No inline style (the page runs under a strict CSP): the heat colour is a CSS custom property.
import { pageMessage } from '../lib/shared/errors.js';
import { channelFits, channelWarning } from './channels.js';
import { showQr } from './qr_view.js';
import { kBytesPerToken } from './open_time.js';
import { formatCount } from './format.js';

// Beyond this the heat view shows the start only: a span per token, and laying out 20,000 of
// them blocked the main thread for 0.9 s (measured: 5,000 took 0.13 s, on a loaded 2-core machine).
const kMaxHeatTokens = 4000;
// The opened text on screen: its first kViewLines lines, at most kViewChars characters, the rest
// behind Copy text and Download. Laying out a long text blocks the main thread in one piece and
// costs memory per line: a 4 MiB text of two million lines blocked it for 21 s and grew the
// renderer by 2.5 GB; 5,000 short lines took 26 ms, 128 K characters in one line ~80 ms.
const kViewLines = 4000;
const kViewChars = 128 * 1024;
// "Edit a copy" puts the text into the editor, a <textarea>, which lays out all of it at once and
// more slowly than the view (2,500 lines of 85 characters: 0.4 s; two million short lines: 72 s):
// a longer text is for Copy text or Download.
const kEditLines = 1500;
const kEditChars = 64 * 1024;
const kHeatMaxBits = 16; // bits at which the heat colour is hottest
const kBackendNames = { core: 'CPU', webgpu: 'WebGPU', wasm: 'ONNX Runtime WASM', node: 'ONNX Runtime Node' };

/** @param {string} name @returns {any} */
const $ = (name) => document.querySelector(`[data-kolmo="${name}"]`);
export const ui = {
  backend: $('backend'), backendChoice: $('backend-choice'), model: $('model'), message: $('message'),
  progressCard: $('progress-card'), downloadRow: $('download-row'), downloadBar: $('download-progress'),
  downloadNote: $('download-note'), codeRow: $('code-row'), codeBar: $('progress'), codeLabel: $('code-label'),
  codeNote: $('code-note'), cancel: $('cancel'),
  decoded: $('decoded'), verified: $('verified'), output: $('output'), decodeSpeed: $('decode-speed'), edit: $('edit'),
  openRow: $('open-row'), openBar: $('open-progress'), openNote: $('open-note'), openCancel: $('open-cancel'),
  openPlan: $('open-plan'), openAsk: $('open-ask'), openAskText: $('open-ask-text'), openAccept: $('open-accept'),
  openDecline: $('open-decline'), viewNote: $('view-note'), copyText: $('copy-text'), downloadText: $('download-text'),
  input: $('input'), limit: $('limit'), link: $('link'), copy: $('copy'), compressNote: $('compress-note'),
  share: $('share'), channels: $('channels'), channelWarning: $('channel-warning'),
  figBytes: $('fig-bytes'), figLink: $('fig-link'), figBpc: $('fig-bpc'), figGzip: $('fig-gzip'), figB64: $('fig-b64'),
  heatCard: $('heat-card'), heat: $('heat'), heatCaption: $('heat-caption'),
  password: $('password'), passwordNote: $('password-note'), unlock: $('unlock'), qr: $('qr'),
};

// ---- formatting ----

/** @param {number} n */
export function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10240 ? 1 : 0)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
/** Characters (code points) of a string, without an array of them (a 4 MiB text is 4 M items). @param {string} text */
export function countChars(text) {
  let pairs = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) pairs++;
  }
  return text.length - pairs;
}
/** @param {number} ms */
const formatSeconds = (ms) => (ms < 10000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`);
/** "40 seconds", "2 minutes", "1.5 hours": a duration for a sentence. @param {number} seconds */
function formatDuration(seconds) {
  if (seconds < 1.5) return '1 second';
  if (seconds < 90) return `${Math.round(seconds)} seconds`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} minutes`;
  return `${(seconds / 3600).toFixed(1)} hours`;
}
/** Characters of a base64url text for n bytes (no padding). @param {number} n */
const base64urlChars = (n) => Math.ceil((n * 4) / 3);
/** @param {string|null|undefined} backend */
const backendName = (backend) => kBackendNames[/** @type {'wasm'} */ (backend)] ?? backend;

/** "2.4× shorter" (or longer) of kolmo's fragment against another link. @param {number} other @param {number} ours */
function ratio(other, ours) {
  if (ours === 0) return '';
  const r = other / ours;
  return r >= 1 ? `kolmo: ${r.toFixed(1)}× shorter` : `kolmo: ${(1 / r).toFixed(1)}× longer`;
}

/** A figure: its value and an optional second, smaller line. @param {HTMLElement} el @param {string} value @param {string} [sub] */
function setFigure(el, value, sub = '') {
  const small = document.createElement('small');
  small.textContent = sub;
  el.replaceChildren(value, ...(sub ? [small] : []));
}

// ---- messages ----

/**
 * A sentence for every failure a user can meet.
 * @param {unknown} error @param {number} maxTextBytes the text limit (0: not known yet) @returns {string}
 */
export function describe(error, maxTextBytes) {
  const e = /** @type {any} */ (error);
  const code = typeof e?.code === 'string' ? e.code : 'internal';
  const detail = String(e?.message ?? e).replace(`${code}: `, '');
  return pageMessage(code, detail, maxTextBytes ? formatBytes(maxTextBytes) : 'the text limit');
}

/** @param {string} text @param {'error'|'info'} [kind] */
export function showMessage(text, kind = 'error') {
  ui.message.textContent = text;
  ui.message.className = `message ${kind}`;
  ui.message.hidden = false;
}
/** Hides the message if it is an error (an info message, such as a fallback's, stays). */
export function clearError() {
  if (!ui.message.classList.contains('error')) return;
  ui.message.hidden = true;
  ui.message.textContent = '';
}

// ---- progress ----

// The progress card shows only for work that takes a while (no flashing on short texts).
let showProgressTimer = 0;
export function beginProgress() {
  clearTimeout(showProgressTimer);
  ui.downloadRow.hidden = true;
  ui.codeRow.hidden = true;
  ui.codeBar.value = 0;
  showProgressTimer = setTimeout(() => (ui.progressCard.hidden = false), 400);
}
/** @param {import('../lib/index.js').Progress} p */
export function showProgress(p) {
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
export function endProgress() {
  clearTimeout(showProgressTimer);
  ui.progressCard.hidden = true;
}

// ---- the engine ----

let fallbackShown = false;
/** The backend and model in the header; a fallback's reason once. @param {{backend: string|null, fallback?: string|null, modelId?: string|null}} info */
export function showEngine(info) {
  if (!info.backend) return;
  ui.backend.textContent = `Model on ${backendName(info.backend)}`;
  ui.backend.dataset.backend = info.backend;
  if (info.modelId) ui.model.textContent = info.modelId;
  if (info.fallback && !fallbackShown) {
    fallbackShown = true;
    showMessage(`The model runs on the CPU: ${info.fallback}`, 'info');
  }
}

// ---- the editor's link ----

/** The size of the editor's text, and how close it is to the limit. @param {string} text @param {number} bytes @param {number} maxTextBytes */
export function showTextSize(text, bytes, maxTextBytes) {
  setFigure(ui.figBytes, formatBytes(bytes), `${formatCount(countChars(text))} chars`);
  ui.limit.textContent = bytes > maxTextBytes
    ? `${formatBytes(bytes)} — over the ${formatBytes(maxTextBytes)} limit`
    : bytes > maxTextBytes / 4 ? `${formatBytes(bytes)} of ${formatBytes(maxTextBytes)}` : '';
}

/** No link: the text is over the limit. @param {number} bytes @param {number} maxTextBytes */
export function showOverLimit(bytes, maxTextBytes) {
  ui.link.value = '';
  ui.copy.disabled = true;
  showMessage(`The text is ${formatBytes(bytes)}, over the limit of ${formatBytes(maxTextBytes)}. Shorten it to get a link.`);
  showChannels('');
}

/** No link for the editor's text (compress failed or was cancelled). */
export function clearLink() {
  ui.link.value = '';
  ui.copy.disabled = true;
  showQr(ui.qr, '');
}

/**
 * A new link of the editor's text: the link field, its QR code and the figures against a gzip
 * and a base64url link.
 * @param {{text: string, bytes: Uint8Array, link: string, qrLink: string, gzip: number|null,
 *   result: {bytes: Uint8Array, fragment: string, stats: import('../lib/index.js').CompressStats & {encrypted?: boolean}}}} made
 */
export function showLink({ text, bytes, link, qrLink, gzip, result }) {
  ui.link.value = link;
  ui.link.dataset.kolmoEncrypted = String(result.stats.encrypted);
  showQr(ui.qr, text ? qrLink : '');
  ui.link.dataset.kolmoMode = result.stats.mode;
  ui.copy.disabled = false;
  const chars = countChars(text);
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
    : `${formatCount(s.tokens)} tokens coded in ${(s.codeMs / 1000).toFixed(2)} s on ${backendName(s.backend)}` +
      (s.mode === 'lm' ? '' : ` — stored with the model-free ${s.mode === 'cm' ? 'context-mixing codec' : 'plain form'}, which was shorter`) + '.';
  renderHeat(bytes, s.tokenCosts, 'Your text');
}

/** Shows which channels the link fits, and warns when it is about to outgrow one. @param {string} link ('' hides it) */
export function showChannels(link) {
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

/** @param {string} password the password field's value */
export function showPasswordNote(password) {
  ui.passwordNote.textContent = password
    ? 'The link is encrypted with this password (AES-GCM, 16 bytes more). Share the password another way.'
    : 'No password: anyone with the link can read the text.';
}

// ---- an opened link ----

/**
 * How much of a text the view shows: the end of its first `lines` lines, at most `chars`
 * characters (a UTF-16 index, never inside a surrogate pair).
 * @param {string} text @param {number} lines @param {number} chars
 */
function prefixEnd(text, lines, chars) {
  let end = Math.min(text.length, chars);
  let at = -1;
  for (let n = 0; n < lines; n++) {
    at = text.indexOf('\n', at + 1);
    if (at < 0 || at >= end) break;
    if (n === lines - 1) end = at + 1;
  }
  const c = text.charCodeAt(end - 1);
  return end < text.length && c >= 0xd800 && c <= 0xdbff ? end - 1 : end;
}

/** @param {string} text @returns {number} newlines in it */
function countLines(text) {
  let n = 0;
  for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) n++;
  return n;
}

/** What the view shows of the text being decoded: characters and lines so far; full once at the bound. */
const shown = { chars: 0, lines: 0, full: false };
let openStarted = 0;
let showOpeningTimer = 0;

/**
 * An opened link starts decoding: an empty, unverified output, and the opening's progress row
 * with what the page knows of the link before the worker reads it (its size; what the link
 * declares comes with the first progress: showDeclared).
 * @param {number} fragmentChars characters after the '#'
 */
export function beginDecoded(fragmentChars) {
  ui.decoded.hidden = false;
  ui.openAsk.hidden = true;
  ui.output.hidden = false;
  ui.output.textContent = '';
  ui.output.dataset.kolmoState = 'decoding';
  ui.output.classList.add('unverified');
  ui.output.classList.remove('failed');
  ui.verified.textContent = 'unverified — decoding…';
  ui.verified.className = 'badge pending';
  ui.edit.disabled = true;
  ui.edit.title = '';
  ui.copyText.hidden = true;
  ui.downloadText.hidden = true;
  ui.viewNote.hidden = true;
  ui.decodeSpeed.textContent = '';
  shown.chars = 0;
  shown.lines = 0;
  shown.full = false;
  openStarted = performance.now();
  ui.openBar.removeAttribute('value');
  ui.openNote.textContent = '';
  // About 6 bits of the link per character (base62; the QR form ~5.4).
  const coded = Math.floor((fragmentChars * 5.95) / 8);
  openPlanText = `Opening a ${formatCount(fragmentChars)}-character link (about ${formatBytes(coded)} coded). ` +
    'A link holds at most 4 MB of text: a model-free one decodes in seconds, one coded with the model at ' +
    'about a thousand tokens a second on each thread that decodes it.';
  // Shown only for an opening that takes a while (no flashing on short links).
  clearTimeout(showOpeningTimer);
  showOpeningTimer = setTimeout(() => {
    ui.openRow.hidden = false;
    ui.openPlan.textContent = openPlanText;
  }, 400);
}

/** The plan line of the opening: generic until the link says what it holds (showOpenProgress). */
let openPlanText = '';

/**
 * What the link declares, before decoding (the library's first decode progress), and the time
 * that opening it takes (open_time.js).
 * @param {import('./open_time.js').Declared} declared @param {import('./open_time.js').OpeningTime|null} time
 */
export function showDeclared(declared, time) {
  if (declared.textBytes >= 0 && declared.mode !== 'lm') {
    openPlanText = `This link holds ${formatBytes(declared.textBytes)} of text, ${declared.mode === 'stored' ? 'stored as it is' : 'coded without the model'}: ` +
      `it decodes at about 1 MB a second${declared.textBytes > 2e6 ? `, about ${formatSeconds(declared.textBytes / 1e3)}` : ''}.`;
  } else if (declared.textBytes >= 0 && time) {
    // A segmented link: its exact length, and segments that several threads decode at once.
    openPlanText = `This link holds ${formatBytes(declared.textBytes)} of text coded with the model, in segments ` +
      (time.threads > 1 ? `that ${time.threads} threads decode side by side` : 'decoded one after another') +
      `: about ${formatSeconds(time.seconds * 1000)} at a thousand tokens a second${time.threads > 1 ? ' each' : ''}.`;
  } else if (declared.maxTokens > 0) {
    openPlanText = `This link holds up to ${formatCount(declared.maxTokens)} tokens coded with the model ` +
      `(about ${formatBytes(declared.maxTokens * kBytesPerToken)} of text): at most ${formatSeconds(declared.maxTokens)} at a thousand tokens a second.`;
  } else {
    return; // a short lm link of payload 1: no size class; the generic line stands
  }
  if (!ui.openRow.hidden) ui.openPlan.textContent = openPlanText;
}

/** What the question before a long opening says the link holds (askToOpen, showDeclined). */
let askedSentence = '';

/**
 * A link that takes long to open, not opened: what it holds and how long opening takes, with
 * Open and Cancel (app.js; nothing is decoded until Open). The output is empty and hidden, in
 * state 'asking'.
 * @param {import('./open_time.js').Declared} declared @param {import('./open_time.js').OpeningTime} time
 */
export function askToOpen(declared, time) {
  const holds = declared.textBytes >= 0
    ? `This link holds ${formatBytes(declared.textBytes)} of text`
    : `This link holds up to ${formatCount(declared.maxTokens)} tokens of text, about ${formatBytes(declared.maxTokens * kBytesPerToken)}`;
  askedSentence = `${holds} (${time.upTo ? 'up to ' : ''}about ${formatDuration(time.seconds)} to open on this device)`;
  ui.output.hidden = true;
  ui.output.textContent = '';
  ui.output.dataset.kolmoState = 'asking';
  ui.verified.textContent = 'not opened yet';
  ui.verified.className = 'badge pending';
  ui.openAskText.textContent = `${askedSentence}. Open it?`;
  ui.openDecline.hidden = false;
  ui.openAsk.hidden = false;
  ui.openAccept.focus();
}

/** The question's Cancel: the link stays unopened (state 'declined'); Open still opens it. */
export function showDeclined() {
  ui.output.dataset.kolmoState = 'declined';
  ui.verified.textContent = 'not opened';
  ui.openAskText.textContent = `Not opened. ${askedSentence}.`;
  ui.openDecline.hidden = true;
}

/** The opening's progress (the library's onProgress). @param {import('../lib/index.js').Progress} p */
export function showOpenProgress(p) {
  if (p.phase === 'download') {
    ui.openBar.value = p.total ? p.done / p.total : 0;
    ui.openNote.textContent = `model: ${formatBytes(p.done)} of ${formatBytes(p.total ?? 0)}`;
  } else if (p.phase === 'load') {
    ui.openNote.textContent = p.done ? 'model ready' : 'starting the model…';
  } else if (p.phase === 'decode') {
    const share = p.total ? p.done / p.total : p.fraction;
    const elapsed = performance.now() - openStarted;
    if (share === undefined) {
      ui.openBar.removeAttribute('value');
    } else {
      ui.openBar.value = share;
    }
    // The share of the link read so far, and the time left at the pace so far.
    const left = share && share > 0.02 && elapsed > 1000 ? `, about ${formatSeconds((elapsed * (1 - share)) / share)} left` : '';
    ui.openNote.textContent = `${formatCount(p.done)} tokens${share !== undefined ? `, ${Math.round(share * 100)}% of the link` : ''}${left}`;
  }
}

/** The opening ended (done, failed or cancelled): its progress row goes. */
export function endOpening() {
  clearTimeout(showOpeningTimer);
  ui.openRow.hidden = true;
  ui.openPlan.textContent = '';
}

/**
 * Decoded, not yet verified, text as it arrives, up to the view's bound.
 * @param {string} text @param {number} tokens decoded so far
 */
export function appendDecoded(text, tokens) {
  ui.openNote.textContent = `${formatCount(tokens)} tokens`;
  if (shown.full || text === '') return;
  const end = prefixEnd(text, kViewLines - shown.lines, kViewChars - shown.chars);
  const part = end < text.length ? text.slice(0, end) : text;
  ui.output.append(part);
  shown.chars += part.length;
  shown.lines += countLines(part);
  if (end < text.length || shown.lines >= kViewLines || shown.chars >= kViewChars) {
    shown.full = true;
    ui.viewNote.textContent = 'Decoding goes on: the view shows the start of the text.';
    ui.viewNote.hidden = false;
  }
}

/**
 * The end of decoding: the output's final text (no longer unverified) and state, and the badge.
 * @param {string} text @param {'done'|'error'} state @param {string} badge @param {'ok'|'bad'} kind
 */
function settleOutput(text, state, badge, kind) {
  ui.output.textContent = text;
  ui.output.classList.remove('unverified');
  ui.output.dataset.kolmoState = state;
  ui.verified.textContent = badge;
  ui.verified.className = `badge ${kind}`;
}

/** Whether "Edit a copy" can put this text into the editor without blocking the page. @param {string} text */
export const editable = (text) => prefixEnd(text, kEditLines, kEditChars) === text.length;

/**
 * The opened link's text, verified, with how it was decoded: all of it, or for a long text its
 * start (kViewLines, kViewChars) and a note; Copy text and Download give the whole.
 * @param {{text: string, bytes: Uint8Array, fragment: string, elapsedMs: number,
 *   stats: import('../lib/index.js').DecompressStats}} opened
 */
export function showDecoded({ text, bytes, fragment, elapsedMs, stats: s }) {
  ui.unlock.hidden = true;
  ui.output.dataset.kolmoMode = s?.mode ?? '';
  const end = prefixEnd(text, kViewLines, kViewChars);
  settleOutput(end < text.length ? text.slice(0, end) : text, 'done', '✓ verified', 'ok');
  ui.output.dataset.kolmoShownChars = String(end);
  ui.output.dataset.kolmoChars = String(text.length);
  ui.viewNote.textContent = '';
  if (end < text.length) {
    const lines = countLines(text) + (text.endsWith('\n') ? 0 : 1);
    ui.viewNote.textContent = `Showing the start: ${formatBytes(new TextEncoder().encode(text.slice(0, end)).length)} of ` +
      `${formatBytes(bytes.length)} (${formatCount(Math.min(lines, kViewLines))} of ${formatCount(lines)} lines). ` +
      'Copy text or Download gives all of it.';
  }
  const canEdit = editable(text);
  if (!canEdit) ui.viewNote.textContent += `${end < text.length ? ' ' : ''}Too long for the editor here: edit a downloaded copy elsewhere.`;
  ui.viewNote.hidden = end === text.length && canEdit;
  ui.copyText.hidden = false;
  ui.downloadText.hidden = false;
  ui.edit.disabled = !canEdit;
  ui.edit.title = canEdit ? '' : `Too long to edit in this page (over ${formatCount(kEditLines)} lines or ` +
    `${formatBytes(kEditChars)}): download it and edit it elsewhere.`;
  showEngine(s);
  const seconds = s.codeMs / 1000;
  if (s.mode === 'lm') {
    const rate = s.tokens / Math.max(seconds, 1e-3);
    ui.output.dataset.kolmoTokensPerSecond = rate.toFixed(1);
    ui.output.dataset.kolmoBackend = s.backend ?? '';
    ui.decodeSpeed.textContent = `${formatBytes(bytes.length)} from a ${formatCount(fragment.length)}-character link: ` +
      `${formatCount(s.tokens)} tokens in ${seconds.toFixed(2)} s (${rate.toFixed(1)} tokens/s on ` +
      `${backendName(s.backend)})` +
      (s.loadMs > 50 ? `, after ${(s.loadMs / 1000).toFixed(1)} s loading the model.` : '.');
    renderHeat(bytes, s.tokenCosts, 'Opened link');
  } else {
    ui.decodeSpeed.textContent = `${formatBytes(bytes.length)} from a ${formatCount(fragment.length)}-character link ` +
      `(coded without the model: ${s.mode === 'cm' ? 'context mixing' : 'stored'}), in ${elapsedMs.toFixed(0)} ms.`;
  }
}

/**
 * The opening's steps on the page's clock (?timing; app/timing.js), under the opened text.
 * @param {string} line
 */
export function showTiming(line) {
  let note = /** @type {HTMLElement|null} */ (ui.decoded.querySelector('[data-kolmo="timing"]'));
  if (!note) {
    note = document.createElement('p');
    note.className = 'meta';
    note.dataset.kolmo = 'timing';
    ui.decoded.append(note);
  }
  note.textContent = `ms after navigation: ${line}`;
}

/**
 * An opened link that could not be opened: the message instead of any unverified text; for a
 * password error, the password field asks for it.
 * @param {string} message @param {string|undefined} code
 */
export function showOpenFailed(message, code) {
  ui.output.classList.add('failed');
  ui.viewNote.hidden = true;
  settleOutput(message, 'error', 'could not open', 'bad');
  if (code === 'password_required' || code === 'wrong_password') {
    ui.output.dataset.kolmoState = 'locked';
    ui.verified.textContent = code === 'password_required' ? 'password needed' : 'wrong password';
    ui.unlock.hidden = false;
    ui.passwordNote.textContent = 'Enter the password of the opened link, then press Enter or Open.';
    ui.password.focus();
  }
}

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

/** @param {Uint8Array} bytes @param {import('../lib/index.js').TokenCosts|undefined} costs @param {string} caption */
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
