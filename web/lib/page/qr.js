// @ts-check
// @file QR codes of kolmo links, for the page and the CLI: the symbol is made by the npm package
// qrcode-generator (not hand-written); this file only decides the segments and draws modules.
//
// A link is two segments: everything up to '#' in byte mode (a URL's path is case-sensitive,
// so it stays as it is), and the fragment. A fragment in the QR form (url_codec.h: '-' + base43,
// every character in QR's alphanumeric set) goes in alphanumeric mode, 5.5 bits a character
// instead of 8, which makes the symbol about 25% smaller than one of the base62 link; any other
// fragment goes in byte mode. The page serves the package's ES module from vendor/ (the site
// builder rewrites the bare import); Node resolves it from node_modules.
import qrcode from 'qrcode-generator';

const kAlphanumeric = /^[0-9A-Z $%*+\-./:]*$/;

/**
 * @typedef {{version: number, size: number, ecc: 'L'|'M'|'Q'|'H', isDark: (row: number, col: number) => boolean}} QrSymbol
 *   size: modules per side (17 + 4 * version), without the quiet zone
 */

/**
 * The QR symbol of a link (or of a bare fragment text).
 * @param {string} link  e.g. 'https://host/kolmo/#-8ADO…' (any text works)
 * @param {{ecc?: 'L'|'M'|'Q'|'H'}} [options]  error correction, default 'M' (15% of the symbol may be lost)
 * @returns {QrSymbol}
 */
export function qrSymbol(link, { ecc = 'M' } = {}) {
  const hash = link.indexOf('#');
  const prefix = hash >= 0 ? link.slice(0, hash + 1) : '';
  const fragment = hash >= 0 ? link.slice(hash + 1) : link;
  const code = qrcode(0, ecc); // 0: the smallest version that holds the data
  if (prefix) code.addData(prefix, 'Byte');
  if (fragment) code.addData(fragment, kAlphanumeric.test(fragment) ? 'Alphanumeric' : 'Byte');
  try {
    code.make();
  } catch (error) {
    throw Object.assign(new Error(`the link is too long for a QR code (${link.length} characters): ${/** @type {any} */ (error)?.message ?? error}`), { code: 'length_over_limit' });
  }
  const size = code.getModuleCount();
  return { version: (size - 17) / 4, size, ecc, isDark: (row, col) => code.isDark(row, col) };
}

/**
 * The symbol for a terminal: two module rows per text line with Unicode half blocks, dark
 * modules drawn as the terminal's background (works on dark and light themes alike when printed
 * with the inverse colours below), a quiet zone of `margin` modules.
 * @param {QrSymbol} symbol @param {{margin?: number}} [options]
 */
export function qrTerminalText(symbol, { margin = 2 } = {}) {
  const n = symbol.size + 2 * margin;
  const dark = (/** @type {number} */ r, /** @type {number} */ c) =>
    r >= margin && c >= margin && r < symbol.size + margin && c < symbol.size + margin && symbol.isDark(r - margin, c - margin);
  const lines = [];
  for (let r = 0; r < n; r += 2) {
    let line = '';
    for (let c = 0; c < n; c++) {
      const top = !dark(r, c); // light modules are drawn, dark ones left blank
      const bottom = r + 1 < n ? !dark(r + 1, c) : false;
      line += top && bottom ? '█' : top ? '▀' : bottom ? '▄' : ' ';
    }
    lines.push(line);
  }
  return lines.join('\n') + '\n';
}

/**
 * The symbol as an SVG document: one path of unit squares, attributes only (no style, so it is
 * fine under a strict CSP too), a quiet zone of `margin` modules.
 * @param {QrSymbol} symbol @param {{margin?: number, scale?: number}} [options]
 */
export function qrSvg(symbol, { margin = 4, scale = 8 } = {}) {
  const n = symbol.size + 2 * margin;
  let d = '';
  for (let r = 0; r < symbol.size; r++) {
    for (let c = 0; c < symbol.size; c++) if (symbol.isDark(r, c)) d += `M${c + margin} ${r + margin}h1v1h-1z`;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${n * scale}" height="${n * scale}" viewBox="0 0 ${n} ${n}" shape-rendering="crispEdges">` +
    `<rect width="${n}" height="${n}" fill="#fff"/><path d="${d}" fill="#000"/></svg>\n`;
}

/**
 * The symbol as RGBA pixels (black on white), for PNG writers and canvases.
 * @param {QrSymbol} symbol @param {{margin?: number, scale?: number}} [options]
 * @returns {{width: number, height: number, data: Uint8ClampedArray}}
 */
export function qrPixels(symbol, { margin = 4, scale = 8 } = {}) {
  const width = (symbol.size + 2 * margin) * scale;
  const data = new Uint8ClampedArray(width * width * 4).fill(255);
  for (let r = 0; r < symbol.size; r++) {
    for (let c = 0; c < symbol.size; c++) {
      if (!symbol.isDark(r, c)) continue;
      for (let y = (r + margin) * scale; y < (r + margin + 1) * scale; y++) {
        const row = y * width * 4;
        for (let x = (c + margin) * scale; x < (c + margin + 1) * scale; x++) data.fill(0, row + x * 4, row + x * 4 + 3);
      }
    }
  }
  return { width, height: width, data };
}
