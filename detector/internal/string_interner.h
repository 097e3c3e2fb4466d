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
// the recency list (an array of links by id) per Intern; no allocation for
// a string already seen; 50 to 60 bytes per id (its std::string, link and
// index buckets), and a heap block for a name longer than 15 bytes (the
// replay budgets 96 bytes a name). Thread-compatible. Movable,
// not copyable (a dictionary is large; copies would be accidents).
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
    names_.emplace_back();  // Id 0: absent.
    links_.emplace_back();
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
    if (head_ != 0 && absl::string_view(names_[head_]) == text) return head_;
    const uint32_t tag = TagOf(text);
    uint32_t id = Find(tag, text);
    if (id != SlotIndex::kNone) {
      Touch(id);
      return id;
    }
    if (index_.size() >= max_size_) {
      id = tail_;  // Least recently used.
      index_.Erase(TagOf(names_[id]), id);
      names_[id].assign(text.data(), text.size());
      recycled_.push_back(id);
      ++recycled_total_;
      Touch(id);
    } else {
      id = static_cast<uint32_t>(names_.size());
      names_.emplace_back(text);
      links_.emplace_back();
      PushFront(id);
    }
    index_.Insert(tag, id);
    return id;
  }

  absl::string_view Name(uint32_t id) const {
    return id < names_.size() ? absl::string_view(names_[id])
                              : absl::string_view();
  }
  size_t size() const { return index_.size(); }
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
    w.Put<uint32_t>(static_cast<uint32_t>(names_.size() - 1));
    for (size_t id = 1; id < names_.size(); ++id) w.PutBytes(names_[id]);
    for (uint32_t id = tail_; id != 0; id = links_[id].prev) w.Put(id);
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
    if (max_size == 0 || count > max_size) r.Fail();
    VIGIE_RETURN_IF_ERROR(r.Check("string dictionary"));
    StringInterner interner(max_size);
    interner.recycled_total_ = recycled_total;
    interner.names_.reserve(static_cast<size_t>(count) + 1);
    for (uint32_t id = 1; id <= count && r.ok(); ++id) {
      const absl::string_view name = r.GetBytes();
      if (name.empty()) r.Fail();
      const uint32_t tag = TagOf(name);
      if (interner.Find(tag, name) != SlotIndex::kNone) {
        r.Fail();  // Repeated.
        break;
      }
      interner.names_.emplace_back(name);
      interner.index_.Insert(tag, id);
    }
    VIGIE_RETURN_IF_ERROR(r.Check("string dictionary"));
    interner.links_.resize(static_cast<size_t>(count) + 1);
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
    return index_.Find(tag, [&](uint32_t id) { return names_[id] == text; });
  }
  // The recency list, most recently used at head_, threaded through
  // links_ by id (0 ends it): 8 bytes an id and no allocation per name.
  struct Link {
    uint32_t prev = 0;
    uint32_t next = 0;
  };
  void PushFront(uint32_t id) {
    links_[id] = Link{0, head_};
    if (head_ != 0) links_[head_].prev = id;
    head_ = id;
    if (tail_ == 0) tail_ = id;
  }
  void Touch(uint32_t id) {
    if (head_ == id) return;
    Link& link = links_[id];
    (link.prev == 0 ? head_ : links_[link.prev].next) = link.next;
    (link.next == 0 ? tail_ : links_[link.next].prev) = link.prev;
    PushFront(id);
  }

  uint32_t max_size_;
  SlotIndex index_;  // Tag -> id; names_ holds the names.
  std::vector<std::string> names_;
  std::vector<Link> links_;  // By id; links_[0] unused.
  uint32_t head_ = 0;
  uint32_t tail_ = 0;
  std::vector<uint32_t> recycled_;
  uint64_t recycled_total_ = 0;
};

}  // namespace internal
}  // namespace vigie

#endif  // VIGIE_DETECTOR_INTERNAL_STRING_INTERNER_H_
