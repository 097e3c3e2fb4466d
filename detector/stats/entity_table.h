// EntityTable: the per-entity state of the detector (accounts, addresses,
// networks) with dense slots, least-recently-used eviction, an idle TTL, and
// a hard memory cap that holds whatever the input does.
//
// Why: an attacker who sprays millions of source addresses, or invents
// account names, must not be able to grow the detector until it dies. The
// table computes once, from `max_bytes`, how many entities fit (slots plus
// the index, measured, not guessed), preallocates them, and from then on a
// new entity evicts the least recently seen one. Evictions are counted so
// summaries can say how much history was forgotten; the detector keeps
// working with the entities it still holds.
//
// State must be a fixed-size value (no heap of its own) so that the cap is
// exact; bytes_per_entity() = sizeof(slot) + its recency link (8 bytes)
// + index bytes per entity, and 8 bytes more for its last-seen time in a
// table with a TTL.
// References returned stay valid until the next FindOrCreate or ExpireIdle.
//
// Cost: FindOrCreate O(1) expected (one probe of the SlotIndex, 8 bytes
// per bucket, and a list splice). The index allocates only when it doubles
// as entities arrive, up to the capacity; nothing else allocates after
// construction. The recency list lives apart from the states (8 bytes per
// entity), so splicing an entity to the front touches its neighbours'
// small links, which stay in cache, not their large states. Only a table
// with a TTL keeps when each entity was last seen. A caller that knows its
// next keys (a batch) can Prefetch them to overlap the cache misses of
// several entities. Thread-compatible; shard by key for parallelism.
//
// Example:
//   EntityTable<IpAddress, IpState> ips({.max_bytes = 64 << 20});
//   IpState& state = ips.FindOrCreate(event.ip, event.time_ms);
#ifndef VIGIE_DETECTOR_STATS_ENTITY_TABLE_H_
#define VIGIE_DETECTOR_STATS_ENTITY_TABLE_H_

#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "detector/internal/huge_pages.h"
#include "detector/internal/prefetch.h"
#include "detector/stats/slot_index.h"
#include "detector/stats/state_codec.h"

namespace vigie {

struct EntityTableOptions {
  // Hard cap on the table's memory (slots and index). Default: 64 MiB.
  size_t max_bytes = size_t{64} << 20;
  // Entities idle for longer are dropped by ExpireIdle, which a finite TTL
  // costs 8 bytes per entity (its last-seen time). Default: infinite (no
  // expiry; only eviction at the cap).
  absl::Duration ttl = absl::InfiniteDuration();
};

// A key's tag in the table's SlotIndex. By default 32 bits of Abseil's
// (per-process seeded) hash, confirmed against the slot's key; a 32-bit
// key is mapped by a bijection (MurmurHash3's finalizer), so its tag is
// the key and needs no confirmation.
template <typename Key>
struct EntityKeyTag {
  static constexpr bool kIsKey = false;
  static uint32_t Of(const Key& key) { return SlotIndex::HashTag(key); }
};
template <>
struct EntityKeyTag<uint32_t> {
  static constexpr bool kIsKey = true;
  static uint32_t Of(uint32_t x) {
    x ^= x >> 16;
    x *= 0x85ebca6bu;
    x ^= x >> 13;
    x *= 0xc2b2ae35u;
    x ^= x >> 16;
    return x;
  }
};

template <typename Key, typename State>
class EntityTable {
 public:
  static constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();

  // InvalidArgument when not even 16 entities fit in max_bytes.
  static absl::StatusOr<EntityTable> Create(const EntityTableOptions& options) {
    const bool expires = options.ttl != absl::InfiniteDuration();
    const size_t capacity = CapacityFor(options.max_bytes, expires);
    if (capacity < 16) {
      return absl::InvalidArgumentError(absl::StrCat(
          "entity table: max_bytes ", options.max_bytes,
          " holds fewer than 16 entities of ", BytesPerEntityEstimate(expires),
          " bytes"));
    }
    if (expires && options.ttl < absl::ZeroDuration()) {
      return absl::InvalidArgumentError("entity table: negative ttl");
    }
    return EntityTable(options, capacity, expires);
  }

