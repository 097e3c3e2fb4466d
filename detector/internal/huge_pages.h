// AdviseHugePages: asks the kernel to back a large, not yet touched
// allocation with transparent 2 MiB pages.
//
// Why: the novelty filters and the entity tables are tens to hundreds of
// MiB read at random, one cache line per event and table. With 4 KiB
// pages nearly every such read also misses the TLB, and the page walk
// costs about as much as the cache miss, prefetched or not. Debian's
// default transparent-huge-page policy ("madvise") grants 2 MiB pages only
// to ranges marked MADV_HUGEPAGE, and only to pages not yet faulted in,
// so callers mark a reserved buffer before writing to it.
//
// The range is shrunk to whole 2 MiB pages inside it; smaller ranges are
// left alone. Advice only: nothing changes if the kernel says no, and the
// memory accounting of the caller stays right (pages are still faulted in
// as the buffer is written, in 2 MiB steps). Thread-safe.
//
// Example:
//   std::vector<Block> blocks;
//   blocks.reserve(n);
//   internal::AdviseHugePages(blocks.data(), n * sizeof(Block));
//   blocks.resize(n);
#ifndef VIGIE_DETECTOR_INTERNAL_HUGE_PAGES_H_
#define VIGIE_DETECTOR_INTERNAL_HUGE_PAGES_H_

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>

namespace vigie {
namespace internal {

inline void AdviseHugePages(const void* begin, size_t bytes) {
#ifdef MADV_HUGEPAGE
  constexpr uintptr_t kHugePage = uintptr_t{2} << 20;
  const uintptr_t start = reinterpret_cast<uintptr_t>(begin);
  const uintptr_t first = (start + kHugePage - 1) & ~(kHugePage - 1);
  const uintptr_t last = (start + bytes) & ~(kHugePage - 1);
  if (last > first) {
    madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
  }
#else
  (void)begin;
  (void)bytes;
#endif
}

}  // namespace internal
}  // namespace vigie

#endif  // VIGIE_DETECTOR_INTERNAL_HUGE_PAGES_H_
