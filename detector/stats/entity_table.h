// EntityTable: the per-entity state of the detector (accounts, addresses,
// networks) with dense slots, eviction of entities not seen lately, an idle
// TTL, and a hard memory cap that holds whatever the input does.
//
// Why: an attacker who sprays millions of source addresses, or invents
// account names, must not be able to grow the detector until it dies. The
// table computes once, from `max_bytes`, how many entities fit (slots plus
// the index, measured, not guessed), preallocates them, and from then on a
// new entity evicts one not seen lately. Evictions are counted so
// summaries can say how much history was forgotten; the detector keeps
// working with the entities it still holds.
//
// Two kinds, by whether the table has a TTL:
//  - with a TTL (state that is dropped when idle): a recency list (8
//    bytes per entity) and a last-seen time (8 more); ExpireIdle drops the
//    idle ones, a new entity at the cap evicts the least recently seen.
//  - without (the accounts and addresses themselves, dropped only at the
//    cap): CLOCK, two bits per entity. Seeing an entity sets its reference
//    bit; at the cap a hand goes round the slots, clearing the bits it
//    passes, and evicts the first entity whose bit was clear: one not seen
//    since the hand last passed. A new entity starts unreferenced, so a
//    spray of keys each seen once is evicted before the entities in use.
// State must be a fixed-size value (no heap of their own) so that the cap
// is exact; bytes_per_entity() = sizeof(slot) + the above + index bytes
// per entity.
// References returned stay valid until the next FindOrCreate, ExpireIdle
// or Restore.
//
// Cost: FindOrCreate O(1) expected (one probe of the SlotIndex, 8 bytes
// per bucket; with a TTL a list splice, without a bit set; the hand's
// sweep is O(1) amortised). The index allocates only when it doubles as
// entities arrive, up to the capacity; nothing else allocates after
// construction. A caller that knows its next keys (a batch) can Prefetch
// them to overlap the cache misses of several entities. Thread-compatible;
// shard by key for parallelism.
//
// Example:
//   EntityTable<IpAddress, IpState> ips({.max_bytes = 64 << 20});
//   IpState& state = ips.FindOrCreate(event.ip, event.time_ms);
#ifndef VIGIE_DETECTOR_STATS_ENTITY_TABLE_H_
#define VIGIE_DETECTOR_STATS_ENTITY_TABLE_H_