  // `hint`: a slot PrefetchState returned for `key`; used without a second
  // index lookup if the slot still holds that key, else ignored.
  State& FindOrCreate(const Key& key, int64_t now_ms, bool* created = nullptr,
                      uint32_t hint = kNone) {
    if (hint < slots_.size() && slots_[hint].key == key && InUse(hint)) {
      Touch(hint, now_ms);
      if (created != nullptr) *created = false;
      return slots_[hint].state;
    }
    const uint32_t tag = Tag::Of(key);
    const uint32_t found = FindSlot(tag, key);
    if (found != kNone) {
      Touch(found, now_ms);
      if (created != nullptr) *created = false;
      return slots_[found].state;
    }
    uint32_t slot;
    if (free_head_ == kNone && slots_.size() < capacity_) {
      // Slots are touched (made resident) only as entities arrive.
      slots_.emplace_back();
      links_.emplace_back();
      if (expires_) last_ms_.emplace_back();
      PushFree(static_cast<uint32_t>(slots_.size() - 1));
    }
    if (free_head_ == kNone) {
      slot = tail_;  // Least recently used.
      index_.Erase(Tag::Of(slots_[slot].key), slot);
      Unlink(slot);
      ++evictions_;
    } else {
      slot = PopFree();
    }
    Slot& s = slots_[slot];
    s.key = key;
    s.state = State();
    if (expires_) last_ms_[slot] = now_ms;
    PushFront(slot);
    index_.Insert(tag, slot);
    if (created != nullptr) *created = true;
    return s.state;
  }

  State* Find(const Key& key) {
    const uint32_t slot = FindSlot(Tag::Of(key), key);
    return slot == kNone ? nullptr : &slots_[slot].state;
  }
  // Find, and if found, seen at now_ms as FindOrCreate would.
  State* FindAndTouch(const Key& key, int64_t now_ms) {
    const uint32_t slot = FindSlot(Tag::Of(key), key);
    if (slot == kNone) return nullptr;
    Touch(slot, now_ms);
    return &slots_[slot].state;
  }

  // Hints that `key` will be looked up soon: PrefetchIndex pulls its index
  // entry towards the cache; PrefetchState (best after PrefetchIndex, some
  // work earlier) pulls the first `state_bytes` of its state and returns
  // its slot (kNone if absent), a hint for FindOrCreate. Neither changes
  // the table.
  void PrefetchIndex(const Key& key) const { index_.Prefetch(Tag::Of(key)); }
  uint32_t PrefetchState(const Key& key,
                         size_t state_bytes = sizeof(State)) const {
    // By tag only: the key is confirmed when the hint is used.
    const uint32_t slot = index_.FindTag(Tag::Of(key));
    if (slot == kNone) return kNone;
    internal::PrefetchLines(&slots_[slot].state, state_bytes);
    return slot;
  }

  // Drops one entity, if present.
  void Erase(const Key& key) {
    const uint32_t tag = Tag::Of(key);
    const uint32_t slot = FindSlot(tag, key);
    if (slot == kNone) return;
    index_.Erase(tag, slot);
    Unlink(slot);
    slots_[slot].state = State();
    PushFree(slot);
  }

  // Drops entities last seen before now_ms - ttl (none without a TTL).
  void ExpireIdle(int64_t now_ms) {
    if (!expires_) return;
    while (tail_ != kNone && last_ms_[tail_] < now_ms - ttl_ms_) {
      const uint32_t slot = tail_;
      index_.Erase(Tag::Of(slots_[slot].key), slot);
      Unlink(slot);
      PushFree(slot);
      ++expirations_;
    }
  }

