// PrefetchLines: asks for every cache line that [begin, begin + bytes)
// touches, also when `begin` does not start a line.
//
// Why: the engine pulls a state's first bytes, or a whole baseline, into
// the cache some events before it reads them, so that several entities'
// misses overlap; a loop by 64-byte steps from `begin` misses the last
// line when the range does not start one. A hint only: no effect on
// results. Thread-safe.
//
// Example:
//   internal::PrefetchLines(&slots[slot].state, kLookupBytes);
#ifndef VIGIE_DETECTOR_INTERNAL_PREFETCH_H_
#define VIGIE_DETECTOR_INTERNAL_PREFETCH_H_

#include <cstddef>
#include <cstdint>

namespace vigie {
namespace internal {

inline void PrefetchLines(const void* begin, size_t bytes) {
  const uintptr_t start = reinterpret_cast<uintptr_t>(begin);
  for (uintptr_t line = start & ~uintptr_t{63}; line < start + bytes;
       line += 64) {
    __builtin_prefetch(reinterpret_cast<const void*>(line));
  }
}

}  // namespace internal
}  // namespace vigie

#endif  // VIGIE_DETECTOR_INTERNAL_PREFETCH_H_
