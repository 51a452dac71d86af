#!/usr/bin/env node
// @ts-check
// kolmo command line: compress files (or stdin) into kolmo files or link fragments, and back.
// A thin layer over web/lib/index.js; the same containers and fragments as the web page.
//
//   kolmo compress [FILE] [-o OUT] [--url] [--backend core|wasm|node] [--mode lm|cm|stored]
//                  [--password-file F] [--qr [IMAGE.svg|IMAGE.png]] [--base-url URL]
//   kolmo decompress [FILE] [-o OUT] [--url] [--backend core|wasm|node] [--password-file F] [--models DIR]
//                    [--max-text-bytes N] [--workers N]
//
// Files are the file form: "KLMO" + the link's container. --url reads or writes the fragment
// text instead (what follows '#' in a link; decompress also takes a whole link). Errors: one
// line on stderr, exit status 1 (2 for a wrong command line).
import { readFile, writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { loadCodec } from '../web/lib/worker/codec.js';
import { compress, decompress, KolmoError } from '../web/lib/index.js';
import { qrPixels, qrSvg, qrSymbol, qrTerminalText } from '../web/lib/page/qr.js';

const kUsage = `usage: kolmo compress [FILE] [-o OUT] [--url] [--backend core|wasm|node] [--mode lm|cm|stored]
                      [--password-file F] [--qr [IMAGE.svg|IMAGE.png]] [--base-url URL]
       kolmo decompress [FILE] [-o OUT] [--url] [--backend core|wasm|node] [--password-file F] [--models DIR]
                        [--max-text-bytes N] [--workers N]

  compress     FILE (or stdin) -> a kolmo file ("KLMO" + container) on OUT (or stdout);
               --url: the link fragment text instead (what follows # in a link)
  decompress   a kolmo file, or with --url fragment text or a whole link, from FILE (or
               stdin) -> the original bytes on OUT (or stdout)
  --backend    where the model runs: core (kolmo's own engine, the default), or ONNX Runtime
               for comparison: wasm (onnxruntime-web) or node (needs onnxruntime-node installed)
  --mode       compress: code with this mode only (lm: the model, cm: the model-free codec,
               stored: as is); default: the smallest of the three
  --password-file  encrypt (compress) or open (decompress) with the password in F (its first
               line); decompress of an encrypted link without it fails with password_required
  --qr         compress: a QR code of the link (in its uppercase QR form), printed on stderr,
               or written to IMAGE.svg / IMAGE.png
  --base-url   the page the QR code's link opens (e.g. https://user.github.io/kolmo/); without
               it the QR code holds the fragment text alone (kolmo decompress --url opens it)
  --models     a folder with manifest.json and one folder per model id (the kolmo repository's
               models/): for links made with an older model, which the npm package does not
               include (it has the default model only)
  --max-text-bytes  decompress: open a link whose text is up to N bytes (default 4194304); a
               link that declares more is refused before any decoding
  --workers    threads that code a long text's segments side by side, or a text's model
               windows ahead of its coder (the same link; default: the machine's cores, at
               most 4; 1: all on one thread)
  --quiet      no progress on stderr`;


class UsageError extends Error {}

/** @param {string[]} args */
function parseArgs(args) {
  /** @type {{command?: string, file?: string, out?: string, url: boolean, backend?: string, mode?: string, quiet: boolean, help: boolean,
   *   passwordFile?: string, qr?: string|true, baseUrl?: string, models?: string, maxTextBytes?: number, workers?: number}} */
  const options = { url: false, quiet: false, help: false };
  const valueOf = (/** @type {string} */ arg, /** @type {number} */ i) => {
    const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : args[i + 1];
    if (value === undefined || value === '') throw new UsageError(`${arg.split('=')[0]} needs a value`);
    return value;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '-h' || arg === '--help') options.help = true;
    else if (arg === '--password-file' || arg.startsWith('--password-file=')) {
      options.passwordFile = valueOf(arg, i);
      if (!arg.includes('=')) i++;
    } else if (arg === '--models' || arg.startsWith('--models=')) {
      options.models = valueOf(arg, i);
      if (!arg.includes('=')) i++;
    } else if (arg === '--base-url' || arg.startsWith('--base-url=')) {
      options.baseUrl = valueOf(arg, i);
      if (!arg.includes('=')) i++;
    } else if (arg === '--max-text-bytes' || arg.startsWith('--max-text-bytes=') || arg === '--workers' || arg.startsWith('--workers=')) {
      const name = arg.split('=')[0];
      const value = Number(valueOf(arg, i));
      if (!Number.isSafeInteger(value) || value < 1) throw new UsageError(`${name}: expected a positive whole number`);
      if (name === '--workers') options.workers = value;
      else options.maxTextBytes = value;
      if (!arg.includes('=')) i++;
    } else if (arg.startsWith('--qr=')) options.qr = valueOf(arg, i);
    else if (arg === '--qr') {
      // An image file name may follow; anything else is the next argument.
      if (/\.(svg|png)$/i.test(args[i + 1] ?? '')) options.qr = args[++i];
      else options.qr = true;
    }
    else if (arg === '--url') options.url = true;
    else if (arg === '--quiet' || arg === '-q') options.quiet = true;
    else if (arg === '-o' || arg === '--output') {
      if (i + 1 >= args.length) throw new UsageError(`${arg} needs a file name`);
      options.out = args[++i];
    } else if (arg === '--backend' || arg.startsWith('--backend=')) {
      const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : args[++i];
      if (value !== 'core' && value !== 'node' && value !== 'wasm') throw new UsageError(`--backend: expected core, wasm or node, got ${value ?? 'nothing'}`);
      options.backend = value;
    } else if (arg === '--mode' || arg.startsWith('--mode=')) {
      const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : args[++i];
      if (value !== 'lm' && value !== 'cm' && value !== 'stored') throw new UsageError(`--mode: expected lm, cm or stored, got ${value ?? 'nothing'}`);
      options.mode = value;
    } else if (arg.startsWith('-') && arg !== '-') {
      throw new UsageError(`unknown option ${arg}`);
    } else if (options.command === undefined) {
      options.command = arg;
    } else if (options.file === undefined) {
      options.file = arg;
    } else {
      throw new UsageError(`unexpected argument ${arg}`);
    }
  }
  return options;
}

