// StringInterner: gives each distinct string a dense 1-based uint32 id, so
// the hot path compares and indexes integers instead of strings.
//
// Bound: at most `max_size` ids. When full, a new string takes over the id
// of the least recently interned-or-looked-up string (LRU), and that id is
// reported through recycled() so that whoever keeps state per id can forget
// it. An attacker who sprays invented account names therefore only pushes
// out idle names; active accounts keep their ids and their history.
//
// Cost: one probe of a SlotIndex (8-byte buckets of a 32-bit hash tag and
// the id; the name is kept once, by id, and compared only to confirm a
// tag, which the CPU can do while it goes on with the id) and a splice of
// the recency list (threaded through the entries by id) per Intern; no
// allocation for a string already seen; ~43 bytes per id (a 32-byte entry
// holding the links and a name of up to 23 bytes, and index buckets), and
// a std::string and its heap block for a longer name (the replay budgets
// 96 bytes a name). Thread-compatible. Movable, not copyable (a
// dictionary is large; copies would be accidents).
//
// State: Encode/Decode save and restore everything that decides later ids
// (names by id, the LRU order, the bound, pending recycled ids), so a
// restored interner hands out exactly the ids the original would have
// (`vigie replay --resume`). Encoded size: 12 bytes plus the name per id.
//
// Example:
//   StringInterner accounts(/*max_size=*/1 << 22);
//   uint32_t id = accounts.Intern("dr.martin");   // 1
//   absl::string_view name = accounts.Name(id);    // "dr.martin"
#ifndef VIGIE_DETECTOR_INTERNAL_STRING_INTERNER_H_
#define VIGIE_DETECTOR_INTERNAL_STRING_INTERNER_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "detector/internal/status_macros.h"
#include "detector/stats/slot_index.h"
#include "detector/stats/state_codec.h"

namespace vigie {
namespace internal {

class StringInterner {
 public:
  // REQUIRES: max_size >= 1.
  explicit StringInterner(uint32_t max_size) : max_size_(max_size) {
    entries_.emplace_back();  // Id 0: absent.
  }
  StringInterner(StringInterner&&) = default;
  StringInterner& operator=(StringInterner&&) = default;
  StringInterner(const StringInterner&) = delete;
  StringInterner& operator=(const StringInterner&) = delete;

  // REQUIRES: !text.empty().
  uint32_t Intern(absl::string_view text) {
    // A log repeats a field's value from record to record (the service,
    // the profession, an account's run of lookups): the name interned last
    // is tried first, without hashing. It heads the recency list, so
    // returning it leaves the state as the full path would.
    if (head_ != 0 && NameOf(head_) == text) return head_;
    const uint32_t tag = TagOf(text);
    uint32_t id = Find(tag, text);
    if (id != SlotIndex::kNone) {
      Touch(id);
      return id;
    }
    if (index_.size() >= max_size_) {
      id = tail_;  // Least recently used.
      index_.Erase(TagOf(NameOf(id)), id);
      SetName(id, text);
      recycled_.push_back(id);
      ++recycled_total_;
      Touch(id);
    } else {
      id = static_cast<uint32_t>(entries_.size());
      entries_.emplace_back();
      SetName(id, text);
      PushFront(id);
    }
    index_.Insert(tag, id);
    return id;
  }

  absl::string_view Name(uint32_t id) const {
    return id < entries_.size() ? NameOf(id) : absl::string_view();
  }
  size_t size() const { return index_.size(); }
  // Strings held for names longer than an entry keeps (23 bytes): never
  // more than the bound, as ids pass between short and long names.
  size_t long_name_slots() const { return overflow_.size(); }
  // Ids given to a new string since the last ClearRecycled().
  const std::vector<uint32_t>& recycled() const { return recycled_; }
  void ClearRecycled() { recycled_.clear(); }
  uint64_t recycled_total() const { return recycled_total_; }
  uint32_t max_size() const { return max_size_; }

