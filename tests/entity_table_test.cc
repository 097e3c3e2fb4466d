// EntityTable: LRU eviction order, TTL, and a hard memory cap that holds
// under a spray of 10 million distinct addresses; its SlotIndex against a
// map, with colliding tags.
#include <algorithm>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "detector/ip_address.h"
#include "detector/stats/entity_table.h"
#include "detector/stats/slot_index.h"
#include "detector/stats/windowed_sum.h"
#include "gtest/gtest.h"

namespace vigie {
namespace {

// Keys are slot numbers' stand-ins: key k lives in slot k. Tags come from
// a few values only (mask 0..63), so runs are long, wrap around the end of
// the buckets and hold many equal tags that only the key tells apart: the
// cases back-shifting and confirmation must get right.
TEST(SlotIndex, MatchesAMapUnderInsertsAndErasesWithCollidingTags) {
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    std::mt19937_64 random(seed);
    SlotIndex index;
    std::vector<uint32_t> tag_of(5000);
    for (uint32_t& t : tag_of) {
      t = static_cast<uint32_t>(random() % 64) |
          (random() % 2 ? 0u : 0xffffffc0u);
    }
    std::map<uint32_t, bool> present;  // key -> in the index.
    for (int step = 0; step < 40000; ++step) {
      const uint32_t key = static_cast<uint32_t>(random() % tag_of.size());
      const bool in = present[key];
      const uint32_t found = index.Find(
          tag_of[key], [&](uint32_t slot) { return slot == key; });
      ASSERT_EQ(found, in ? key : SlotIndex::kNone) << "step " << step;
      if (in && random() % 2) {
        index.Erase(tag_of[key], key);
        present[key] = false;
      } else if (!in) {
        index.Insert(tag_of[key], key);
        present[key] = true;
      }
      if (step % 997 == 0) {
        size_t n = 0;
        for (const auto& [k, p] : present) {
          n += p;
          ASSERT_EQ(index.Find(tag_of[k],
                               [&, k = k](uint32_t slot) { return slot == k; }),
                    p ? k : SlotIndex::kNone)
              << "step " << step << " key " << k;
        }
        ASSERT_EQ(index.size(), n);
        ASSERT_LE(index.size() * 4, index.buckets() * 3);
        ASSERT_GE(index.buckets(), SlotIndex::BucketsFor(index.size()));
      }
    }
    index.Clear();
    EXPECT_EQ(index.size(), 0u);
    EXPECT_EQ(index.FindTag(tag_of[0]), SlotIndex::kNone);
  }
}

TEST(SlotIndex, GrowsByDoublingAtThreeQuarters) {
  SlotIndex index;
  EXPECT_EQ(index.bytes(), 0u);
  EXPECT_EQ(SlotIndex::BucketsFor(12), 16u);
  EXPECT_EQ(SlotIndex::BucketsFor(13), 32u);
  for (uint32_t i = 0; i < 12; ++i) index.Insert(i * 2654435761u, i);
  EXPECT_EQ(index.buckets(), 16u);
  index.Insert(99, 12);
  EXPECT_EQ(index.buckets(), 32u);
  EXPECT_EQ(index.bytes(), 32u * 8);
  for (uint32_t i = 0; i < 12; ++i) {
    EXPECT_EQ(index.FindTag(i * 2654435761u), i);
  }
}

struct Counter {
  uint64_t hits = 0;
};

// A Counter table's entries in a snapshot.
void EncodeCounter(StateWriter& w, const uint64_t& key, const Counter& c) {
  w.Put(key);
  w.Put(c.hits);
}
bool DecodeCounter(StateReader& r, uint64_t* key, Counter* c) {
  *key = r.Get<uint64_t>();
  c->hits = r.Get<decltype(c->hits)>();
  return r.ok();
}

// With a TTL: a recency list.
TEST(EntityTable, WithATtlEvictsTheLeastRecentlySeenEntity) {
  EntityTableOptions options;
  options.max_bytes = 4096;
  options.ttl = absl::Hours(1000);
  auto table = EntityTable<uint64_t, Counter>::Create(options).value();
  const size_t capacity = table.capacity();
  ASSERT_GE(capacity, 16u);
  for (uint64_t k = 0; k < capacity; ++k) table.FindOrCreate(k, k).hits = k;
  table.FindOrCreate(0, 1000);  // 0 becomes the most recent.
  bool created = false;
  table.FindOrCreate(999999, 1001, &created);
  EXPECT_TRUE(created);
  EXPECT_EQ(table.evictions(), 1u);
  EXPECT_EQ(table.Find(1), nullptr);  // The oldest untouched one went.
  ASSERT_NE(table.Find(0), nullptr);
  EXPECT_EQ(table.Find(2)->hits, 2u);
  EXPECT_EQ(table.size(), capacity);
  EXPECT_LE(table.bytes(), options.max_bytes);
}

// Without: CLOCK. The hand clears the reference bits it passes and evicts
// the first entity not seen since it last passed, in slot order.
TEST(EntityTable, WithoutATtlEvictsByClock) {
  EntityTableOptions options;
  options.max_bytes = 4096;
  auto table = EntityTable<uint64_t, Counter>::Create(options).value();
  const uint64_t capacity = table.capacity();
  ASSERT_GE(capacity, 16u);
  for (uint64_t k = 0; k < capacity; ++k) table.FindOrCreate(k, 0).hits = k;
  // Even keys seen again: odd ones go first, in slot order.
  for (uint64_t k = 0; k < capacity; k += 2) table.FindOrCreate(k, 1);
  table.FindOrCreate(1000, 2);
  EXPECT_EQ(table.Find(1), nullptr);
  EXPECT_EQ(table.evictions(), 1u);
  table.FindOrCreate(1001, 2);
  EXPECT_EQ(table.Find(3), nullptr);
  for (uint64_t k = 0; k < capacity; k += 2) ASSERT_NE(table.Find(k), nullptr);
  EXPECT_NE(table.Find(5), nullptr);
  // The hand cleared the bits of 0 and 2 on its way: unless they are seen
  // again, they go once the odd keys ahead of the hand have.
  table.FindOrCreate(2, 3);
  for (uint64_t k = 0; k < capacity / 2 - 2 + 1; ++k) {
    table.FindOrCreate(2000 + k, 4);
  }
  EXPECT_EQ(table.Find(0), nullptr);
  EXPECT_NE(table.Find(2), nullptr);
  EXPECT_EQ(table.size(), capacity);
  EXPECT_LE(table.bytes(), options.max_bytes);
}

// Under a spray of keys each seen once, the entities in use stay: new
// entities start unreferenced, so the hand takes the sprayed ones.
TEST(EntityTable, KeepsTheEntitiesInUseUnderASprayOfNewKeys) {
  for (const bool with_ttl : {false, true}) {
    SCOPED_TRACE(with_ttl);
    EntityTableOptions options;
    options.max_bytes = 1 << 16;
    if (with_ttl) options.ttl = absl::Hours(1000);
    auto table = EntityTable<uint64_t, Counter>::Create(options).value();
    const uint64_t capacity = table.capacity();
    for (uint64_t k = 0; k < 20 * capacity; ++k) {
      table.FindOrCreate(1'000'000 + k, static_cast<int64_t>(k));
      if (k % 8 == 0) {
        // Forty entities in use, one seen every eight sprayed keys.
        table.FindOrCreate(k / 8 % 40, static_cast<int64_t>(k)).hits++;
      }
    }
    for (uint64_t k = 0; k < 40; ++k) {
      ASSERT_NE(table.Find(k), nullptr) << k;
      EXPECT_GT(table.Find(k)->hits, 0u);
    }
    EXPECT_GT(table.evictions(), 18 * capacity);
  }
}

// A table without a TTL carries its clock through a snapshot (slots,
// reference bits, hand): the restored table evicts exactly as the original.
TEST(EntityTable, SnapshotCarriesTheClock) {
  EntityTableOptions options;
  options.max_bytes = 1 << 12;
  using Table = EntityTable<uint64_t, Counter>;
  Table original = Table::Create(options).value();
  ASSERT_LT(original.capacity(), 300u);
  std::mt19937_64 rng(5);
  const auto step = [&rng](Table& table, uint64_t r) {
    if (r % 17 == 0) {
      table.Erase(r % 300);
    } else {
      table.FindOrCreate(r % 300, 0).hits += r % 7;
    }
  };
  for (int i = 0; i < 5000; ++i) step(original, rng());
  ASSERT_GT(original.evictions(), 0u);
  StateWriter w;
  original.Encode(w, &EncodeCounter);
  Table restored = Table::Create(options).value();
  for (uint64_t k = 0; k < 50; ++k) restored.FindOrCreate(9000 + k, 0);
  StateReader r(w.data());
  ASSERT_TRUE(restored.Restore(r, &DecodeCounter).ok());
  const auto contents = [](const Table& table) {
    std::vector<std::pair<uint64_t, uint64_t>> out;
    table.ForEach([&](const uint64_t& key, const Counter& c, int64_t) {
      out.emplace_back(key, c.hits);
    });
    return out;
  };
  for (int i = 0; i < 5000; ++i) {
    const uint64_t r = rng();
    step(original, r);
    step(restored, r);
    if (i % 500 == 0) {
      ASSERT_EQ(contents(original), contents(restored)) << i;
    }
  }
  EXPECT_EQ(contents(original), contents(restored));
  EXPECT_EQ(original.evictions(), restored.evictions());
  EXPECT_EQ(original.bytes(), restored.bytes());
  // A truncated snapshot is refused and leaves the table empty.
  const std::string truncated = w.data().substr(0, w.data().size() - 5);
  StateReader bad(truncated);
  Table other = Table::Create(options).value();
  other.FindOrCreate(1, 0);
  EXPECT_EQ(other.Restore(bad, &DecodeCounter).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(other.size(), 0u);
}

// Every single-byte damage to a snapshot of either kind is refused or
// restores a table that holds together: each entity it visits is found
// under its key, within the capacity, and the table goes on working.
TEST(EntityTable, RestoresOrRefusesEveryDamagedSnapshot) {
  using Table = EntityTable<uint64_t, Counter>;
  for (const bool with_ttl : {false, true}) {
    SCOPED_TRACE(with_ttl);
    EntityTableOptions options;
    options.max_bytes = 2048;
    if (with_ttl) options.ttl = absl::Hours(1);
    Table original = Table::Create(options).value();
    for (uint64_t k = 0; k < 3 * original.capacity(); ++k) {
      original.FindOrCreate(k % 40, static_cast<int64_t>(k)).hits = k;
      if (k % 5 == 0) original.Erase((k + 3) % 40);
    }
    StateWriter w;
    original.Encode(w, &EncodeCounter);
    int refused = 0;
    for (size_t i = 0; i < w.data().size(); ++i) {
      for (const uint8_t flip : {0x01, 0x80, 0xff}) {
        std::string damaged = w.data();
        damaged[i] = static_cast<char>(damaged[i] ^ flip);
        Table table = Table::Create(options).value();
        StateReader r(damaged);
        if (!table.Restore(r, &DecodeCounter).ok()) {
          ++refused;
          EXPECT_EQ(table.size(), 0u);
          continue;
        }
        size_t visited = 0;
        table.ForEach([&](const uint64_t& key, const Counter& c, int64_t) {
          ++visited;
          ASSERT_EQ(table.Find(key), &c);
        });
        EXPECT_EQ(visited, table.size());
        EXPECT_LE(table.size(), table.capacity());
        for (uint64_t k = 0; k < 2 * table.capacity(); ++k) {
          table.FindOrCreate(1000 + k, 0);
        }
        EXPECT_EQ(table.size(), table.capacity());
      }
    }
    EXPECT_GT(refused, 0);
  }
}

// A slot hint from PrefetchState saves a lookup while it holds the key; a
// stale one (the entity erased, evicted or moved) is ignored.
TEST(EntityTable, UsesASlotHintOnlyWhileItHoldsTheKey) {
  EntityTableOptions options;
  options.max_bytes = 4096;
  auto table = EntityTable<uint64_t, Counter>::Create(options).value();
  using Table = EntityTable<uint64_t, Counter>;
  table.FindOrCreate(7, 1).hits = 70;
  const uint32_t hint = table.PrefetchState(7);
  ASSERT_NE(hint, Table::kNone);
  EXPECT_EQ(table.PrefetchState(8), Table::kNone);
  bool created = true;
  EXPECT_EQ(table.FindOrCreate(7, 2, &created, hint).hits, 70u);
  EXPECT_FALSE(created);
  // Erased: the freed slot keeps its old key, but the hint is not used,
  // also when the slot is chained to another free one.
  table.FindOrCreate(8, 2);
  table.Erase(8);
  table.Erase(7);
  EXPECT_EQ(table.FindOrCreate(7, 3, &created, hint).hits, 0u);
  EXPECT_TRUE(created);
  table.Erase(7);
  table.FindOrCreate(8, 3);  // Takes 7's freed slot.
  EXPECT_EQ(table.FindOrCreate(7, 3, &created, hint).hits, 0u);
  EXPECT_TRUE(created);
  table.Erase(8);
  // A hint naming another entity's slot is ignored too.
  table.FindOrCreate(9, 4).hits = 90;
  EXPECT_EQ(table.FindOrCreate(9, 5, &created, table.PrefetchState(7)).hits,
            90u);
  EXPECT_FALSE(created);
  EXPECT_EQ(table.size(), 2u);
}

TEST(EntityTable, ExpiresIdleEntitiesAfterTheTtl) {
  EntityTableOptions options;
  options.max_bytes = 1 << 16;
  options.ttl = absl::Hours(1);
  auto table = EntityTable<uint64_t, Counter>::Create(options).value();
  table.FindOrCreate(1, 0);
  table.FindOrCreate(2, 1800000);
  table.ExpireIdle(3600000 + 1);
  EXPECT_EQ(table.Find(1), nullptr);
  EXPECT_NE(table.Find(2), nullptr);
  EXPECT_EQ(table.expirations(), 1u);
  table.FindOrCreate(3, 3600002);  // Reuses the freed slot.
  EXPECT_EQ(table.evictions(), 0u);
}

// Without a TTL (the default) a table keeps no last-seen times: 8 bytes
// less per entity, and ExpireIdle drops nothing.
TEST(EntityTable, KeepsLastSeenTimesOnlyWithATtl) {
  EntityTableOptions plain;
  plain.max_bytes = 1 << 20;
  EntityTableOptions timed = plain;
  timed.ttl = absl::Hours(1);
  auto a = EntityTable<uint64_t, Counter>::Create(plain).value();
  auto b = EntityTable<uint64_t, Counter>::Create(timed).value();
  EXPECT_GT(a.capacity(), b.capacity());
  for (uint64_t k = 1; k <= 1000; ++k) {
    a.FindOrCreate(k, 0);
    b.FindOrCreate(k, 0);
  }
  // A link and a last-seen time (16 bytes) per entity instead of two
  // bits.
  EXPECT_EQ(b.bytes() - a.bytes(),
            1000 * 2 * sizeof(int64_t) - 2 * ((1000 + 63) / 64) * sizeof(uint64_t));
  a.ExpireIdle(int64_t{1} << 50);
  b.ExpireIdle(int64_t{1} << 50);
  EXPECT_EQ(a.size(), 1000u);
  EXPECT_EQ(b.size(), 0u);
}

// A table with a TTL carries its last-seen times through a snapshot, so
// the restored table expires what the original would; a snapshot is
// refused by a table of the other kind.
TEST(EntityTable, SnapshotCarriesLastSeenTimesAndRefusesTheOtherKind) {
  EntityTableOptions timed;
  timed.max_bytes = 1 << 16;
  timed.ttl = absl::Hours(1);
  using Table = EntityTable<uint64_t, Counter>;
  Table original = Table::Create(timed).value();
  original.FindOrCreate(1, 0).hits = 10;
  original.FindOrCreate(1, 1000);  // Seen again at 1 s.
  original.FindOrCreate(2, 1800000).hits = 20;
  StateWriter w;
  original.Encode(w, &EncodeCounter);
  Table restored = Table::Create(timed).value();
  StateReader r(w.data());
  ASSERT_TRUE(restored.Restore(r, &DecodeCounter).ok());
  std::vector<int64_t> times;
  restored.ForEach([&](const uint64_t&, const Counter&, int64_t last_ms) {
    times.push_back(last_ms);
  });
  EXPECT_EQ(times, (std::vector<int64_t>{1800000, 1000}));
  restored.ExpireIdle(3600000 + 1001);
  EXPECT_EQ(restored.Find(1), nullptr);
  ASSERT_NE(restored.Find(2), nullptr);
  EXPECT_EQ(restored.Find(2)->hits, 20u);
  EntityTableOptions plain = timed;
  plain.ttl = absl::InfiniteDuration();
  Table other = Table::Create(plain).value();
  StateReader again(w.data());
  EXPECT_EQ(other.Restore(again, &DecodeCounter).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(EntityTable, RefusesACapTooSmallForSixteenEntities) {
  EntityTableOptions options;
  options.max_bytes = 100;
  EXPECT_EQ((EntityTable<uint64_t, Counter>::Create(options).status().code()),
            absl::StatusCode::kInvalidArgument);
}

TEST(EntityTable, HoldsItsMemoryCapUnderTenMillionSprayedAddresses) {
  EntityTableOptions options;
  options.max_bytes = size_t{32} << 20;
  using IpState = WindowedSum<uint32_t>;
  auto table = EntityTable<IpAddress, IpState>::Create(options).value();
  WindowSpec spec;
  const uint64_t spray = 10000000;
  size_t full_bytes = 0;
  for (uint64_t i = 0; i < spray; ++i) {
    IpAddress ip = IpAddress::FromHalves(0x20010db800000000ull, i * 2654435761u);
    table.FindOrCreate(ip, static_cast<int64_t>(i)).Add(spec, i, 1);
    if (i == 2 * table.capacity()) full_bytes = table.bytes();
  }
  const size_t reserved = full_bytes;
  EXPECT_EQ(table.size(), table.capacity());
  EXPECT_EQ(table.evictions(), spray - table.capacity());
  EXPECT_EQ(table.bytes(), reserved);  // Nothing grew once full.
  EXPECT_LE(table.bytes(), options.max_bytes);
  // The most recent addresses are still there and usable.
  IpAddress last = IpAddress::FromHalves(0x20010db800000000ull,
                                         (spray - 1) * 2654435761u);
  ASSERT_NE(table.Find(last), nullptr);
  printf("entity table: %zu entities in %zu bytes (%zu bytes each) after "
         "%llu sprayed addresses\n",
         table.capacity(), table.bytes(), table.bytes_per_entity(),
         static_cast<unsigned long long>(spray));
}

}  // namespace
}  // namespace vigie

#include "detector/internal/string_interner.h"

namespace vigie {
namespace {


TEST(StringInterner, RecyclesTheLeastRecentlyUsedIdWhenFull) {
  internal::StringInterner names(3);
  EXPECT_EQ(names.Intern("a"), 1u);
  EXPECT_EQ(names.Intern("b"), 2u);
  EXPECT_EQ(names.Intern("c"), 3u);
  EXPECT_EQ(names.Intern("a"), 1u);  // "b" is now the least recent.
  EXPECT_TRUE(names.recycled().empty());
  EXPECT_EQ(names.Intern("d"), 2u);
  EXPECT_EQ(names.Name(2), "d");
  ASSERT_EQ(names.recycled().size(), 1u);
  EXPECT_EQ(names.recycled()[0], 2u);
  names.ClearRecycled();
  EXPECT_EQ(names.Intern("b"), 3u);  // "c" was the least recent.
  EXPECT_EQ(names.size(), 3u);
  EXPECT_EQ(names.recycled_total(), 2u);
}

// Against a plain LRU dictionary (a list of ids, most recent first), on
// names that often repeat the previous one (the interner's shortcut) and
// bounds down to one, where the name interned last is also the one to
// recycle. Names are 2 to 40 bytes long, so ids pass between names kept
// in their entry and longer ones kept apart; every 3,000 names the
// interner is saved and restored, and goes on from the copy.
TEST(StringInterner, HandsOutTheIdsOfAPlainLeastRecentlyUsedDictionary) {
  std::mt19937_64 random(31);
  for (uint32_t bound : {1u, 2u, 5u, 40u}) {
    internal::StringInterner names(bound);
    auto name_of = [](uint64_t n) {
      return "n" + std::to_string(n) + std::string((n * 7) % 39, 'x');
    };
    std::map<std::string, uint32_t> ids;
    std::vector<uint32_t> recency;  // Most recent first.
    std::map<uint32_t, std::string> by_id;
    std::string previous = name_of(0);
    for (int i = 0; i < 20000; ++i) {
      const std::string name =
          random() % 3 == 0 ? previous : name_of(random() % (bound * 2 + 1));
      if (i % 3000 == 2999) {
        StateWriter w;
        names.Encode(w);
        StateReader r(w.data());
        absl::StatusOr<internal::StringInterner> restored =
            internal::StringInterner::Decode(r);
        ASSERT_TRUE(restored.ok()) << restored.status();
        names = std::move(*restored);
      }
      uint32_t expected;
      auto it = ids.find(name);
      if (it != ids.end()) {
        expected = it->second;
        recency.erase(std::find(recency.begin(), recency.end(), expected));
      } else if (ids.size() < bound) {
        expected = static_cast<uint32_t>(ids.size()) + 1;
        ids[name] = expected;
      } else {
        expected = recency.back();  // The least recently used.
        recency.pop_back();
        ids.erase(by_id[expected]);
        ids[name] = expected;
      }
      by_id[expected] = name;
      recency.insert(recency.begin(), expected);
      ASSERT_EQ(names.Intern(name), expected) << bound << " " << i;
      ASSERT_EQ(names.Name(expected), name);
      previous = name;
    }
  }
}

// A spray of names alternately short and long, each taking over an idle
// id: the strings kept for long names are reused, not piled up.
TEST(StringInterner, ReusesTheStringsOfLongNames) {
  // An odd bound: each id takes short and long names in turn.
  internal::StringInterner names(7);
  for (int i = 0; i < 100000; ++i) {
    const std::string name = i % 2 == 0
                                 ? "s" + std::to_string(i)
                                 : "long.name.for.account." + std::to_string(i);
    ASSERT_EQ(names.Name(names.Intern(name)), name);
  }
  EXPECT_LE(names.long_name_slots(), 7u);
}

TEST(StringInterner, KeepsActiveNamesUnderASprayOfInventedOnes) {
  internal::StringInterner names(1000);
  const uint32_t doctor = names.Intern("dr.martin");
  for (int i = 0; i < 1000000; ++i) {
    names.Intern("junk" + std::to_string(i));
    if (i % 500 == 0) {
      ASSERT_EQ(names.Intern("dr.martin"), doctor);
    }
  }
  EXPECT_EQ(names.size(), 1000u);
  EXPECT_EQ(names.Name(doctor), "dr.martin");
}

}  // namespace
}  // namespace vigie
