#!/usr/bin/env node
// @ts-check
// kolmo command line: compress files (or stdin) into kolmo files or link fragments, and back.
// A thin layer over web/lib/index.js; the same containers and fragments as the web page.
//
//   kolmo compress [FILE] [-o OUT] [--url] [--backend node|wasm] [--mode lm|cm|stored]
//   kolmo decompress [FILE] [-o OUT] [--url] [--backend node|wasm]
//
// Files are the file form: "KLMO" + the link's container. --url reads or writes the fragment
// text instead (what follows '#' in a link; decompress also takes a whole link). Errors: one
// line on stderr, exit status 1 (2 for a wrong command line).
import { readFile, writeFile } from 'node:fs/promises';
import { compress, decompress, KolmoError } from '../web/lib/index.js';

const kUsage = `usage: kolmo compress [FILE] [-o OUT] [--url] [--backend node|wasm] [--mode lm|cm|stored]
       kolmo decompress [FILE] [-o OUT] [--url] [--backend node|wasm]

  compress     FILE (or stdin) -> a kolmo file ("KLMO" + container) on OUT (or stdout);
               --url: the link fragment text instead (what follows # in a link)
  decompress   a kolmo file, or with --url fragment text or a whole link, from FILE (or
               stdin) -> the original bytes on OUT (or stdout)
  --backend    ONNX Runtime backend: node (native CPU) or wasm; default: node, else wasm
  --mode       compress: code with this mode only (lm: the model, cm: the model-free codec,
               stored: as is); default: the smallest of the three
  --quiet      no progress on stderr`;

const kMagic = new TextEncoder().encode('KLMO');

class UsageError extends Error {}

/** @param {string[]} args */
function parseArgs(args) {
  /** @type {{command?: string, file?: string, out?: string, url: boolean, backend?: string, mode?: string, quiet: boolean, help: boolean}} */
  const options = { url: false, quiet: false, help: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '-h' || arg === '--help') options.help = true;
    else if (arg === '--url') options.url = true;
    else if (arg === '--quiet' || arg === '-q') options.quiet = true;
    else if (arg === '-o' || arg === '--output') {
      if (i + 1 >= args.length) throw new UsageError(`${arg} needs a file name`);
      options.out = args[++i];
    } else if (arg === '--backend' || arg.startsWith('--backend=')) {
      const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : args[++i];
      if (value !== 'node' && value !== 'wasm') throw new UsageError(`--backend: expected node or wasm, got ${value ?? 'nothing'}`);
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

async function writeOutput(/** @type {string|undefined} */ file, /** @type {Uint8Array|string} */ data) {
  if (file !== undefined && file !== '-') {
    await writeFile(file, data);
    return;
  }
  await new Promise((resolve, reject) => {
    process.stdout.write(data, (error) => (error ? reject(error) : resolve(undefined)));
  });
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
  const libOptions = {
    ...(options.backend ? { backends: /** @type {Array<'node'|'wasm'>} */ ([options.backend]) } : {}),
    onProgress: progressReporter(options.quiet),
  };
  const input = await readInput(options.file);
  const clearProgress = () => libOptions.onProgress && process.stderr.write('\r\x1b[K');

  if (options.command === 'compress') {
    const modes = options.mode ? [/** @type {'lm'|'cm'|'stored'} */ (options.mode)] : undefined;
    const { bytes, fragment } = await compress(input, { ...libOptions, modes });
    clearProgress();
    if (options.url) {
      await writeOutput(options.out, fragment + '\n');
    } else {
      const file = new Uint8Array(kMagic.length + bytes.length);
      file.set(kMagic);
      file.set(bytes, kMagic.length);
      await writeOutput(options.out, file);
    }
    return;
  }

  let source;
  if (options.url) {
    const text = new TextDecoder('utf-8', { fatal: false }).decode(input).trim();
    if (text === '') throw new KolmoError('truncated', 'no link text in the input');
    source = text;
  } else {
    if (input.length < kMagic.length || !kMagic.every((b, i) => input[i] === b)) {
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
