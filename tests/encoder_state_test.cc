// Saving and restoring the encoder's dictionaries (StringInterner,
// EventEncoder): a restored encoder hands out exactly the ids the original
// would have, LRU recycling included; damaged state is refused with
// DataLoss; the state never holds a subject.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "detector/access_record.h"
#include "detector/event.h"
#include "detector/ingest/event_encoder.h"
#include "detector/ingest/pseudonymizer.h"
#include "detector/internal/string_interner.h"
#include "detector/stats/state_codec.h"
#include "gtest/gtest.h"

namespace vigie {
namespace {

using internal::StringInterner;

// A name sequence that revisits old names and keeps inventing new ones, so
// a small dictionary recycles ids in LRU order.
std::vector<std::string> Names(int count, int seed) {
  std::vector<std::string> names;
  for (int i = 0; i < count; ++i) {
    const int k = (i * 7 + seed) % 13 == 0 ? i : (i * 31 + seed) % 17;
    names.push_back(absl::StrCat("account.", k));
  }
  return names;
}

TEST(StringInterner, ARestoredInternerHandsOutTheSameIdsAsTheOriginal) {
  StringInterner original(/*max_size=*/8);
  const std::vector<std::string> before = Names(200, 1);
  for (const std::string& name : before) original.Intern(name);
  ASSERT_GT(original.recycled_total(), 0u);  // The LRU order matters.
  StateWriter w;
  original.Encode(w);
  StateReader r(w.data());
  absl::StatusOr<StringInterner> restored = StringInterner::Decode(r);
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_TRUE(r.at_end());
  EXPECT_EQ(restored->size(), original.size());
  EXPECT_EQ(restored->recycled_total(), original.recycled_total());
  EXPECT_EQ(restored->recycled(), original.recycled());
  for (const std::string& name : Names(300, 5)) {
    const uint32_t id = original.Intern(name);
    ASSERT_EQ(restored->Intern(name), id) << name;
    ASSERT_EQ(restored->recycled(), original.recycled());
  }
  EXPECT_EQ(restored->recycled_total(), original.recycled_total());
}

// Names of every length, some long enough to be dropped under a small
// bound on long names' bytes, so that ids are freed and taken again.
std::vector<std::string> MixedNames(int count, int seed) {
  std::vector<std::string> names = Names(count, seed);
  for (size_t i = 0; i < names.size(); ++i) {
    if (i % 3 == 0) names[i] += std::string(20 + (i * 37 + seed) % 90, 'x');
  }
  return names;
}

TEST(StringInterner, ARestoredInternerWithFreedIdsHandsOutTheSameIds) {
  StringInterner original(/*max_size=*/12, /*max_long_bytes=*/400);
  for (const std::string& name : MixedNames(300, 1)) original.Intern(name);
  StateWriter w;
  original.Encode(w);
  StateReader r(w.data());
  absl::StatusOr<StringInterner> restored = StringInterner::Decode(r);
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_TRUE(r.at_end());
  EXPECT_EQ(restored->long_name_bytes(), original.long_name_bytes());
  for (const std::string& name : MixedNames(400, 4)) {
    const uint32_t id = original.Intern(name);
    ASSERT_EQ(restored->Intern(name), id) << name;
    ASSERT_EQ(restored->recycled(), original.recycled());
  }
}

// Ever-new names of 2 KB under a bound of 64 KiB on long names: the least
// recently used long names go, the bound holds (so does the heap: the
// strings are exact-sized), the short names and the recent long ones keep
// their ids, and every dropped id is reported for its state to be
// forgotten.
TEST(StringInterner, LongNamesStayWithinTheirBytes) {
  constexpr uint64_t kBound = 64 << 10;
  StringInterner interner(/*max_size=*/1 << 16, kBound);
  const uint32_t short_id = interner.Intern("dr.martin");
  const std::string pad(2000, 'n');
  std::vector<uint32_t> ids;
  for (int i = 0; i < 5000; ++i) {
    ids.push_back(interner.Intern(absl::StrCat(i, pad)));
    ASSERT_LE(interner.long_name_bytes(), kBound);
    if (i % 10 == 0) interner.Intern("dr.martin");
  }
  const uint64_t held = kBound / (2004 + StringInterner::kLongNameOverhead);
  EXPECT_EQ(interner.long_names(), held);
  EXPECT_EQ(interner.Intern("dr.martin"), short_id);
  EXPECT_EQ(interner.Intern(absl::StrCat(4999, pad)), ids.back());
  EXPECT_EQ(interner.Name(short_id), "dr.martin");
  EXPECT_GE(interner.recycled().size(), 5000 - held);
  // Freed ids are taken again: no more ids than names ever held at once.
  EXPECT_LE(interner.size(), held + 1);
  // A name longer than the bound on its own is still held, alone.
  const std::string huge(kBound * 2, 'h');
  const uint32_t huge_id = interner.Intern(huge);
  EXPECT_EQ(interner.Name(huge_id), huge);
  EXPECT_EQ(interner.long_names(), 1u);
  EXPECT_EQ(interner.Intern("dr.martin"), short_id);
}

TEST(StringInterner, AnEmptyInternerRoundTrips) {
  StringInterner empty(4);
  StateWriter w;
  empty.Encode(w);
  StateReader r(w.data());
  absl::StatusOr<StringInterner> restored = StringInterner::Decode(r);
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_EQ(restored->size(), 0u);
  EXPECT_EQ(restored->max_size(), 4u);
  EXPECT_EQ(restored->Intern("a"), 1u);
}

TEST(StringInterner, EveryTruncationIsDataLoss) {
  StringInterner interner(4);
  for (const std::string& name : Names(20, 2)) interner.Intern(name);
  StateWriter w;
  interner.Encode(w);
  const std::string bytes = w.data();
  for (size_t n = 0; n < bytes.size(); ++n) {
    StateReader r(absl::string_view(bytes).substr(0, n));
    EXPECT_EQ(StringInterner::Decode(r).status().code(),
              absl::StatusCode::kDataLoss)
        << n << " of " << bytes.size() << " bytes";
  }
}

// Encodes by hand: version, bounds, recycled total, names, order, free
// ids, recycled.
std::string HandEncoded(uint32_t max_size, std::vector<std::string> names,
                        std::vector<uint32_t> order,
                        std::vector<uint32_t> free = {},
                        uint64_t max_long_bytes = ~uint64_t{0}) {
  StateWriter w;
  w.Put<uint8_t>(2);
  w.Put<uint32_t>(max_size);
  w.Put<uint64_t>(max_long_bytes);
  w.Put<uint64_t>(0);
  w.Put<uint32_t>(static_cast<uint32_t>(names.size()));
  for (const std::string& name : names) w.PutBytes(name);
  for (uint32_t id : order) w.Put(id);
  w.Put<uint32_t>(static_cast<uint32_t>(free.size()));
  for (uint32_t id : free) w.Put(id);
  w.Put<uint32_t>(0);
  return w.data();
}

TEST(StringInterner, InconsistentStateIsDataLoss) {
  struct Case {
    const char* what;
    std::string bytes;
  };
  const Case cases[] = {
      {"valid", HandEncoded(4, {"a", "b"}, {2, 1})},
      {"valid", HandEncoded(4, {"a", "", "c"}, {3, 1}, {2})},
      {"repeated name", HandEncoded(4, {"a", "a"}, {1, 2})},
      {"empty name in the order", HandEncoded(4, {"a", ""}, {1, 2})},
      {"free id not listed", HandEncoded(4, {"a", ""}, {1})},
      {"named id listed free", HandEncoded(4, {"a", ""}, {1}, {1})},
      {"long names past their bound",
       HandEncoded(4, {std::string(30, 'a'), std::string(30, 'b')}, {1, 2},
                   {}, 100)},
      {"format 1", std::string("\x01", 1) + std::string(40, '\0')},
      {"id twice in the order", HandEncoded(4, {"a", "b"}, {1, 1})},
      {"id out of range", HandEncoded(4, {"a", "b"}, {1, 3})},
      {"more names than the bound", HandEncoded(1, {"a", "b"}, {1, 2})},
      {"zero bound", HandEncoded(0, {}, {})},
  };
  for (const Case& c : cases) {
    StateReader r(c.bytes);
    const absl::StatusCode code = StringInterner::Decode(r).status().code();
    if (std::string(c.what) == "valid") {
      EXPECT_EQ(code, absl::StatusCode::kOk);
    } else if (std::string(c.what) == "format 1") {
      EXPECT_EQ(code, absl::StatusCode::kFailedPrecondition);
    } else {
      EXPECT_EQ(code, absl::StatusCode::kDataLoss) << c.what;
    }
  }
}

AccessRecord Lookup(int64_t time_ms, absl::string_view account,
                    absl::string_view subject, absl::string_view service) {
  AccessRecord record;
  record.time_ms = time_ms;
  record.account = account;
  record.ip = IpAddress::Parse("192.0.2.7").value();
  record.action = Action::kLookup;
  record.subject = subject;
  record.service = service;
  record.profession = "gp";
  return record;
}

const Pseudonymizer& TestPseudonymizer() {
  static const Pseudonymizer* pseudonymizer = new Pseudonymizer(
      ParsePseudonymKey(std::string(64, '7')).value());
  return *pseudonymizer;
}

// Five account names at most: the sixth recycles the least recent id.
EncoderOptions FiveAccounts() {
  EncoderOptions options;
  options.max_accounts = 5;
  return options;
}

TEST(EventEncoder, ARestoredEncoderEncodesLaterRecordsIdentically) {
  const EncoderOptions options = FiveAccounts();
  EventEncoder original(&TestPseudonymizer(), options);
  const std::vector<std::string> accounts = Names(100, 3);
  const std::string nir = "185057800608491";
  for (size_t i = 0; i < accounts.size(); ++i) {
    Event event;
    original.Encode(Lookup(1000 + i, accounts[i], nir,
                           i % 3 == 0 ? "ameli" : "dmp"),
                    &event);
  }
  StateWriter w;
  original.Encode(w);
  // Names only: no subject, not even its body.
  EXPECT_EQ(w.data().find(nir.substr(0, 13)), std::string::npos);
  EventEncoder restored(&TestPseudonymizer(), options);
  StateReader r(w.data());
  ASSERT_TRUE(restored.Restore(r).ok());
  EXPECT_TRUE(r.at_end());
  EXPECT_EQ(restored.num_accounts(), original.num_accounts());
  EXPECT_EQ(restored.recycled_accounts_total(),
            original.recycled_accounts_total());
  for (const std::string& account : Names(100, 8)) {
    Event a, b;
    original.Encode(Lookup(5000, account, nir, "labs"), &a);
    restored.Encode(Lookup(5000, account, nir, "labs"), &b);
    ASSERT_EQ(a.account, b.account) << account;
    ASSERT_EQ(a.service, b.service);
    ASSERT_EQ(a.profession, b.profession);
    ASSERT_EQ(a.subject, b.subject);
    ASSERT_EQ(original.recycled_accounts(), restored.recycled_accounts());
    ASSERT_EQ(original.AccountName(a.account), restored.AccountName(b.account));
  }
}

TEST(EventEncoder, RestoringDictionariesOfAnotherBoundIsFailedPrecondition) {
  EventEncoder saved(&TestPseudonymizer(), FiveAccounts());
  Event event;
  saved.Encode(Lookup(1000, "dr.martin", "", ""), &event);
  StateWriter w;
  saved.Encode(w);
  EventEncoder other(&TestPseudonymizer(), EncoderOptions());
  StateReader r(w.data());
  absl::Status status = other.Restore(r);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(status.message().find("memory limit"), absl::string_view::npos);
  EXPECT_EQ(other.num_accounts(), 0u);  // Unchanged.
  StateReader damaged(absl::string_view(w.data()).substr(0, 9));
  EXPECT_EQ(other.Restore(damaged).code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace vigie
