// @ts-check
// @file The package's own model files as assets a bundler can see: one literal
// `new URL('…', import.meta.url)` per file, the pattern Vite and webpack 5 follow (Parcel too), so an
// app that imports kolmo gets the manifest and the default model copied into its build (hashed
// names, any base path) with no configuration. Served as-is (a CDN, node_modules, Node's file:
// URLs) the same URLs resolve beside this module, in the package's models/ folder.
//
// Only the default model is listed: older models (km1, which old links need) are not in the npm
// package, and are looked for in the package's models/ folder at run time (kOtherModelsFolder, a
// URL bundlers do not follow) or under the caller's modelBaseUrl. When the default model changes,
// this file changes with it (tests/package/package.test.mjs checks it against
// models/manifest.json).

/** models/manifest.json: every model id -> its files, sizes and sha256. */
export const kManifestUrl = new URL('../../../models/manifest.json', import.meta.url);

/** The manifest's default model, whose files follow. */
export const kBundledModelId = 'km3-f0c80a708d9424e4';

/** The default model's run-time files (model_store.js kModelFiles) -> their URLs. */
export const kBundledModelFiles = Object.freeze({
  'model.onnx': new URL('../../../models/km3-f0c80a708d9424e4/model.onnx', import.meta.url),
  'tokenizer.kbpe': new URL('../../../models/km3-f0c80a708d9424e4/tokenizer.kbpe', import.meta.url),
});

// A variable, not a literal: bundlers leave this URL alone (it would copy every model); and
// import.meta.url on its own, since new URL(variable, import.meta.url) makes webpack warn.
const otherModels = '../../../models/';
const kModuleUrl = import.meta.url;

/**
 * The folder where this copy of kolmo looks for a model other than the default one: the
 * package's models/ folder beside this module (in the repository and on the demo site every
 * model is there; in the npm package only the default one). Null where that folder cannot be
 * known: in a bundle, import.meta.url is the bundle's chunk (or a file: URL under webpack).
 * @returns {string|null}
 */
export function otherModelsFolder() {
  const folder = new URL(otherModels, kModuleUrl);
  const served = folder.protocol === 'file:' ? typeof process === 'object' : /^https?:$/.test(folder.protocol);
  return served ? folder.href : null;
}
