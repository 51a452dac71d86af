// libFuzzer target: the base62 URL text codec on untrusted text and bytes.
// Properties: decoding never crashes; an accepted text is canonical (re-encoding gives the
// same text) and has the predicted length; encoding any bytes decodes back to them. Reading a
// link (containerFromLinkText, either form): the same bytes as urlDecodeAnyForm or, for a text
// that reads as an earlier container version, damaged_link; bounded work on any text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "kolmo/container.h"
#include "kolmo/url_codec.h"

using namespace kolmo;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> bytes;
  const char* text = reinterpret_cast<const char*>(data);
  if (urlDecode(text, size, &bytes) == Status::kOk) {
    std::string again;
    urlEncode(bytes.data(), bytes.size(), &again);
    if (again != std::string(text, size)) std::abort();
    if (urlEncodedLength(bytes.size()) != size) std::abort();
  } else if (!bytes.empty()) {
    std::abort();
  }
  std::vector<uint8_t> anyForm, link;
  const Status anyStatus = urlDecodeAnyForm(text, size, &anyForm);
  const Status linkStatus = containerFromLinkText(text, size, &link);
  if (linkStatus == Status::kDamagedLink) {
    if (anyStatus != Status::kOk || anyForm.empty()) std::abort();
    const int version = anyForm[0] >> 5;
    if (version < 1 || version > 5) std::abort();  // only an earlier version's header is suspected
  } else if (linkStatus != anyStatus || (linkStatus == Status::kOk && link != anyForm)) {
    std::abort();
  }
  std::string encoded;
  urlEncode(data, size, &encoded);
  std::vector<uint8_t> back;
  if (urlDecode(encoded, &back) != Status::kOk) std::abort();
  if (back != std::vector<uint8_t>(data, data + size)) std::abort();
  return 0;
}
