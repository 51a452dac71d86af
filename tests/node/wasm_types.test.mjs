// The hand-written declarations of the two WASM modules cannot drift from their Embind bindings
// (emcc 3.1.6 cannot emit declarations):
//   product  wasm/kolmo_wasm.d.ts       KolmoWasmModule      wasm/bindings.cpp
//   test     wasm/kolmo_wasm_test.d.ts  KolmoWasmTestModule  wasm/test_bindings.cpp (it extends
//                                                             KolmoWasmModule: the test module
//                                                             links the product bindings too)
// For each: every binding (free function, constant, class, its methods and static functions) is
// declared, every declaration is bound, and each exists with its kind in the built module. The
// product module has none of the test bindings, and both declaration files type-check. Parsed with
// the TypeScript compiler API, read from each file's EMSCRIPTEN_BINDINGS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { loadCodec } from '../../web/lib/worker/codec.js';
import { repoRoot } from './helpers.mjs';
import { loadTestCodec } from './test_codec.mjs';

/**
 * What a bindings file binds: {functions, constants, classes: name -> {methods, statics, constructed}}.
 * @param {string} path relative to the repository
 */
function bound(path) {
  const source = readFileSync(join(repoRoot, path), 'utf8');
  const block = source.slice(source.indexOf('EMSCRIPTEN_BINDINGS'));
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
  return { functions, constants, classes, names: new Set([...functions, ...constants, ...classes.keys()]) };
}

/**
 * A declaration file's interfaces: name -> {members: member -> kind ('method', 'property: T',
 * 'new'), extends: the names in its extends clause}.
 * @param {string} path relative to the repository
 */
function declared(path) {
  const file = join(repoRoot, path);
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  /** @type {Map<string, {members: Map<string, string>, extends: string[]}>} */
  const interfaces = new Map();
  source.forEachChild((node) => {
    if (!ts.isInterfaceDeclaration(node)) return;
    const members = new Map();
    for (const member of node.members) {
      if (ts.isConstructSignatureDeclaration(member)) members.set('new', 'new');
      else if (ts.isMethodSignature(member)) members.set(member.name.getText(source), 'method');
      else if (ts.isPropertySignature(member)) members.set(member.name.getText(source), `property: ${member.type?.getText(source)}`);
    }
    const bases = (node.heritageClauses ?? []).flatMap((h) => h.types.map((t) => t.expression.getText(source)));
    interfaces.set(node.name.text, { members, extends: bases });
  });
  return interfaces;
}

/**
 * Checks one bindings file against its declarations and a built module that holds it.
 * @param {{bindings: string, dts: string, moduleInterface: string, module: any}} spec
 */
function checkBindings({ bindings, dts, moduleInterface, module }) {
  const { functions, constants, classes, names } = bound(bindings);
  const interfaces = declared(dts);
  const moduleMembers = interfaces.get(moduleInterface)?.members;
  assert.ok(moduleMembers, `${dts}: interface ${moduleInterface}`);

  for (const name of functions) {
    assert.equal(moduleMembers.get(name), 'method', `${name}: bound as a function, not declared as a method of ${moduleInterface}`);
    assert.equal(typeof module[name], 'function', `${name}: not a function in the built module`);
  }
  for (const name of constants) {
    assert.equal(moduleMembers.get(name), 'property: number', `${name}: bound as a constant, not declared as a number`);
    assert.equal(typeof module[name], 'number', `${name}: not a number in the built module`);
  }
  for (const [name, cls] of classes) {
    assert.equal(moduleMembers.get(name), `property: ${name}Class`, `class ${name}: not declared as ${name}: ${name}Class`);
    const statics = interfaces.get(`${name}Class`)?.members;
    const instance = interfaces.get(name)?.members;
    assert.ok(statics && instance, `class ${name}: interfaces ${name} and ${name}Class in ${dts}`);
    assert.deepEqual([...statics.keys()].sort(), [...cls.statics, ...(cls.constructed ? ['new'] : [])].sort(), `${name}Class: static functions and constructor`);
    assert.deepEqual([...instance.keys()].sort(), [...cls.methods].sort(), `${name}: methods`);
    for (const s of cls.statics) assert.equal(typeof module[name][s], 'function', `${name}.${s} in the built module`);
    for (const m of cls.methods) assert.equal(typeof module[name].prototype[m], 'function', `${name}#${m} in the built module`);
  }
  // Nothing declared on the module that is not bound.
  for (const [name, kind] of moduleMembers) {
    assert.ok(names.has(name), `${moduleInterface}.${name} (${kind}) is declared but not bound in ${bindings}`);
  }
  return { functions, constants, classes, names };
}

const product = { bindings: 'wasm/bindings.cpp', dts: 'wasm/kolmo_wasm.d.ts', moduleInterface: 'KolmoWasmModule' };
const testOnly = { bindings: 'wasm/test_bindings.cpp', dts: 'wasm/kolmo_wasm_test.d.ts', moduleInterface: 'KolmoWasmTestModule' };

test('kolmo_wasm.d.ts declares exactly what bindings.cpp binds, and the product module has it', async () => {
  const module = /** @type {any} */ ((await loadCodec()).wasm);
  const { functions, classes } = checkBindings({ ...product, module });
  assert.ok(functions.size > 25 && classes.size >= 4, `bindings parsed: ${functions.size} functions, ${classes.size} classes`);
});

test('kolmo_wasm_test.d.ts declares exactly what test_bindings.cpp adds; the test module has both, the product module none of it', async () => {
  const testModule = /** @type {any} */ ((await loadTestCodec()).wasm);
  const productModule = /** @type {any} */ ((await loadCodec()).wasm);
  const { names } = checkBindings({ ...testOnly, module: testModule });
  assert.ok(names.has('dumpNodeTable') && names.has('Quantizer'), `test bindings parsed: ${[...names]}`);
  // The test module's type is the product module's plus these: it extends KolmoWasmModule ...
  assert.deepEqual(declared(testOnly.dts).get(testOnly.moduleInterface)?.extends, [product.moduleInterface]);
  // ... and the built test module holds every product binding as well.
  checkBindings({ ...product, module: testModule });
  const productNames = bound(product.bindings).names;
  for (const name of names) {
    assert.ok(!productNames.has(name), `${name} is bound in both bindings.cpp and test_bindings.cpp`);
    assert.equal(productModule[name], undefined, `${name}: a test binding in the product module`);
  }
});

test('both declaration files type-check (the test module\'s imports the product\'s types)', () => {
  const files = [product.dts, testOnly.dts].map((f) => join(repoRoot, f));
  const program = ts.createProgram(files, {
    noEmit: true, strict: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022, lib: ['lib.es2022.d.ts'], types: [],
  });
  const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  assert.deepEqual(diagnostics, []);
});
