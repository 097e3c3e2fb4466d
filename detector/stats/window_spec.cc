#include "detector/stats/window_spec.h"

#include "absl/strings/str_cat.h"

namespace vigie {

WindowSpec::WindowSpec()
    : num_horizons_(4),
      horizon_ms_{60000, 600000, 3600000, 86400000},
      bucket_ms_{10000, 100000, 600000, 14400000},
      lateness_ms_(5000) {
  for (int h = 0; h < num_horizons_; ++h) {
    inverse_bucket_ms_[h] = 1.0 / static_cast<double>(bucket_ms_[h]);
  }
}

absl::StatusOr<WindowSpec> WindowSpec::Create(
    const std::vector<absl::Duration>& horizons, absl::Duration lateness) {
  if (horizons.empty() || horizons.size() > kMaxHorizons) {
    return absl::InvalidArgumentError(
        absl::StrCat("windows: between 1 and ", kMaxHorizons,
                     " horizons, got ", horizons.size()));
  }
  WindowSpec spec;  // Overwritten below.
  spec.horizon_ms_ = {};
  spec.bucket_ms_ = {};
  spec.inverse_bucket_ms_ = {};
  spec.num_horizons_ = static_cast<int>(horizons.size());
  for (size_t i = 0; i < horizons.size(); ++i) {
    const int64_t ms = absl::ToInt64Milliseconds(horizons[i]);
    if (ms <= 0 || ms % kBucketsPerHorizon != 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "windows: horizon ", absl::FormatDuration(horizons[i]),
          " must be a positive multiple of ", kBucketsPerHorizon, " ms"));
    }
    if (i > 0 && ms <= spec.horizon_ms_[i - 1]) {
      return absl::InvalidArgumentError(
          "windows: horizons must be strictly increasing");
    }
    spec.horizon_ms_[i] = ms;
    spec.bucket_ms_[i] = ms / kBucketsPerHorizon;
    spec.inverse_bucket_ms_[i] = 1.0 / static_cast<double>(spec.bucket_ms_[i]);
  }
  spec.lateness_ms_ = absl::ToInt64Milliseconds(lateness);
  if (spec.lateness_ms_ < 0 || spec.lateness_ms_ >= spec.horizon_ms_[0]) {
    return absl::InvalidArgumentError(
        "windows: lateness must be >= 0 and shorter than the shortest horizon");
  }
  return spec;
}

}  // namespace vigie