async function readInput(/** @type {string|undefined} */ file) {
  if (file !== undefined && file !== '-') return new Uint8Array(await readFile(file));
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return new Uint8Array(Buffer.concat(chunks));
}

/** Output errors in one line: what failed and why, e.g. a closed pipe or a full disk. */
class OutputError extends Error {}
const kOutputReasons = /** @type {Record<string, string>} */ ({
  EPIPE: 'the reading side closed the pipe',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EBADF: 'standard output is closed',
});
function outputError(/** @type {any} */ error, /** @type {string} */ where) {
  const code = error?.code ?? 'EIO';
  return new OutputError(`cannot write ${where}: ${code} (${kOutputReasons[code] ?? error?.message ?? error})`);
}

// stdout's errors arrive as 'error' events too (EPIPE once the reader is gone); without a
// listener Node would print a stack trace instead of the one line.
/** @type {((error: Error) => void)|null} */
let failStdout = null;
process.stdout.on('error', (error) => failStdout?.(outputError(error, 'the output')));

async function writeOutput(/** @type {string|undefined} */ file, /** @type {Uint8Array|string} */ data) {
  if (file !== undefined && file !== '-') {
    await writeFile(file, data).catch((error) => {
      throw outputError(error, file);
    });
    return;
  }
  await new Promise((resolve, reject) => {
    failStdout = reject;
    process.stdout.write(data, (error) => (error ? reject(outputError(error, 'the output')) : resolve(undefined)));
  });
}

/** The password in a file: its first line (without the line break). */
async function readPassword(/** @type {string} */ file) {
  const text = new TextDecoder('utf-8', { fatal: true }).decode(await readFile(file));
  const password = text.split(/\r\n|\n|\r/)[0]; // any line end: LF, CRLF, or a lone CR (old Mac files)
  if (password === '') throw new UsageError(`--password-file ${file}: the first line is empty`);
  return password;
}

