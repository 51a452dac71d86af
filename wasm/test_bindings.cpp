// Embind bindings that only tests and benches call: the rounding layer's insides, for the
// native == WASM comparison of its tables (tests/node/native_wasm.test.mjs) and for aiming logit
// noise at one decision (tests/node/noise.test.mjs, bench/drift_nodes.mjs). They are linked, with
// every product binding of bindings.cpp, into the test module kolmo_wasm_test.{js,wasm}, which is
// never shipped (wasm/CMakeLists.txt); the product module does not carry them. Typed in
// wasm/kolmo_wasm_test.d.ts; tests load the module through tests/node/test_codec.mjs.
// Conventions and helpers as in bindings.cpp (boundary.h).
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "kolmo/status.h"
#include "rounding.h"

#include "boundary.h"

namespace kolmo {
namespace {

using emscripten::val;
using namespace js;  // boundary.h

// tokenTreeChildren(tree) -> Uint32Array: the children of every internal node, flattened ([2i]
// child 0, [2i+1] child 1; node ids, a leaf iff < vocabSize). A free function, not a TokenTree
// method: the product module registers the class, and Embind registers a class once.
val tokenTreeChildren(const TokenTree& tree) { return idsToJs(tree.children()); }

// The quantization grids (GridSpec) are a format constant: JS always gets the default spec,
// so the bindings never expose (or depend on) its fields. Benches that vary it are native.

// Quantizer.build() -> {status, value: Quantizer with the default GridSpec (JS owns: .delete())}
val quantizerBuild() {
  auto quantizer = std::make_shared<Quantizer>();
  Status status = Quantizer::build(GridSpec{}, quantizer.get());
  if (!isOk(status)) return result(status);
  return result(status, val(std::move(quantizer)));
}

// Boundaries of `grid` (0 or 1) in log-odds, ascending, as a Float64Array.
val quantizerBoundaries(const Quantizer& quantizer, int grid) {
  const std::vector<double>& b = quantizer.boundaries(grid & 1);
  return typedArrayCopy("Float64Array", b.data(), b.size());
}

// dumpNodeTable(tree, quantizer, logits, epsilon) -> {status, value: Uint32Array of
// (V-1) x kNodeDumpWords words}: the cross-build comparison of rounding.h.
val dumpNodeTableJs(const TokenTree& tree, const Quantizer& quantizer, const val& logitArray,
                    double epsilon) {
  std::vector<float> logits = vectorFromJs<float>(logitArray);
  std::vector<uint32_t> words;
  Status status = dumpNodeTable(tree, quantizer, logits.data(), logits.size(), epsilon, &words);
  return result(status, isOk(status) ? idsToJs(words) : val::undefined());
}

}  // namespace
}  // namespace kolmo

EMSCRIPTEN_BINDINGS(kolmo_test) {
  using namespace emscripten;

  class_<kolmo::Quantizer>("Quantizer")
      .smart_ptr<std::shared_ptr<kolmo::Quantizer>>("QuantizerPtr")
      .class_function("build", &kolmo::quantizerBuild)
      .function("boundaries", &kolmo::quantizerBoundaries);
  constant("kNodeDumpWords", kolmo::kNodeDumpWords);
  function("dumpNodeTable", &kolmo::dumpNodeTableJs);
  function("tokenTreeChildren", &kolmo::tokenTreeChildren);
}