  size_t size() const { return index_.size(); }
  size_t capacity() const { return capacity_; }
  uint64_t evictions() const { return evictions_; }
  uint64_t expirations() const { return expirations_; }
  // Memory in use: slots with their links, and the index (slots are
  // reserved up front as address space but only count once touched).
  size_t bytes() const {
    return slots_.size() * (sizeof(Slot) + sizeof(Link)) +
           last_ms_.size() * sizeof(int64_t) + index_.bytes() + sizeof(*this);
  }
  size_t bytes_per_entity() const {
    return size() == 0 ? 0 : bytes() / size();
  }

  // Snapshot support (version 2). Writes the counters and every entity,
  // least recently seen first, as encode(w, key, state), after its
  // last-seen time in a table with a TTL.
  template <typename EncodeEntry>
  void Encode(StateWriter& w, EncodeEntry&& encode) const {
    w.Put<uint8_t>(2);
    w.Put<uint8_t>(expires_);
    w.Put<uint64_t>(index_.size());
    w.Put(evictions_);
    w.Put(expirations_);
    for (uint32_t s = tail_; s != kNone; s = links_[s].prev) {
      if (expires_) w.Put(last_ms_[s]);
      encode(w, slots_[s].key, slots_[s].state);
    }
  }
  // Replaces the contents with an encoded table; decode(r, &key, &state)
  // reads one entity. DataLoss for damaged input; FailedPrecondition when
  // the encoded table does not fit this table's capacity or was written by
  // a table with (without) a TTL into one without (with).
  template <typename DecodeEntry>
  absl::Status Restore(StateReader& r, DecodeEntry&& decode) {
    if (r.Get<uint8_t>() != 2) r.Fail();
    const bool with_times = r.Get<uint8_t>() != 0;
    const uint64_t n = r.Get<uint64_t>();
    const uint64_t evictions = r.Get<uint64_t>();
    const uint64_t expirations = r.Get<uint64_t>();
    absl::Status status = r.Check("entity table");
    if (!status.ok()) return status;
    if (with_times != expires_) {
      return absl::FailedPreconditionError(
          absl::StrCat("entity table: snapshot from a table ",
                       with_times ? "with" : "without", " a TTL"));
    }
    if (n > capacity()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "entity table: snapshot holds ", n, " entities, capacity is ",
          capacity(), " (restore with the same memory limit)"));
    }
    index_.Clear();
    head_ = tail_ = free_head_ = kNone;
    for (size_t i = slots_.size(); i > 0; --i) {
      slots_[i - 1].state = State();
      links_[i - 1] = Link{};
      if (expires_) last_ms_[i - 1] = 0;
      PushFree(static_cast<uint32_t>(i - 1));
    }
    for (uint64_t i = 0; i < n && r.ok(); ++i) {
      const int64_t last_ms = with_times ? r.Get<int64_t>() : 0;
      Key key{};
      State state{};
      if (!decode(r, &key, &state) || !r.ok()) {
        r.Fail();
        break;
      }
      FindOrCreate(key, last_ms) = std::move(state);
    }
    evictions_ = evictions;
    expirations_ = expirations;
    return r.Check("entity table");
  }

  // Visits entities from most to least recently seen, with their last-seen
  // time (0 in a table without a TTL).
  template <typename F>
  void ForEach(F&& visit) const {
    for (uint32_t s = head_; s != kNone; s = links_[s].next) {
      visit(slots_[s].key, slots_[s].state, expires_ ? last_ms_[s] : 0);
    }
  }

 private:
  using Tag = EntityKeyTag<Key>;
  // Marks a free slot's link (see PushFree); never a slot number.
  static constexpr uint32_t kFree = kNone - 1;
  struct Slot {
    Key key{};
    State state{};
  };
  // A slot's place in the recency list (most recent at head_).
  struct Link {
    uint32_t prev = kNone;
    uint32_t next = kNone;
  };
  static size_t EntityBytes(bool expires) {
    return sizeof(Slot) + sizeof(Link) + (expires ? sizeof(int64_t) : 0);
  }

  static size_t BytesFor(size_t n, bool expires) {
    return n * EntityBytes(expires) +
           SlotIndex::BucketsFor(n) * SlotIndex::kBucketBytes +
           sizeof(EntityTable);
  }
  static size_t BytesPerEntityEstimate(bool expires) {
    return EntityBytes(expires) + 2 * SlotIndex::kBucketBytes;
  }
  uint32_t FindSlot(uint32_t tag, const Key& key) const {
    if constexpr (Tag::kIsKey) {
      return index_.FindTag(tag);
    } else {
      return index_.Find(
          tag, [&](uint32_t slot) { return slots_[slot].key == key; });
    }
  }
  static size_t CapacityFor(size_t max_bytes, bool expires) {
    size_t lo = 0;
    size_t hi = max_bytes / EntityBytes(expires) + 1;
    while (lo + 1 < hi) {  // Largest n with BytesFor(n) <= max_bytes.
      const size_t mid = lo + (hi - lo) / 2;
      (BytesFor(mid, expires) <= max_bytes ? lo : hi) = mid;
    }
    return std::min<size_t>(lo, kFree - 1);
  }

  EntityTable(const EntityTableOptions& options, size_t capacity,
              bool expires)
      : ttl_ms_(expires ? absl::ToInt64Milliseconds(options.ttl) : 0),
        expires_(expires),
        capacity_(capacity) {
    // Address space is reserved up front so slots never move; pages become
    // resident only when used. The index grows as entities arrive, to the
    // same capacity reserve() would give.
    slots_.reserve(capacity);
    links_.reserve(capacity);
    if (expires_) last_ms_.reserve(capacity);
    // Before any slot is written: see huge_pages.h.
    internal::AdviseHugePages(slots_.data(), capacity * sizeof(Slot));
    internal::AdviseHugePages(links_.data(), capacity * sizeof(Link));
    if (expires_) {
      internal::AdviseHugePages(last_ms_.data(), capacity * sizeof(int64_t));
    }
  }

  void Unlink(uint32_t s) {
    Link& link = links_[s];
    (link.prev == kNone ? head_ : links_[link.prev].next) = link.next;
    (link.next == kNone ? tail_ : links_[link.next].prev) = link.prev;
    link.prev = link.next = kNone;
  }
  void PushFront(uint32_t s) {
    Link& link = links_[s];
    link.prev = kNone;
    link.next = head_;
    if (head_ != kNone) links_[head_].prev = s;
    head_ = s;
    if (tail_ == kNone) tail_ = s;
  }
  // A slot holds an entity while it is on the recency list; freed and
  // expired slots are on the free chain instead (and keep their old key).
  bool InUse(uint32_t s) const {
    return links_[s].prev != kFree &&
           (links_[s].prev != kNone || links_[s].next != kNone || head_ == s);
  }
  // Free slots are chained through their links: prev is kFree, next the
  // next free slot, so the free list costs no memory of its own.
  void PushFree(uint32_t s) {
    links_[s].prev = kFree;
    links_[s].next = free_head_;
    free_head_ = s;
  }
  uint32_t PopFree() {
    const uint32_t s = free_head_;
    free_head_ = links_[s].next;
    links_[s].prev = links_[s].next = kNone;
    return s;
  }
  void Touch(uint32_t s, int64_t now_ms) {
    if (expires_ && now_ms > last_ms_[s]) last_ms_[s] = now_ms;
    if (head_ == s) return;
    Unlink(s);
    PushFront(s);
  }

  int64_t ttl_ms_;
  bool expires_;  // A finite TTL: last_ms_ is kept.
  size_t capacity_;
  std::vector<Slot> slots_;
  std::vector<Link> links_;  // Parallel to slots_.
  std::vector<int64_t> last_ms_;  // Parallel to slots_ if expires_.
  SlotIndex index_;
  uint32_t head_ = kNone;
  uint32_t tail_ = kNone;
  uint32_t free_head_ = kNone;  // Free slots, chained through links_.
  uint64_t evictions_ = 0;
  uint64_t expirations_ = 0;
};

}  // namespace vigie

#endif  // VIGIE_DETECTOR_STATS_ENTITY_TABLE_H_
