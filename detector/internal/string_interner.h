// StringInterner: gives each distinct string a dense 1-based uint32 id, so
// the hot path compares and indexes integers instead of strings.
//
// Cost: one hash lookup per Intern (no allocation for a string already
// seen); about 64 bytes plus the string's length per distinct string.
// Bound: at most `max_size` ids; once full, new strings map to the
// overflow id (max_size + 1, named "<other>") and are counted, so an
// attacker who sprays distinct values cannot grow it without limit.
// Thread-compatible.
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

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace vigie {
namespace internal {

class StringInterner {
 public:
  explicit StringInterner(uint32_t max_size) : max_size_(max_size) {
    names_.emplace_back();  // Id 0: absent.
  }

  // REQUIRES: !text.empty().
  uint32_t Intern(absl::string_view text) {
    auto it = ids_.find(text);
    if (it != ids_.end()) return it->second;
    if (ids_.size() >= max_size_) {
      ++overflowed_;
      return max_size_ + 1;
    }
    uint32_t id = static_cast<uint32_t>(names_.size());
    names_.emplace_back(text);
    ids_.emplace(names_.back(), id);
    return id;
  }

  absl::string_view Name(uint32_t id) const {
    if (id == max_size_ + 1) return "<other>";
    return id < names_.size() ? absl::string_view(names_[id])
                              : absl::string_view();
  }
  size_t size() const { return ids_.size(); }
  uint64_t overflowed() const { return overflowed_; }

 private:
  uint32_t max_size_;
  absl::flat_hash_map<std::string, uint32_t> ids_;
  std::vector<std::string> names_;
  uint64_t overflowed_ = 0;
};

}  // namespace internal
}  // namespace vigie

#endif  // VIGIE_DETECTOR_INTERNAL_STRING_INTERNER_H_
