// The JS boundary helpers of both Embind modules: wasm/bindings.cpp (the product module) and
// wasm/test_bindings.cpp (what only the test module adds). They move data across the boundary
// by the conventions bindings.cpp describes: bytes and ids as typed arrays with one bulk copy
// each way, and fallible calls with a result as {status: int, value}.
#pragma once

#include <emscripten/val.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kolmo/status.h"

namespace kolmo {
namespace js {

using emscripten::val;

// Copies a JS typed array (or array of numbers) into a vector with one TypedArray.set().
template <typename T>
inline std::vector<T> vectorFromJs(const val& array) {
  std::vector<T> out(array["length"].as<size_t>());
  if (!out.empty()) val(emscripten::typed_memory_view(out.size(), out.data())).call<void>("set", array);
  return out;
}

// A new JS typed array (owning its own buffer, not a heap view) holding a copy of data[0, n).
template <typename T>
inline val typedArrayCopy(const char* jsType, const T* data, size_t n) {
  if (n == 0) return val::global(jsType).new_(0);
  return val::global(jsType).new_(emscripten::typed_memory_view(n, data));
}
inline val bytesToJs(const uint8_t* data, size_t n) { return typedArrayCopy("Uint8Array", data, n); }
inline val bytesToJs(const std::vector<uint8_t>& v) { return bytesToJs(v.data(), v.size()); }
inline val idsToJs(const std::vector<uint32_t>& v) { return typedArrayCopy("Uint32Array", v.data(), v.size()); }

inline val result(Status status, val value) {
  val r = val::object();
  r.set("status", static_cast<int>(status));
  r.set("value", isOk(status) ? value : val::undefined());
  return r;
}
inline val result(Status status) { return result(status, val::undefined()); }

}  // namespace js
}  // namespace kolmo
