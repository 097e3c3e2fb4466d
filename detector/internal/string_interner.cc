#include "detector/internal/string_interner.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace vigie {
namespace internal {

absl::StatusOr<StringInterner> StringInterner::Decode(StateReader& r) {
  const uint8_t version = r.Get<uint8_t>();
  VIGIE_RETURN_IF_ERROR(r.Check("string dictionary"));
  if (version == 1) {
    return absl::FailedPreconditionError(
        "string dictionary: format 1, saved by an earlier Vigie; this one "
        "reads format 2 (start afresh)");
  }
  if (version != 2) r.Fail();
  const uint32_t max_size = r.Get<uint32_t>();
  const uint64_t max_long_bytes = r.Get<uint64_t>();
  const uint64_t recycled_total = r.Get<uint64_t>();
  const uint32_t count = r.Get<uint32_t>();
  // Each id takes a name (its 8-byte length, empty for a free id) and a
  // place in the LRU order or the free list (4 bytes): nothing is sized
  // from a count the bytes cannot hold.
  constexpr size_t kMinBytesPerId = 8 + 4;
  if (max_size == 0 || count > max_size ||
      count > r.remaining() / kMinBytesPerId) {
    r.Fail();
  }
  VIGIE_RETURN_IF_ERROR(r.Check("string dictionary"));
  StringInterner interner(max_size, max_long_bytes);
  interner.recycled_total_ = recycled_total;
  interner.entries_.reserve(static_cast<size_t>(count) + 1);
  uint32_t live = 0;
  for (uint32_t id = 1; id <= count && r.ok(); ++id) {
    const absl::string_view name = r.GetBytes();
    interner.entries_.emplace_back();
    if (name.empty()) continue;  // Free.
    const uint32_t tag = TagOf(name);
    if (interner.Find(tag, name) != SlotIndex::kNone) {
      r.Fail();  // Repeated.
      break;
    }
    interner.SetName(id, name);
    interner.index_.Insert(tag, id);
    ++live;
  }
  VIGIE_RETURN_IF_ERROR(r.Check("string dictionary"));
  std::vector<bool> placed(static_cast<size_t>(count) + 1, false);
  for (uint32_t i = 0; i < live && r.ok(); ++i) {
    const uint32_t id = r.Get<uint32_t>();  // Least recently used first.
    if (id == 0 || id > count || placed[id] ||
        interner.entries_[id].size == 0) {
      r.Fail();
      break;
    }
    placed[id] = true;
    interner.PushFront(id);
  }
  if (r.Get<uint32_t>() != count - live) r.Fail();
  for (uint32_t i = 0; i < count - live && r.ok(); ++i) {
    const uint32_t id = r.Get<uint32_t>();
    if (id == 0 || id > count || placed[id]) {
      r.Fail();
      break;
    }
    placed[id] = true;
    interner.free_ids_.push_back(id);
  }
  const uint32_t recycled = r.Get<uint32_t>();
  for (uint32_t i = 0; i < recycled && r.ok(); ++i) {
    const uint32_t id = r.Get<uint32_t>();
    if (id == 0 || id > count) r.Fail();
    interner.recycled_.push_back(id);
  }
  // Long names in the order of the recency list.
  interner.long_head_ = interner.long_tail_ = 0;
  for (uint32_t id = interner.tail_; id != 0; id = interner.entries_[id].prev) {
    if (interner.entries_[id].size == Entry::kLong) interner.PushLongFront(id);
  }
  // Past the bound only as a single name longer than the bound can be.
  if (interner.long_bytes_ > max_long_bytes && interner.long_names() > 1) {
    r.Fail();
  }
  VIGIE_RETURN_IF_ERROR(r.Check("string dictionary"));
  return interner;
}

}  // namespace internal
}  // namespace vigie
