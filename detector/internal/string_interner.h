// StringInterner: gives each distinct string a dense 1-based uint32 id, so
// the hot path compares and indexes integers instead of strings.
//
// Bounds: at most `max_size` ids, and at most `max_long_bytes` for the
// names longer than an entry holds (23 bytes), each counted as its length
// + kLongNameOverhead (its heap block, the string and its slot). When the
// ids are all taken, a new string takes over the id of the least recently
// interned-or-looked-up string (LRU); when a long name would pass the byte
// bound, the least recently used long names are dropped first (their ids
// freed, for the next new strings). Either way the ids are reported through
// recycled() so that whoever keeps state per id can forget it. An attacker
// who sprays invented names, however long, therefore only pushes out idle
// names; active accounts keep their ids and their history. Memory: ~43
// bytes per id plus at most max_long_bytes (one name more when a single
// name is longer than the bound).
//
// Cost: one probe of a SlotIndex (8-byte buckets of a 32-bit hash tag and
// the id; the name is kept once, by id, and compared only to confirm a
// tag, which the CPU can do while it goes on with the id) and a splice of
// the recency list (threaded through the entries by id; long names are
// also on a list of their own, in the same order) per Intern; no
// allocation for a string already seen. Thread-compatible. Movable, not
// copyable (a dictionary is large; copies would be accidents).
//
// State: Encode/Decode save and restore everything that decides later ids
// (names by id, the LRU order, the free ids, both bounds, pending recycled
// ids), so a restored interner hands out exactly the ids the original
// would have (`vigie replay --resume`). Encoded size: 12 bytes plus the
// name per id.
//
// Example:
//   StringInterner accounts(/*max_size=*/1 << 22, /*max_long_bytes=*/64 << 20);
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
  // What a long name costs beyond its characters, as max_long_bytes counts
  // it: its std::string and heap block header, its slot and list links.
  static constexpr uint64_t kLongNameOverhead = 64;
  static constexpr uint64_t kUnboundedBytes = ~uint64_t{0};

  // REQUIRES: max_size >= 1.
  explicit StringInterner(uint32_t max_size,
                          uint64_t max_long_bytes = kUnboundedBytes)
      : max_size_(max_size), max_long_bytes_(max_long_bytes) {
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
    if (text.size() > Entry::kInline) {
      // Room for it: the least recently used long names go first.
      while (long_tail_ != 0 &&
             long_bytes_ + LongCost(text.size()) > max_long_bytes_) {
        Drop(long_tail_);
      }
    }
    if (index_.size() >= max_size_) {
      id = tail_;  // Least recently used.
      index_.Erase(TagOf(NameOf(id)), id);
      SetName(id, text);
      Recycled(id);
      Touch(id);
    } else {
      if (free_ids_.empty()) {
        id = static_cast<uint32_t>(entries_.size());
        entries_.emplace_back();
      } else {
        id = free_ids_.back();  // Recycled when it was dropped.
        free_ids_.pop_back();
      }
      SetName(id, text);
      PushFront(id);
    }
    index_.Insert(tag, id);
    return id;
  }

  // The name of a live id; empty for 0, a freed id or one never handed out.
  absl::string_view Name(uint32_t id) const {
    return id < entries_.size() ? NameOf(id) : absl::string_view();
  }
  size_t size() const { return index_.size(); }
  // The highest id handed out so far, live or freed.
  uint32_t ids() const { return static_cast<uint32_t>(entries_.size() - 1); }
  // Names longer than an entry keeps (23 bytes) held now, and the bytes
  // they count for (length + kLongNameOverhead each).
  size_t long_names() const { return overflow_.size() - free_overflow_.size(); }
  uint64_t long_name_bytes() const { return long_bytes_; }
  // Slots for long names, held or free: never more than the most long
  // names held at once.
  size_t long_name_slots() const { return overflow_.size(); }
  // Ids given to a new string, or freed, since the last ClearRecycled().
  const std::vector<uint32_t>& recycled() const { return recycled_; }
  void ClearRecycled() { recycled_.clear(); }
  uint64_t recycled_total() const { return recycled_total_; }
  uint32_t max_size() const { return max_size_; }
  uint64_t max_long_bytes() const { return max_long_bytes_; }

  // Writes the whole state: format version, bounds, counters, the names by
  // id (a freed id's empty), the live ids from least to most recently
  // used, the free ids, and pending recycled ids.
  void Encode(StateWriter& w) const {
    w.Put<uint8_t>(2);
    w.Put(max_size_);
    w.Put(max_long_bytes_);
    w.Put(recycled_total_);
    w.Put<uint32_t>(static_cast<uint32_t>(entries_.size() - 1));
    for (uint32_t id = 1; id < entries_.size(); ++id) w.PutBytes(NameOf(id));
    for (uint32_t id = tail_; id != 0; id = entries_[id].prev) w.Put(id);
    w.Put<uint32_t>(static_cast<uint32_t>(free_ids_.size()));
    for (uint32_t id : free_ids_) w.Put(id);
    w.Put<uint32_t>(static_cast<uint32_t>(recycled_.size()));
    for (uint32_t id : recycled_) w.Put(id);
  }
  // DataLoss for damaged input (truncated, a repeated name, an LRU order
  // that is not a permutation of the named ids, free ids that are not the
  // others, more ids than the bound, long names past their bound),
  // FailedPrecondition for a format this version does not read; never a
  // half-built interner.
  static absl::StatusOr<StringInterner> Decode(StateReader& r);

 private:
  static uint32_t TagOf(absl::string_view text) {
    return SlotIndex::HashTag(text);
  }
  static uint64_t LongCost(size_t size) { return size + kLongNameOverhead; }
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
  // A long name and its place on the list of long names (ids; most
  // recently used at long_head_), which keeps the recency order.
  struct LongName {
    std::string text;
    uint32_t prev = 0;
    uint32_t next = 0;
  };
  absl::string_view NameOf(uint32_t id) const {
    const Entry& e = entries_[id];
    if (e.size != Entry::kLong) return absl::string_view(e.chars, e.size);
    return overflow_[OverflowOf(e)].text;
  }
  static uint32_t OverflowOf(const Entry& e) {
    uint32_t i;
    memcpy(&i, e.chars, sizeof(i));
    return i;
  }
  LongName& LongOf(uint32_t id) {
    return overflow_[OverflowOf(entries_[id])];
  }
  // Sets an id's name; empty frees it. A long name gets a slot and an
  // exact-sized string (a slot's earlier, longer name does not stay
  // allocated behind it) and joins the front of the long list.
  void SetName(uint32_t id, absl::string_view text) {
    Entry& e = entries_[id];
    if (e.size == Entry::kLong) {
      const uint32_t slot = OverflowOf(e);
      long_bytes_ -= LongCost(overflow_[slot].text.size());
      if (text.size() > Entry::kInline) {
        std::string(text).swap(overflow_[slot].text);
        long_bytes_ += LongCost(text.size());
        return;
      }
      UnlinkLong(id);
      std::string().swap(overflow_[slot].text);
      free_overflow_.push_back(slot);
    }
    if (text.size() <= Entry::kInline) {
      if (!text.empty()) memcpy(e.chars, text.data(), text.size());
      e.size = static_cast<uint8_t>(text.size());
      return;
    }
    uint32_t slot;
    if (free_overflow_.empty()) {
      slot = static_cast<uint32_t>(overflow_.size());
      overflow_.emplace_back();
    } else {
      slot = free_overflow_.back();
      free_overflow_.pop_back();
    }
    memcpy(e.chars, &slot, sizeof(slot));
    e.size = Entry::kLong;
    std::string(text).swap(overflow_[slot].text);
    long_bytes_ += LongCost(text.size());
    PushLongFront(id);
  }
  // Frees a live id: out of the index and the lists, its name dropped.
  void Drop(uint32_t id) {
    index_.Erase(TagOf(NameOf(id)), id);
    Entry& e = entries_[id];
    (e.prev == 0 ? head_ : entries_[e.prev].next) = e.next;
    (e.next == 0 ? tail_ : entries_[e.next].prev) = e.prev;
    SetName(id, absl::string_view());
    free_ids_.push_back(id);
    Recycled(id);
  }
  void Recycled(uint32_t id) {
    recycled_.push_back(id);
    ++recycled_total_;
  }
  void PushFront(uint32_t id) {
    entries_[id].prev = 0;
    entries_[id].next = head_;
    if (head_ != 0) entries_[head_].prev = id;
    head_ = id;
    if (tail_ == 0) tail_ = id;
  }
  void PushLongFront(uint32_t id) {
    LongName& l = LongOf(id);
    l.prev = 0;
    l.next = long_head_;
    if (long_head_ != 0) LongOf(long_head_).prev = id;
    long_head_ = id;
    if (long_tail_ == 0) long_tail_ = id;
  }
  void UnlinkLong(uint32_t id) {
    const LongName& l = LongOf(id);
    (l.prev == 0 ? long_head_ : LongOf(l.prev).next) = l.next;
    (l.next == 0 ? long_tail_ : LongOf(l.next).prev) = l.prev;
  }
  void Touch(uint32_t id) {
    if (head_ == id) return;  // Then also the head of the long list.
    Entry& e = entries_[id];
    (e.prev == 0 ? head_ : entries_[e.prev].next) = e.next;
    (e.next == 0 ? tail_ : entries_[e.next].prev) = e.prev;
    PushFront(id);
    if (e.size == Entry::kLong && long_head_ != id) {
      UnlinkLong(id);
      PushLongFront(id);
    }
  }

  uint32_t max_size_;
  uint64_t max_long_bytes_;
  SlotIndex index_;  // Tag -> id; entries_ holds the names.
  std::vector<Entry> entries_;  // By id; entries_[0] unused.
  std::vector<LongName> overflow_;  // Names longer than Entry::kInline.
  std::vector<uint32_t> free_overflow_;  // Of overflow_, unused.
  std::vector<uint32_t> free_ids_;  // Dropped ids, taken last first.
  uint64_t long_bytes_ = 0;
  uint32_t head_ = 0;
  uint32_t tail_ = 0;
  uint32_t long_head_ = 0;
  uint32_t long_tail_ = 0;
  std::vector<uint32_t> recycled_;
  uint64_t recycled_total_ = 0;
};

}  // namespace internal
}  // namespace vigie

#endif  // VIGIE_DETECTOR_INTERNAL_STRING_INTERNER_H_