#include <algorithm>
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
    const uint32_t slot = expires_ ? TakeLeastRecentSlot() : TakeClockSlot();
    Slot& s = slots_[slot];
    s.key = key;
    s.state = State();
    if (expires_) {
      last_ms_[slot] = now_ms;
      PushFront(slot);
    } else {
      // Not referenced yet: under a spray of new keys the hand takes the
      // sprayed ones, seen once, before the entities in use.
      SetBit(used_, slot);
    }
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
    slots_[slot].state = State();
    if (expires_) {
      Unlink(slot);
      PushFree(slot);
    } else {
      ClearBit(used_, slot);  // The hand takes it when the table is full.
      ClearBit(referenced_, slot);
    }
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
    return slots_.size() * sizeof(Slot) + links_.size() * sizeof(Link) +
           last_ms_.size() * sizeof(int64_t) +
           (used_.size() + referenced_.size()) * sizeof(uint64_t) +
           index_.bytes() + sizeof(*this);
  }
  size_t bytes_per_entity() const {
    return size() == 0 ? 0 : bytes() / size();
  }

  // Snapshot support (version 3). Writes the counters and every entity
  // as encode(w, key, state): in a table with a TTL least recently seen
  // first, each after its last-seen time; in one without, by slot, each
  // after its slot and reference bit, with the clock's hand, so that the
  // restored table evicts as the original would.
  template <typename EncodeEntry>
  void Encode(StateWriter& w, EncodeEntry&& encode) const {
    w.Put<uint8_t>(3);
    w.Put<uint8_t>(expires_);
    w.Put<uint64_t>(index_.size());
    w.Put(evictions_);
    w.Put(expirations_);
    if (expires_) {
      for (uint32_t s = tail_; s != kNone; s = links_[s].prev) {
        w.Put(last_ms_[s]);
        encode(w, slots_[s].key, slots_[s].state);
      }
      return;
    }
    w.Put<uint32_t>(static_cast<uint32_t>(slots_.size()));
    w.Put(hand_);
    for (uint32_t s = 0; s < slots_.size(); ++s) {
      if (!Bit(used_, s)) continue;
      w.Put(s);
      w.Put<uint8_t>(Bit(referenced_, s));
      encode(w, slots_[s].key, slots_[s].state);
    }
  }
  // Replaces the contents with an encoded table; decode(r, &key, &state)
  // reads one entity. DataLoss for damaged input; FailedPrecondition when
  // the encoded table does not fit this table's capacity or was written by
  // a table with (without) a TTL into one without (with).
  template <typename DecodeEntry>
  absl::Status Restore(StateReader& r, DecodeEntry&& decode) {
    if (r.Get<uint8_t>() != 3) r.Fail();
    const bool with_times = r.Get<uint8_t>() != 0;
    const uint64_t n = r.Get<uint64_t>();
    const uint64_t evictions = r.Get<uint64_t>();
    const uint64_t expirations = r.Get<uint64_t>();
    const uint32_t slots = with_times ? 0 : r.Get<uint32_t>();
    const uint32_t hand = with_times ? 0 : r.Get<uint32_t>();
    absl::Status status = r.Check("entity table");
    if (!status.ok()) return status;
    if (with_times != expires_) {
      return absl::FailedPreconditionError(
          absl::StrCat("entity table: snapshot from a table ",
                       with_times ? "with" : "without", " a TTL"));
    }
    if (n > capacity() || slots > capacity()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "entity table: snapshot holds ", std::max<uint64_t>(n, slots),
          " entities, capacity is ", capacity(),
          " (restore with the same memory limit)"));
    }
    if (n > slots && !with_times) r.Fail();
    if (hand > slots || (hand == slots && slots > 0)) r.Fail();
    status = r.Check("entity table");
    if (!status.ok()) return status;
    Clear();
    if (with_times) {
      for (uint64_t i = 0; i < n && r.ok(); ++i) {
        const int64_t last_ms = r.Get<int64_t>();
        Key key{};
        State state{};
        if (!decode(r, &key, &state) || !r.ok()) {
          r.Fail();
          break;
        }
        FindOrCreate(key, last_ms) = std::move(state);
      }
    } else {
      // Exactly the original's slots, so that it grows and evicts alike.
      slots_.resize(slots);
      used_.resize(WordsFor(slots));
      referenced_.resize(WordsFor(slots));
      hand_ = hand;
      uint64_t previous = 0;
      for (uint64_t i = 0; i < n && r.ok(); ++i) {
        const uint32_t slot = r.Get<uint32_t>();
        const bool referenced = r.Get<uint8_t>() != 0;
        Key key{};
        State state{};
        // Slots in increasing order, within the encoded ones, keys new.
        if (!r.ok() || slot >= slots || (i > 0 && slot <= previous) ||
            !decode(r, &key, &state) || !r.ok() ||
            FindSlot(Tag::Of(key), key) != kNone) {
          r.Fail();
          break;
        }
        previous = slot;
        slots_[slot].key = key;
        slots_[slot].state = std::move(state);
        SetBit(used_, slot);
        if (referenced) SetBit(referenced_, slot);
        index_.Insert(Tag::Of(key), slot);
      }
    }
    evictions_ = evictions;
    expirations_ = expirations;
    status = r.Check("entity table");
    if (!status.ok()) Clear();
    return status;
  }

  // Visits entities with their last-seen time: in a table with a TTL from
  // most to least recently seen, in one without by slot (time 0).
  template <typename F>
  void ForEach(F&& visit) const {
    if (expires_) {
      for (uint32_t s = head_; s != kNone; s = links_[s].next) {
        visit(slots_[s].key, slots_[s].state, last_ms_[s]);
      }
      return;
    }
    for (uint32_t s = 0; s < slots_.size(); ++s) {
      if (Bit(used_, s)) visit(slots_[s].key, slots_[s].state, int64_t{0});
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
  // A table with a TTL keeps a recency link and a last-seen time per
  // entity; one without, two bits (counted as a byte here).
  static size_t EntityBytes(bool expires) {
    return sizeof(Slot) + (expires ? sizeof(Link) + sizeof(int64_t) : 1);
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
    if (expires_) {
      links_.reserve(capacity);
      last_ms_.reserve(capacity);
    } else {
      used_.reserve(WordsFor(capacity));
      referenced_.reserve(WordsFor(capacity));
    }
    // Before any slot is written: see huge_pages.h.
    internal::AdviseHugePages(slots_.data(), capacity * sizeof(Slot));
    if (expires_) {
      internal::AdviseHugePages(links_.data(), capacity * sizeof(Link));
      internal::AdviseHugePages(last_ms_.data(), capacity * sizeof(int64_t));
    }
  }

  static size_t WordsFor(size_t slots) { return (slots + 63) / 64; }
  static bool Bit(const std::vector<uint64_t>& bits, uint32_t s) {
    return (bits[s / 64] >> (s % 64)) & 1;
  }
  static void SetBit(std::vector<uint64_t>& bits, uint32_t s) {
    bits[s / 64] |= uint64_t{1} << (s % 64);
  }
  static void ClearBit(std::vector<uint64_t>& bits, uint32_t s) {
    bits[s / 64] &= ~(uint64_t{1} << (s % 64));
  }

  // Slots are touched (made resident) only as entities arrive: `n` slots
  // in all, the new ones free.
  void GrowTo(size_t n) {
    while (slots_.size() < n) {
      slots_.emplace_back();
      if (expires_) {
        links_.emplace_back();
        last_ms_.emplace_back();
        PushFree(static_cast<uint32_t>(slots_.size() - 1));
      }
    }
    if (!expires_) {
      used_.resize(WordsFor(n));
      referenced_.resize(WordsFor(n));
    }
  }

  // Empty, with the slots touched so far kept (and free).
  void Clear() {
    index_.Clear();
    head_ = tail_ = free_head_ = kNone;
    hand_ = 0;
    for (size_t i = slots_.size(); i > 0; --i) {
      slots_[i - 1].state = State();
      if (expires_) {
        links_[i - 1] = Link{};
        last_ms_[i - 1] = 0;
        PushFree(static_cast<uint32_t>(i - 1));
      }
    }
    std::fill(used_.begin(), used_.end(), 0);
    std::fill(referenced_.begin(), referenced_.end(), 0);
  }

  // A table with a TTL: a free slot, else the least recently seen
  // entity's, evicted.
  uint32_t TakeLeastRecentSlot() {
    if (free_head_ == kNone && slots_.size() < capacity_) {
      GrowTo(slots_.size() + 1);
    }
    if (free_head_ != kNone) return PopFree();
    const uint32_t slot = tail_;
    index_.Erase(Tag::Of(slots_[slot].key), slot);
    Unlink(slot);
    ++evictions_;
    return slot;
  }

  // A table without: a new slot while there is room, else the clock's
  // hand goes round the slots, clearing the reference bits it passes, to
  // the first free slot or unreferenced entity (evicted). Touching an
  // entity only sets its bit, where a recency list would splice three
  // links, two of them other entities' (cache misses in a large table).
  uint32_t TakeClockSlot() {
    if (slots_.size() < capacity_) {
      GrowTo(slots_.size() + 1);
      return static_cast<uint32_t>(slots_.size() - 1);
    }
    const uint32_t n = static_cast<uint32_t>(slots_.size());
    while (true) {
      const uint32_t slot = hand_;
      hand_ = hand_ + 1 == n ? 0 : hand_ + 1;
      if (!Bit(used_, slot)) return slot;
      if (Bit(referenced_, slot)) {
        ClearBit(referenced_, slot);
        continue;
      }
      index_.Erase(Tag::Of(slots_[slot].key), slot);
      ++evictions_;
      return slot;
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
  // A slot holds an entity while it is on the recency list (with a TTL)
  // or its used bit is set (without); freed and expired slots keep their
  // old key.
  bool InUse(uint32_t s) const {
    if (!expires_) return Bit(used_, s);
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
    if (!expires_) {
      SetBit(referenced_, s);
      return;
    }
    if (now_ms > last_ms_[s]) last_ms_[s] = now_ms;
    if (head_ == s) return;
    Unlink(s);
    PushFront(s);
  }

  int64_t ttl_ms_;
  bool expires_;  // A finite TTL: last_ms_ is kept.
  size_t capacity_;
  std::vector<Slot> slots_;
  // With a TTL: parallel to slots_.
  std::vector<Link> links_;
  std::vector<int64_t> last_ms_;
  // Without: a bit per slot in each, and the clock's hand.
  std::vector<uint64_t> used_;
  std::vector<uint64_t> referenced_;
  uint32_t hand_ = 0;
  SlotIndex index_;
  uint32_t head_ = kNone;
  uint32_t tail_ = kNone;
  uint32_t free_head_ = kNone;  // Free slots, chained through links_.
  uint64_t evictions_ = 0;
  uint64_t expirations_ = 0;
};

}  // namespace vigie

#endif  // VIGIE_DETECTOR_STATS_ENTITY_TABLE_H_
