// SlotIndex: the hash index of an EntityTable, mapping a key's 32-bit tag
// to the slot that holds the key, in 8 bytes per bucket.
//
// Why not absl::flat_hash_map<Key, uint32_t>: the table's slots already
// hold the keys, so a map that holds them again pays for each key twice
// (24 bytes per bucket for an address, ~74 per address entity with the
// map's load). Here a bucket is a tag (the key's 32-bit hash) and a slot
// number; a caller confirms a tag match against the slot's key, or not at
// all when the tag is the key itself (a bijection of a 32-bit key), and
// the tag alone gives the slot to prefetch before the key is in cache.
//
// Open addressing with linear probing from bucket `tag & mask`, at most
// 3/4 full (an unsuccessful search probes ~8.5 buckets, about one cache
// line); the bucket count doubles when that would be exceeded, so between
// 3/8 and 3/4 of the buckets are in use: 10.7 to 21 bytes per entry.
// Erase shifts the following run back (no tombstones), using each moved
// entry's tag for its home bucket, so no key is read. Growing allocates
// and rehashes from the tags, O(n); nothing else allocates.
// Thread-compatible.
//
// Example:
//   SlotIndex index;
//   index.Insert(TagOf(key), slot);
//   uint32_t found = index.Find(TagOf(key), [&](uint32_t s) {
//     return slots[s].key == key;
//   });  // SlotIndex::kNone when absent.
#ifndef VIGIE_DETECTOR_STATS_SLOT_INDEX_H_
#define VIGIE_DETECTOR_STATS_SLOT_INDEX_H_

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "absl/hash/hash.h"

namespace vigie {

class SlotIndex {
 public:
  static constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();

  // A tag for `value`: 32 bits of Abseil's (per-process seeded) hash, so
  // that inputs cannot be chosen to pile up in one run of buckets.
  template <typename T>
  static uint32_t HashTag(const T& value) {
    const uint64_t h = absl::Hash<T>{}(value);
    return static_cast<uint32_t>(h ^ (h >> 32));
  }

  // The slot of the entry with this tag for which is_slot_of_key(slot) is
  // true, or kNone.
  template <typename IsSlotOfKey>
  uint32_t Find(uint32_t tag, IsSlotOfKey&& is_slot_of_key) const {
    if (buckets_.empty()) return kNone;
    for (size_t i = tag & mask_;; i = (i + 1) & mask_) {
      const Bucket& b = buckets_[i];
      if (b.slot == kNone) return kNone;
      if (b.tag == tag && is_slot_of_key(b.slot)) return b.slot;
    }
  }
  // The slot of the first entry with this tag, or kNone: the right one but
  // for a tag collision (for prefetching; confirm before use).
  uint32_t FindTag(uint32_t tag) const {
    return Find(tag, [](uint32_t) { return true; });
  }
  // Pulls the tag's home bucket towards the cache.
  void Prefetch(uint32_t tag) const {
    if (!buckets_.empty()) __builtin_prefetch(&buckets_[tag & mask_]);
  }

  // REQUIRES: `slot` is not in the index, slot != kNone.
  void Insert(uint32_t tag, uint32_t slot) {
    assert(slot != kNone);
    if ((size_ + 1) * 4 > buckets_.size() * 3) Grow();
    Place(tag, slot);
    ++size_;
  }
  // Removes the entry of `slot` (found from its tag); no-op if absent.
  void Erase(uint32_t tag, uint32_t slot) {
    if (buckets_.empty()) return;
    size_t hole = tag & mask_;
    for (;; hole = (hole + 1) & mask_) {
      if (buckets_[hole].slot == kNone) return;
      if (buckets_[hole].slot == slot) break;
    }
    // Back-shift: an entry after the hole moves into it unless its home
    // lies cyclically in (hole, position], where it would become
    // unreachable from its home.
    for (size_t i = (hole + 1) & mask_;; i = (i + 1) & mask_) {
      const Bucket b = buckets_[i];
      if (b.slot == kNone) break;
      const size_t home = b.tag & mask_;
      const bool stays = hole <= i ? (hole < home && home <= i)
                                   : (hole < home || home <= i);
      if (stays) continue;
      buckets_[hole] = b;
      hole = i;
    }
    buckets_[hole] = Bucket{};
    --size_;
  }
  void Clear() {
    for (Bucket& b : buckets_) b = Bucket{};
    size_ = 0;
  }

  size_t size() const { return size_; }
  size_t buckets() const { return buckets_.size(); }
  size_t bytes() const { return buckets_.size() * sizeof(Bucket); }
  // Buckets held once n entries are in (the growth policy above).
  static size_t BucketsFor(size_t n) {
    if (n == 0) return 0;
    size_t buckets = kMinBuckets;
    while (n * 4 > buckets * 3) buckets *= 2;
    return buckets;
  }
  static constexpr size_t kBucketBytes = 8;

 private:
  struct Bucket {
    uint32_t tag = 0;
    uint32_t slot = kNone;
  };
  static_assert(sizeof(Bucket) == kBucketBytes);
  static constexpr size_t kMinBuckets = 16;

  void Place(uint32_t tag, uint32_t slot) {
    size_t i = tag & mask_;
    while (buckets_[i].slot != kNone) i = (i + 1) & mask_;
    buckets_[i] = Bucket{tag, slot};
  }
  void Grow() {
    std::vector<Bucket> old(buckets_.empty() ? kMinBuckets
                                             : 2 * buckets_.size());
    old.swap(buckets_);
    mask_ = buckets_.size() - 1;
    for (const Bucket& b : old) {
      if (b.slot != kNone) Place(b.tag, b.slot);
    }
  }

  std::vector<Bucket> buckets_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace vigie

#endif  // VIGIE_DETECTOR_STATS_SLOT_INDEX_H_
