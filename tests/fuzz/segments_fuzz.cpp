// libFuzzer target: a segmented link's index (src/segments.h, docs/FORMAT.md §5.7) on untrusted
// bytes, alone and inside a version-6 container of kind 3 (as a link job reads it). Properties:
// no crash, no leak; an accepted index describes exactly the body — 2..kMaxSegments non-empty
// spans, in order, end to end, up to the last byte — and writing it again gives the same bytes
// (every field is canonical, so a body has one form); a declared length over the limit is
// refused as such; the link job declares what the index says, and refuses what parse refuses.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "kolmo/checksum.h"
#include "kolmo/container.h"
#include "link_jobs.h"
#include "segments.h"
#include "varint.h"

using namespace kolmo;

namespace {

void require(bool ok) {
  if (!ok) std::abort();
}

ContainerLimits fuzzLimits() {
  ContainerLimits limits;
  limits.maxTextBytes = 1 << 20;
  return limits;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ContainerLimits limits = fuzzLimits();
  SegmentIndex index;
  const Status status = parseSegmentIndex(data, size, limits, &index);
  require(status == Status::kOk || status == Status::kCorrupt || status == Status::kLengthOverLimit);
  if (isOk(status)) {
    require(index.segments.size() >= 2 && index.segments.size() <= kMaxSegments);
    require(index.textBytes <= limits.maxTextBytes);
    size_t expected = index.segments.front().offset;
    for (const SegmentSpan& span : index.segments) {
      require(span.size > 0 && span.offset == expected);
      expected += span.size;
    }
    require(expected == size);
    // The same index written again: the same bytes.
    std::vector<uint8_t> again;
    appendVarint(index.textBytes, &again);
    for (int shift = 24; shift >= 0; shift -= 8) again.push_back(static_cast<uint8_t>(index.textCheck >> shift));
    appendVarint(index.segments.size(), &again);
    for (const SegmentSpan& span : index.segments) appendVarint(span.size, &again);
    again.insert(again.end(), data + index.segments.front().offset, data + size);
    require(again.size() == size && std::equal(again.begin(), again.end(), data));
  }

  // Inside a link: header 0xC3, model index 1, a check byte, the body, the syndrome trailer.
  std::vector<uint8_t> container = {0xC3, 0x01, 0x00};
  container.insert(container.end(), data, data + size);
  appendLinkSyndrome(&container);
  LinkDecodeJob job(container.data(), container.size(), limits);
  if (container.size() > limits.maxContainerBytes) return 0;
  require(job.status() == status);
  if (isOk(status)) {
    require(job.view().segmented() && job.view().modelIndex == 1);
    require(job.declaredTextBytes() == static_cast<int64_t>(index.textBytes));
    require(job.segmentIndex().segments.size() == index.segments.size());
  }
  return 0;
}
