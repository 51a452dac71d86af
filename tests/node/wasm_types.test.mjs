// The hand-written wasm/kolmo_wasm.d.ts cannot drift from wasm/bindings.cpp (emcc 3.1.6 cannot
// emit declarations): every binding (free function, constant, class, its methods and static
// functions) is declared, every declaration is bound, and each exists with its kind in the
// built module. Parsed with the TypeScript compiler API, read from the bindings' EMSCRIPTEN_BINDINGS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { loadCodec } from '../../web/lib/worker/codec.js';
import { repoRoot } from './helpers.mjs';

const bindingsSource = readFileSync(join(repoRoot, 'wasm/bindings.cpp'), 'utf8');
const block = bindingsSource.slice(bindingsSource.indexOf('EMSCRIPTEN_BINDINGS'));

/** What bindings.cpp binds: {functions, constants, classes: name -> {methods, statics, constructed}}. */
function bound() {
  const functions = new Set([...block.matchAll(/(?<![.\w])function\("(\w+)"/g)].map((m) => m[1]));
  const constants = new Set([...block.matchAll(/(?<![.\w])constant\("(\w+)"/g)].map((m) => m[1]));
  /** @type {Map<string, {methods: Set<string>, statics: Set<string>, constructed: boolean}>} */
  const classes = new Map();
  for (const m of block.matchAll(/class_<[^>]+>\("(\w+)"\)([^;]*);/g)) {
    classes.set(m[1], {
      methods: new Set([...m[2].matchAll(/\.function\("(\w+)"/g)].map((f) => f[1])),
      statics: new Set([...m[2].matchAll(/\.class_function\("(\w+)"/g)].map((f) => f[1])),
      constructed: /\.constructor</.test(m[2]),
    });
  }
  return { functions, constants, classes };
}

/** The declarations: interface name -> member names (methods and properties, construct signatures as 'new'). */
function declared() {
  const file = join(repoRoot, 'wasm/kolmo_wasm.d.ts');
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  /** @type {Map<string, Map<string, string>>} interface -> member -> kind ('method', 'property: T', 'new') */
  const interfaces = new Map();
  source.forEachChild((node) => {
    if (!ts.isInterfaceDeclaration(node)) return;
    const members = new Map();
    for (const member of node.members) {
      if (ts.isConstructSignatureDeclaration(member)) members.set('new', 'new');
      else if (ts.isMethodSignature(member)) members.set(member.name.getText(source), 'method');
      else if (ts.isPropertySignature(member)) members.set(member.name.getText(source), `property: ${member.type?.getText(source)}`);
    }
    interfaces.set(node.name.text, members);
  });
  return interfaces;
}

test('kolmo_wasm.d.ts declares exactly what bindings.cpp binds, and the built module has it', async () => {
  const { functions, constants, classes } = bound();
  const interfaces = declared();
  const module = /** @type {any} */ ((await loadCodec()).wasm);
  const moduleMembers = /** @type {Map<string, string>} */ (interfaces.get('KolmoWasmModule'));
  assert.ok(functions.size > 25 && classes.size >= 5, `bindings parsed: ${functions.size} functions, ${classes.size} classes`);

  for (const name of functions) {
    assert.equal(moduleMembers.get(name), 'method', `${name}: bound as a function, not declared as a method of KolmoWasmModule`);
    assert.equal(typeof module[name], 'function', `${name}: not a function in the built module`);
  }
  for (const name of constants) {
    assert.equal(moduleMembers.get(name), 'property: number', `${name}: bound as a constant, not declared as a number`);
    assert.equal(typeof module[name], 'number', `${name}: not a number in the built module`);
  }
  for (const [name, cls] of classes) {
    assert.equal(moduleMembers.get(name), `property: ${name}Class`, `class ${name}: not declared as ${name}: ${name}Class`);
    const statics = /** @type {Map<string, string>} */ (interfaces.get(`${name}Class`));
    const instance = /** @type {Map<string, string>} */ (interfaces.get(name));
    assert.ok(statics && instance, `class ${name}: interfaces ${name} and ${name}Class`);
    assert.deepEqual([...statics.keys()].sort(), [...cls.statics, ...(cls.constructed ? ['new'] : [])].sort(), `${name}Class: static functions and constructor`);
    assert.deepEqual([...instance.keys()].sort(), [...cls.methods].sort(), `${name}: methods`);
    for (const s of cls.statics) assert.equal(typeof module[name][s], 'function', `${name}.${s} in the built module`);
    for (const m of cls.methods) assert.equal(typeof module[name].prototype[m], 'function', `${name}#${m} in the built module`);
  }
  // Nothing declared on the module that is not bound.
  for (const [name, kind] of moduleMembers) {
    const isBound = functions.has(name) || constants.has(name) || classes.has(name);
    assert.ok(isBound, `KolmoWasmModule.${name} (${kind}) is declared but not bound in bindings.cpp`);
  }
});
