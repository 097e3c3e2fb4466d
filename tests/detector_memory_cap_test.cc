// The detector's memory cap holds under key-explosion attacks: the heap it
// holds after a botnet's credential stuffing (thousands of addresses, each
// failing hundreds of names), an address spray or a flood of new shared
// addresses stays within its max_state_bytes, however long the attack
// goes on.
//
// The binary's operator new tracks the live heap (tests/heap_counter.h);
// the detector is the only thing allocating while it is measured.
#include <algorithm>
#include <string>

#include "detector/detector.h"
#include "gtest/gtest.h"
#include "tests/heap_counter.h"

namespace vigie {
namespace {

class NullSink : public AlertSink {
 public:
  void Emit(const v1::Alert&) override { ++alerts; }
  uint64_t alerts = 0;
};

constexpr size_t kCap = size_t{16} << 20;

std::unique_ptr<Detector> NewDetector(NullSink* sink) {
  DetectorOptions options;
  options.max_state_bytes = kCap;
  return Detector::Create(options, [](uint32_t) { return std::string("x"); },
                          sink)
      .value();
}

Event FailedLogin(int64_t time_ms, uint32_t address, uint32_t account) {
  Event e;
  e.time_ms = time_ms;
  e.ip = IpAddress::FromHalves(0, 0x0000ffff00000000ull | address);
  e.account = account;
  e.action = Action::kLogin;
  e.outcome = Outcome::kFailure;
  return e;
}

TEST(DetectorMemoryCap, HoldsUnderCredentialStuffingFromABotnet) {
  NullSink sink;
  const int64_t before = HeapCounter::LiveBytes();
  auto detector = NewDetector(&sink);
  int64_t t = 1646900000000;
  int64_t peak = 0;
  // 4,000 addresses, each failing 300 distinct names within minutes; far
  // more addresses than the address table holds, so they are evicted too.
  for (uint32_t address = 1; address <= 4000; ++address) {
    for (uint32_t name = 0; name < 300; ++name) {
      detector->Observe(FailedLogin(t++, address, 1 + (address * 300 + name)));
    }
    peak = std::max(peak, HeapCounter::LiveBytes() - before);
  }
  EXPECT_GT(sink.alerts, 0u);  // The stuffing was seen.
  // More failing addresses than their failure sets' table holds.
  EXPECT_GT(detector->stats().evicted_address_failures, 0u);
  // And more failing names than the accounts' failure windows' tables
  // hold.
  EXPECT_GT(detector->stats().evicted_account_windows, 0u);
  EXPECT_GT(peak, int64_t{1} << 20);  // The heap counter sees the tables.
  EXPECT_LE(detector->stats().state_bytes, kCap);
  // The whole heap the detector holds, not just what its tables count.
  EXPECT_LE(peak, static_cast<int64_t>(kCap + kCap / 8))
      << "peak heap " << peak << " bytes for a cap of " << kCap;
}

// A log naming a new profession at every lookup: each profession with a
// baseline of its own reserves its sketches (~48 KiB), so only as many get
// one as 1/32 of the budget holds; the rest share profession 0's. (Before
// the bound, 4,097 baselines took ~185 MB whatever the cap.)
TEST(DetectorMemoryCap, HoldsUnderEverNewProfessions) {
  NullSink sink;
  const int64_t before = HeapCounter::LiveBytes();
  auto detector = NewDetector(&sink);
  int64_t t = 1646900000000;
  int64_t peak = 0;
  for (uint32_t i = 1; i <= 20000; ++i) {
    Event e;
    e.time_ms = t;
    t += 10;
    e.ip = IpAddress::FromV4(0x0a000001);
    e.account = 1 + i % 500;
    e.action = Action::kLookup;
    e.outcome = Outcome::kSuccess;
    e.subject = i;
    e.subject_flags = kSubjectPresent;
    e.profession = i;
    detector->Observe(e);
    if (i % 1000 == 0) peak = std::max(peak, HeapCounter::LiveBytes() - before);
  }
  EXPECT_LE(peak, static_cast<int64_t>(kCap + kCap / 8))
      << "peak heap " << peak << " bytes for a cap of " << kCap;
}

TEST(DetectorMemoryCap, HoldsUnderAnAddressSpray) {
  NullSink sink;
  const int64_t before = HeapCounter::LiveBytes();
  auto detector = NewDetector(&sink);
  int64_t t = 1646900000000;
  int64_t peak = 0;
  for (uint32_t address = 1; address <= 400000; ++address) {
    detector->Observe(FailedLogin(t++, address, 1 + address % 50));
    if (address % 1000 == 0) peak = std::max(peak, HeapCounter::LiveBytes() - before);
  }
  EXPECT_GT(detector->stats().evicted_addresses, 0u);
  EXPECT_GT(peak, int64_t{1} << 20);  // The heap counter sees the tables.
  EXPECT_LE(peak, static_cast<int64_t>(kCap + kCap / 8))
      << "peak heap " << peak << " bytes for a cap of " << kCap;
}

// Every address new and shared by two accounts (a botnet's logins with
// stolen passwords, each exit used twice): more young shared addresses
// than their sets of accounts' table holds.
TEST(DetectorMemoryCap, HoldsUnderYoungSharedAddresses) {
  NullSink sink;
  const int64_t before = HeapCounter::LiveBytes();
  auto detector = NewDetector(&sink);
  int64_t t = 1646900000000;
  int64_t peak = 0;
  for (uint32_t address = 1; address <= 200000; ++address) {
    for (uint32_t account : {address % 5000, 5000 + address % 7000}) {
      Event e = FailedLogin(t++, address, 1 + account);
      e.outcome = Outcome::kSuccess;
      detector->Observe(e);
    }
    if (address % 1000 == 0) {
      peak = std::max(peak, HeapCounter::LiveBytes() - before);
    }
  }
  EXPECT_GT(detector->stats().evicted_address_accounts, 0u);
  EXPECT_GT(detector->stats().addresses_with_account_sets, 1000u);
  EXPECT_LE(detector->stats().state_bytes, kCap);
  EXPECT_LE(peak, static_cast<int64_t>(kCap + kCap / 8))
      << "peak heap " << peak << " bytes for a cap of " << kCap;
}

}  // namespace
}  // namespace vigie
