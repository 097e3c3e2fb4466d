// StringInterner: gives each distinct string a dense 1-based uint32 id, so
// the hot path compares and indexes integers instead of strings.
//
// Bound: at most `max_size` ids. When full, a new string takes over the id
// of the least recently interned-or-looked-up string (LRU), and that id is
// reported through recycled() so that whoever keeps state per id can forget
// it. An attacker who sprays invented account names therefore only pushes
// out idle names; active accounts keep their ids and their history.
//
// Cost: one hash lookup and a list splice per Intern (no allocation for a
// string already seen); about 100 bytes plus the string's length per id.
// Thread-compatible.
//
// Example:
//   StringInterner accounts(/*max_size=*/1 << 22);
//   uint32_t id = accounts.Intern("dr.martin");   // 1
//   absl::string_view name = accounts.Name(id);    // "dr.martin"
#ifndef VIGIE_DETECTOR_INTERNAL_STRING_INTERNER_H_
#define VIGIE_DETECTOR_INTERNAL_STRING_INTERNER_H_

#include <cstdint>
#include <list>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace vigie {
namespace internal {

class StringInterner {
 public:
  // REQUIRES: max_size >= 1.
  explicit StringInterner(uint32_t max_size) : max_size_(max_size) {
    names_.emplace_back();  // Id 0: absent.
    recency_.emplace_back();
  }

  // REQUIRES: !text.empty().
  uint32_t Intern(absl::string_view text) {
    auto it = ids_.find(text);
    if (it != ids_.end()) {
      Touch(it->second);
      return it->second;
    }
    uint32_t id;
    if (ids_.size() >= max_size_) {
      id = order_.back();
      ids_.erase(names_[id]);
      names_[id].assign(text.data(), text.size());
      recycled_.push_back(id);
      ++recycled_total_;
      Touch(id);
    } else {
      id = static_cast<uint32_t>(names_.size());
      names_.emplace_back(text);
      order_.push_front(id);
      recency_.push_back(order_.begin());
    }
    ids_.emplace(names_[id], id);
    return id;
  }

  absl::string_view Name(uint32_t id) const {
    return id < names_.size() ? absl::string_view(names_[id])
                              : absl::string_view();
  }
  size_t size() const { return ids_.size(); }
  // Ids given to a new string since the last ClearRecycled().
  const std::vector<uint32_t>& recycled() const { return recycled_; }
  void ClearRecycled() { recycled_.clear(); }
  uint64_t recycled_total() const { return recycled_total_; }

 private:
  void Touch(uint32_t id) {
    if (recency_[id] != order_.begin()) {
      order_.splice(order_.begin(), order_, recency_[id]);
    }
  }

  uint32_t max_size_;
  absl::flat_hash_map<std::string, uint32_t> ids_;
  std::vector<std::string> names_;
  std::list<uint32_t> order_;  // Most recently used first.
  std::vector<std::list<uint32_t>::iterator> recency_;
  std::vector<uint32_t> recycled_;
  uint64_t recycled_total_ = 0;
};

}  // namespace internal
}  // namespace vigie

#endif  // VIGIE_DETECTOR_INTERNAL_STRING_INTERNER_H_
