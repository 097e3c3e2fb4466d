// The detector's memory cap holds under key-explosion attacks: the heap it
// holds after a botnet's credential stuffing (thousands of addresses, each
// failing hundreds of names) or an address spray stays within its
// max_state_bytes, however long the attack goes on.
//
// This binary replaces the global operator new to track live heap bytes;
// the detector is the only thing allocating while it is measured.
#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "detector/detector.h"
#include "gtest/gtest.h"

namespace {

std::atomic<int64_t> live_bytes{0};

void* Allocate(size_t size) {
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p == nullptr) throw std::bad_alloc();
  live_bytes.fetch_add(static_cast<int64_t>(malloc_usable_size(p)),
                       std::memory_order_relaxed);
  return p;
}

void Free(void* p) {
  if (p == nullptr) return;
  live_bytes.fetch_sub(static_cast<int64_t>(malloc_usable_size(p)),
                       std::memory_order_relaxed);
  std::free(p);
}

}  // namespace

void* operator new(size_t size) { return Allocate(size); }
void* operator new[](size_t size) { return Allocate(size); }
void* operator new(size_t size, const std::nothrow_t&) noexcept {
  try {
    return Allocate(size);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](size_t size, const std::nothrow_t&) noexcept {
  try {
    return Allocate(size);
  } catch (...) {
    return nullptr;
  }
}
void operator delete(void* p) noexcept { Free(p); }
void operator delete[](void* p) noexcept { Free(p); }
void operator delete(void* p, size_t) noexcept { Free(p); }
void operator delete[](void* p, size_t) noexcept { Free(p); }

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
  const int64_t before = live_bytes.load();
  auto detector = NewDetector(&sink);
  int64_t t = 1646900000000;
  int64_t peak = 0;
  // 4,000 addresses, each failing 300 distinct names within minutes; far
  // more addresses than the address table holds, so they are evicted too.
  for (uint32_t address = 1; address <= 4000; ++address) {
    for (uint32_t name = 0; name < 300; ++name) {
      detector->Observe(FailedLogin(t++, address, 1 + (address * 300 + name)));
    }
    peak = std::max(peak, live_bytes.load() - before);
  }
  EXPECT_GT(sink.alerts, 0u);  // The stuffing was seen.
  EXPECT_LE(detector->stats().state_bytes, kCap);
  // The whole heap the detector holds, not just what its tables count.
  EXPECT_LE(peak, static_cast<int64_t>(kCap + kCap / 8))
      << "peak heap " << peak << " bytes for a cap of " << kCap;
}

TEST(DetectorMemoryCap, HoldsUnderAnAddressSpray) {
  NullSink sink;
  const int64_t before = live_bytes.load();
  auto detector = NewDetector(&sink);
  int64_t t = 1646900000000;
  int64_t peak = 0;
  for (uint32_t address = 1; address <= 400000; ++address) {
    detector->Observe(FailedLogin(t++, address, 1 + address % 50));
    if (address % 1000 == 0) peak = std::max(peak, live_bytes.load() - before);
  }
  EXPECT_GT(detector->stats().evicted_addresses, 0u);
  EXPECT_LE(peak, static_cast<int64_t>(kCap + kCap / 8))
      << "peak heap " << peak << " bytes for a cap of " << kCap;
}

}  // namespace
}  // namespace vigie
