#include "detector/signals/peer_deviation.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace vigie {
namespace {
constexpr int kTenMinutes = WindowSpec::kTenMinutes;
constexpr int kHour = WindowSpec::kHour;

// The account keeps only the lookup windows read below.
using LookupCounts = engine::AccountState::LookupCounts;
static_assert(LookupCounts::Keeps(engine::kLookups, kHour) &&
              LookupCounts::Keeps(engine::kNewSubjects, kHour) &&
              LookupCounts::Keeps(engine::kLookups, kTenMinutes) &&
              LookupCounts::Keeps(engine::kSequential, kTenMinutes) &&
              LookupCounts::Keeps(engine::kNotFound, kTenMinutes));
}  // namespace

namespace {

// log1p of a count, from a table for the small counts every lookup asks
// about (the same values std::log1p gives).
double Log1pOfCount(double count) {
  constexpr int kTable = 1024;
  static const std::array<double, kTable> table = [] {
    std::array<double, kTable> t{};
    for (int i = 0; i < kTable; ++i) t[i] = std::log1p(static_cast<double>(i));
    return t;
  }();
  if (count >= 0 && count < kTable) {
    const int i = static_cast<int>(count);
    if (i == count) return table[i];
  }
  return std::log1p(count);
}

}  // namespace

engine::PeerFeatures LookupWindowFeatures(const engine::LookupTotals& totals,
                                          double unusual_hour_bits) {
  const double lookups_hour = totals.Get(engine::kLookups, kHour);
  const double new_hour = totals.Get(engine::kNewSubjects, kHour);
  // Shares carry a prior of 5 ordinary lookups, so that 1 "not found" in 2
  // lookups is not a 50% share.
  const double lookups_ten =
      5.0 + static_cast<double>(totals.Get(engine::kLookups, kTenMinutes));
  engine::PeerFeatures x;
  x[kLogLookupsPerHour] = Log1pOfCount(lookups_hour);
  x[kLogNewPerHour] = Log1pOfCount(new_hour);
  x[kNewShareHour] = new_hour / (5.0 + lookups_hour);
  x[kSequentialShare] =
      static_cast<double>(totals.Get(engine::kSequential, kTenMinutes)) /
      lookups_ten;
  x[kNotFoundShare] =
      static_cast<double>(totals.Get(engine::kNotFound, kTenMinutes)) /
      lookups_ten;
  x[kHourSurprise] = std::min(12.0, unusual_hour_bits) / 4;
  return x;
}

SignalScore ScorePeerDeviation(const engine::PeerModel& model,
                               const engine::PeerFeatures& x,
                               double* distance2) {
  SignalScore s;
  *distance2 = model.Distance2(x);
  const double top = model.distance2_top();
  if (*distance2 < 0 || top <= 0 || *distance2 <= 2 * top) return s;
  const double points = std::min(55.0, 20 + 10 * std::log2(*distance2 / top));
  s.Add(points, Evidence{Feature::kPeerDistance, std::sqrt(*distance2),
                         std::sqrt(top), 3600 * 1000});
  s.Add(0, Evidence{Feature::kPeerDominantFeature,
                    static_cast<double>(model.DominantFeature(x)), 0, 0});
  return s;
}

}  // namespace vigie
