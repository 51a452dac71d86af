// @file The page's QR code of the link: drawn on a <canvas> inside [data-kolmo="qr"] from the
// symbol web/lib/page/qr.js makes (qrcode-generator), in the link's uppercase QR form, which QR's
// alphanumeric mode stores in about 25% fewer modules than the base62 link. No inline style (the
// page runs under a strict CSP): the canvas is sized through its attributes.
import { qrSymbol } from '../lib/page/qr.js';
import { formatCount } from './format.js';

// QR version 40 holds at most 3,391 alphanumeric characters at ecc M; beyond that no symbol.
const kMaxQrChars = 3391;
const kQuietModules = 4;
const kMaxCanvasPixels = 320;

/**
 * Shows the QR code of `link` in the element (or hides it when link is '').
 * @param {HTMLElement} element  [data-kolmo="qr"]: holds a <canvas> and a [data-kolmo="qr-note"]
 * @param {string} link  the whole link in its QR form (https://host/#-…)
 */
export function showQr(element, link) {
  const canvas = /** @type {HTMLCanvasElement} */ (element.querySelector('canvas'));
  const note = /** @type {HTMLElement} */ (element.querySelector('[data-kolmo="qr-note"]'));
  element.hidden = link === '';
  if (!link) return;
  if (link.length > kMaxQrChars) {
    canvas.hidden = true;
    element.dataset.kolmoVersion = '';
    note.textContent = `The link is too long for a QR code (${formatCount(link.length)} characters; a QR code holds about ${formatCount(kMaxQrChars)}).`;
    return;
  }
  const symbol = qrSymbol(link);
  const modules = symbol.size + 2 * kQuietModules;
  const scale = Math.max(2, Math.floor(kMaxCanvasPixels / modules));
  canvas.width = canvas.height = modules * scale;
  canvas.hidden = false;
  const context = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
  context.fillStyle = '#fff';
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.fillStyle = '#000';
  for (let r = 0; r < symbol.size; r++) {
    for (let c = 0; c < symbol.size; c++) {
      if (symbol.isDark(r, c)) context.fillRect((c + kQuietModules) * scale, (r + kQuietModules) * scale, scale, scale);
    }
  }
  element.dataset.kolmoVersion = String(symbol.version);
  canvas.setAttribute('aria-label', `QR code of the link (version ${symbol.version})`);
  note.textContent = `QR code version ${symbol.version} (${symbol.size}×${symbol.size}), of the link's uppercase form — it opens the same text.`;
}
