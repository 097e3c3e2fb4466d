#include "detector/engine/peer_model.h"

#include <algorithm>
#include <cmath>

namespace vigie {
namespace engine {

void PeerModel::Learn(const PeerFeatures& x, double distance2,
                      uint64_t weight) {
  // Robust learning: far outliers under the current model are refused.
  const bool outlier =
      ready_ && distance2_top_ > 0 && distance2 > 4 * distance2_top_;
  if (!outlier) covariance_.UpdateWeighted(x, weight);
}

void PeerModel::Freeze(double distance2_top) {
  const uint64_t count = covariance_.count();
  if (count < kWarm) return;
  if (ready_ &&
      count < frozen_count_ + frozen_count_ / kRefreezeGrowthDivisor) {
    distance2_top_ = distance2_top;
    return;
  }
  if (!covariance_.Precision(1e-2, precision_.data())) return;
  frozen_count_ = count;
  std::copy(covariance_.mean().begin(), covariance_.mean().end(),
            mean_.begin());
  distance2_top_ = distance2_top;
  ready_ = true;
}

double PeerModel::Distance2(const PeerFeatures& x) const {
  if (!ready_) return -1;
  PeerFeatures delta;
  for (int i = 0; i < kPeerFeatureCount; ++i) delta[i] = x[i] - mean_[i];
  double sum = 0;
  for (int i = 0; i < kPeerFeatureCount; ++i) {
    double row = 0;
    for (int j = 0; j < kPeerFeatureCount; ++j) {
      row += precision_[i * kPeerFeatureCount + j] * delta[j];
    }
    sum += delta[i] * row;
  }
  return std::max(0.0, sum);
}

int PeerModel::DominantFeature(const PeerFeatures& x) const {
  // Contribution of feature i: delta_i * (P delta)_i (they sum to D^2).
  int best = 0;
  double best_value = -1e300;
  for (int i = 0; i < kPeerFeatureCount; ++i) {
    double row = 0;
    for (int j = 0; j < kPeerFeatureCount; ++j) {
      row += precision_[i * kPeerFeatureCount + j] * (x[j] - mean_[j]);
    }
    const double contribution = (x[i] - mean_[i]) * row;
    if (contribution > best_value) {
      best_value = contribution;
      best = i;
    }
  }
  return best;
}

void PeerModel::Encode(StateWriter& w) const {
  w.Put<uint8_t>(2);
  covariance_.Encode(w);
  w.Put<uint8_t>(ready_);
  w.Put(distance2_top_);
  for (double v : mean_) w.Put(v);
  for (double v : precision_) w.Put(v);
  w.Put(frozen_count_);
}

bool PeerModel::Decode(StateReader& r) {
  if (r.Get<uint8_t>() != 2) r.Fail();
  if (!r.ok()) return false;
  absl::StatusOr<OnlineCovariance> covariance = OnlineCovariance::Decode(r);
  if (!covariance.ok() || covariance->dimension() != kPeerFeatureCount) {
    r.Fail();
    return false;
  }
  covariance_ = *std::move(covariance);
  ready_ = r.Get<uint8_t>() != 0;
  distance2_top_ = r.Get<double>();
  for (double& v : mean_) v = r.Get<double>();
  for (double& v : precision_) v = r.Get<double>();
  frozen_count_ = r.Get<uint64_t>();
  return r.ok();
}

}  // namespace engine
}  // namespace vigie
