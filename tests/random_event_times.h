// Event times for randomised tests of windowed state: the stream the
// engine accepts, with its watermark. 70% of events come at most
// `max_step_ms` after the watermark, 1% after an idle gap of
// [min_gap_ms, max_gap_ms], the rest late by up to the lateness (never
// later: the engine drops those).
//
// Example:
//   int64_t watermark = t0;
//   const int64_t t = NextEventTime(rng, 30'000, kHourMs, 3 * kHourMs,
//                                   lateness, &watermark);
#ifndef VIGIE_TESTS_RANDOM_EVENT_TIMES_H_
#define VIGIE_TESTS_RANDOM_EVENT_TIMES_H_

#include <algorithm>
#include <cstdint>
#include <random>

namespace vigie {

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

#endif  // VIGIE_TESTS_RANDOM_EVENT_TIMES_H_