  // Writes the whole state: format version, bound, counters, the names by
  // id, the ids from least to most recently used, and pending recycled ids.
  void Encode(StateWriter& w) const {
    w.Put<uint8_t>(1);
    w.Put(max_size_);
    w.Put(recycled_total_);
    w.Put<uint32_t>(static_cast<uint32_t>(entries_.size() - 1));
    for (uint32_t id = 1; id < entries_.size(); ++id) w.PutBytes(NameOf(id));
    for (uint32_t id = tail_; id != 0; id = entries_[id].prev) w.Put(id);
    w.Put<uint32_t>(static_cast<uint32_t>(recycled_.size()));
    for (uint32_t id : recycled_) w.Put(id);
  }
  // DataLoss for damaged input (truncated, an empty or repeated name, an
  // LRU order that is not a permutation of the ids, more ids than the
  // bound), never a half-built interner.
  static absl::StatusOr<StringInterner> Decode(StateReader& r) {
    if (r.Get<uint8_t>() != 1) r.Fail();
    const uint32_t max_size = r.Get<uint32_t>();
    const uint64_t recycled_total = r.Get<uint64_t>();
    const uint32_t count = r.Get<uint32_t>();
    // Each id takes a name (its 8-byte length and at least 1 byte) and its
    // place in the LRU order (4 bytes): nothing is sized from a count the
    // bytes cannot hold.
    constexpr size_t kMinBytesPerId = 8 + 1 + 4;
    if (max_size == 0 || count > max_size ||
        count > r.remaining() / kMinBytesPerId) {
      r.Fail();
    }
    VIGIE_RETURN_IF_ERROR(r.Check("string dictionary"));
    StringInterner interner(max_size);
    interner.recycled_total_ = recycled_total;
    interner.entries_.reserve(static_cast<size_t>(count) + 1);
    for (uint32_t id = 1; id <= count && r.ok(); ++id) {
      const absl::string_view name = r.GetBytes();
      if (name.empty()) {
        r.Fail();
        break;
      }
      const uint32_t tag = TagOf(name);
      if (interner.Find(tag, name) != SlotIndex::kNone) {
        r.Fail();  // Repeated.
        break;
      }
      interner.entries_.emplace_back();
      interner.SetName(id, name);
      interner.index_.Insert(tag, id);
    }
    VIGIE_RETURN_IF_ERROR(r.Check("string dictionary"));
    std::vector<bool> placed(static_cast<size_t>(count) + 1, false);
    for (uint32_t i = 0; i < count && r.ok(); ++i) {
      const uint32_t id = r.Get<uint32_t>();  // Least recently used first.
      if (id == 0 || id > count || placed[id]) {
        r.Fail();
        break;
      }
      placed[id] = true;
      interner.PushFront(id);
    }
    const uint32_t recycled = r.Get<uint32_t>();
    for (uint32_t i = 0; i < recycled && r.ok(); ++i) {
      const uint32_t id = r.Get<uint32_t>();
      if (id == 0 || id > count) r.Fail();
      interner.recycled_.push_back(id);
    }
    VIGIE_RETURN_IF_ERROR(r.Check("string dictionary"));
    return interner;
  }

 private:
  static uint32_t TagOf(absl::string_view text) {
    return SlotIndex::HashTag(text);
  }
  uint32_t Find(uint32_t tag, absl::string_view text) const {
    return index_.Find(tag, [&](uint32_t id) { return NameOf(id) == text; });
  }
  // An id's name and its place in the recency list (most recently used at
  // head_, 0 ends it), in 32 bytes: a name of up to kInline bytes is kept
  // here, so that confirming a tag reads one cache line; a longer one in
  // overflow_.
  struct alignas(32) Entry {
    static constexpr uint8_t kInline = 23;
    static constexpr uint8_t kLong = 0xff;  // size: the name is in overflow_.
    char chars[kInline] = {};  // The name, or its index in overflow_.
    uint8_t size = 0;
    uint32_t prev = 0;
    uint32_t next = 0;
  };
  static_assert(sizeof(Entry) == 32);
  absl::string_view NameOf(uint32_t id) const {
    const Entry& e = entries_[id];
    if (e.size != Entry::kLong) return absl::string_view(e.chars, e.size);
    return overflow_[OverflowOf(e)];
  }
  static uint32_t OverflowOf(const Entry& e) {
    uint32_t i;
    memcpy(&i, e.chars, sizeof(i));
    return i;
  }
  void SetName(uint32_t id, absl::string_view text) {
    Entry& e = entries_[id];
    if (text.size() <= Entry::kInline) {
      if (e.size == Entry::kLong) free_overflow_.push_back(OverflowOf(e));
      if (!text.empty()) memcpy(e.chars, text.data(), text.size());
      e.size = static_cast<uint8_t>(text.size());
      return;
    }
    if (e.size != Entry::kLong) {
      uint32_t i;
      if (free_overflow_.empty()) {
        i = static_cast<uint32_t>(overflow_.size());
        overflow_.emplace_back();
      } else {
        i = free_overflow_.back();
        free_overflow_.pop_back();
      }
      memcpy(e.chars, &i, sizeof(i));
      e.size = Entry::kLong;
    }
    overflow_[OverflowOf(e)].assign(text.data(), text.size());
  }
  void PushFront(uint32_t id) {
    entries_[id].prev = 0;
    entries_[id].next = head_;
    if (head_ != 0) entries_[head_].prev = id;
    head_ = id;
    if (tail_ == 0) tail_ = id;
  }
  void Touch(uint32_t id) {
    if (head_ == id) return;
    Entry& e = entries_[id];
    (e.prev == 0 ? head_ : entries_[e.prev].next) = e.next;
    (e.next == 0 ? tail_ : entries_[e.next].prev) = e.prev;
    PushFront(id);
  }

  uint32_t max_size_;
  SlotIndex index_;  // Tag -> id; entries_ holds the names.
  std::vector<Entry> entries_;  // By id; entries_[0] unused.
  std::vector<std::string> overflow_;  // Names longer than Entry::kInline.
  std::vector<uint32_t> free_overflow_;  // Of overflow_, unused.
  uint32_t head_ = 0;
  uint32_t tail_ = 0;
  std::vector<uint32_t> recycled_;
  uint64_t recycled_total_ = 0;
};

}  // namespace internal
}  // namespace vigie

#endif  // VIGIE_DETECTOR_INTERNAL_STRING_INTERNER_H_