/** Writes the QR code of a compressed link: on stderr (a terminal), or to an SVG / PNG file. */
async function writeQr(/** @type {string|true} */ target, /** @type {string} */ qrFragment, /** @type {string|undefined} */ baseUrl) {
  const text = baseUrl ? `${baseUrl.replace(/#.*$/, '')}#${qrFragment}` : qrFragment;
  const symbol = qrSymbol(text);
  if (target === true) {
    process.stderr.write(`\x1b[7m${qrTerminalText(symbol).replace(/\n/g, '\x1b[0m\n\x1b[7m')}\x1b[0m` +
      `kolmo: QR code version ${symbol.version} (${symbol.size}x${symbol.size} modules, ecc ${symbol.ecc}) of ${text.length} characters\n`);
  } else if (/\.svg$/i.test(target)) {
    await writeOutput(target, qrSvg(symbol));
  } else {
    const { width, height, data } = qrPixels(symbol);
    // pngjs only here: the library (and the browser) never loads it.
    // @ts-expect-error pngjs ships no type declarations
    const { PNG } = await import('pngjs');
    const png = new PNG({ width, height });
    png.data.set(data);
    await writeOutput(target, PNG.sync.write(png));
  }
}

/** Progress on stderr when it is a terminal: one line, rewritten. */
function progressReporter(/** @type {boolean} */ quiet) {
  if (quiet || !process.stderr.isTTY) return undefined;
  let last = 0;
  return (/** @type {{phase: string, done: number, total?: number, fraction?: number}} */ p) => {
    const t = Date.now();
    if (t - last < 200) return;
    last = t;
    const share = p.total ? p.done / p.total : p.fraction;
    const pct = share === undefined ? '' : ` ${Math.round(share * 100)}%`;
    process.stderr.write(`\rkolmo: ${p.phase} ${p.done}${p.total ? '/' + p.total : ''}${pct}   `);
  };
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  if (options.help) {
    process.stdout.write(kUsage + '\n');
    return;
  }
  if (options.command !== 'compress' && options.command !== 'decompress') {
    throw new UsageError(options.command === undefined ? 'missing command' : `unknown command ${options.command}`);
  }
  if (options.command === 'decompress' && (options.qr !== undefined || options.baseUrl !== undefined)) {
    throw new UsageError('--qr and --base-url are options of compress');
  }
  const libOptions = {
    ...(options.backend ? { backends: /** @type {Array<'core'|'node'|'wasm'>} */ ([options.backend]) } : {}),
    ...(options.passwordFile !== undefined ? { password: await readPassword(options.passwordFile) } : {}),
    ...(options.models !== undefined ? { modelBaseUrl: pathToFileURL(options.models.replace(/\/?$/, '/')) } : {}),
    ...(options.maxTextBytes !== undefined ? { maxTextBytes: options.maxTextBytes } : {}),
    ...(options.workers !== undefined ? { workers: options.workers } : {}),
    onProgress: progressReporter(options.quiet),
  };
  const input = await readInput(options.file);
  const clearProgress = () => libOptions.onProgress && process.stderr.write('\r\x1b[K');

  if (options.command === 'compress') {
    const modes = options.mode ? [/** @type {'lm'|'cm'|'stored'} */ (options.mode)] : undefined;
    const { bytes, fragment, qrFragment } = await compress(input, { ...libOptions, modes });
    clearProgress();
    if (options.qr !== undefined) await writeQr(options.qr, qrFragment, options.baseUrl);
    if (options.url) {
      await writeOutput(options.out, fragment + '\n');
    } else {
      await writeOutput(options.out, (await loadCodec()).containerToFile(bytes));
    }
    return;
  }

  let source;
  if (options.url) {
    const text = new TextDecoder('utf-8', { fatal: false }).decode(input).trim();
    if (text === '') throw new KolmoError('truncated', 'no link text in the input');
    source = text;
  } else {
    if (!(await loadCodec()).isFileForm(input)) {
      throw new KolmoError('bad_magic', 'not a kolmo file (it does not start with KLMO); for link text use --url');
    }
    source = input;
  }
  const bytes = await decompress(source, { ...libOptions, output: 'bytes' });
  clearProgress();
  await writeOutput(options.out, bytes);
}

main().then(
  () => {
    // ONNX Runtime's thread pools can outlive the work; the output is written, so leave.
    process.exit(0);
  },
  (error) => {
    if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
    if (error instanceof UsageError) {
      process.stderr.write(`kolmo: ${error.message}\n${kUsage}\n`);
      process.exit(2);
    }
    const message = error instanceof KolmoError
      ? error.message
      : `${error?.code ? error.code + ': ' : ''}${error?.message ?? error}`;
    process.stderr.write(`kolmo: ${message.split('\n')[0]}\n`);
    process.exit(1);
  },
);
