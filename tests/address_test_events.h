// Events for randomised tests of an address's windowed state: windows with
// a long lateness, a login from an IPv4 address, and the stream of times the engine accepts, with
// its watermark. NextEventTime puts 70% of events at most `max_step_ms`
// after the watermark, 1% after an idle gap of [min_gap_ms, max_gap_ms],
// the rest late by up to the lateness (never later: the engine drops
// those).
//
// Example:
//   int64_t watermark = t0;
//   const int64_t t = NextEventTime(rng, 30'000, kHourMs, 3 * kHourMs,
//                                   lateness, &watermark);
//   Observe(LoginFrom(t, account, 0x0a000001, Outcome::kFailure));
#ifndef VIGIE_TESTS_ADDRESS_TEST_EVENTS_H_
#define VIGIE_TESTS_ADDRESS_TEST_EVENTS_H_

#include <algorithm>
#include <cstdint>
#include <random>

#include "absl/time/time.h"
#include "detector/event.h"
#include "detector/ip_address.h"
#include "detector/stats/window_spec.h"

namespace vigie {

// The engine's horizons with a long lateness (50 s; it must stay below
// the minute horizon), so that late events reach across bucket edges.
inline WindowSpec LongLatenessWindows() {
  return WindowSpec::Create({absl::Minutes(1), absl::Minutes(10),
                             absl::Hours(1), absl::Hours(24)},
                            absl::Seconds(50))
      .value();
}

inline Event LoginFrom(int64_t time_ms, uint32_t account, uint32_t v4,
                       Outcome outcome) {
  Event e;
  e.time_ms = time_ms;
  e.account = account;
  e.ip = IpAddress::FromV4(v4);
  e.action = Action::kLogin;
  e.outcome = outcome;
  return e;
}

inline int64_t NextEventTime(std::mt19937& rng, int64_t max_step_ms,
                             int64_t min_gap_ms, int64_t max_gap_ms,
                             int64_t lateness_ms, int64_t* watermark) {
  const int kind = std::uniform_int_distribution<int>(0, 99)(rng);
  int64_t time = *watermark;
  if (kind < 70) {
    time += std::uniform_int_distribution<int64_t>(0, max_step_ms)(rng);
  } else if (kind == 70) {
    time += std::uniform_int_distribution<int64_t>(min_gap_ms, max_gap_ms)(rng);
  } else {
    time -= std::uniform_int_distribution<int64_t>(0, lateness_ms)(rng);
  }
  *watermark = std::max(*watermark, time);
  return time;
}

}  // namespace vigie

#endif  // VIGIE_TESTS_ADDRESS_TEST_EVENTS_H_
