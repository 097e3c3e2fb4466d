// PeerModel (signal family 6's baseline): the mean and covariance of a
// profession's per-account feature vectors, so that an account several
// moderate steps away from its peers on several features at once stands
// out even when no single feature crosses its own threshold.
//
// The vector (PeerFeatures, all dimensionless and roughly symmetric once
// logged) describes an account's recent lookups: volume and new people in
// the last hour, the share of new people, the share of sequential NIRs and
// of "not found" answers in the last ten minutes, and how unusual the hour
// is for the account. Learning is robust: a vector whose distance exceeds
// 4x the group's 99.9th percentile is not learned, so an attack ramping up
// in one group cannot pull the mean towards itself.
//
// Scoring reads a frozen copy (mean, precision matrix, the 99.9th
// percentile of benign distances) made by Freeze() at each epoch; between
// epochs Distance2 is d^2 multiplications, no allocation. The mean and
// precision are recomputed only once the group has learned 1/16 more
// vectors than at their last computation: a few more among thousands
// barely move them, and refactoring every group's covariance at every
// minute of event time was most of the first event of each minute's cost
// (the detector's latency tail).
//
// Example:
//   PeerModel model;
//   model.Learn(features, model.Distance2(features));  // for benign windows
//   model.Freeze(p999_of_learned_distances);            // once per epoch
//   double d2 = model.Distance2(features);              // < 0: not ready
#ifndef VIGIE_DETECTOR_ENGINE_PEER_MODEL_H_
#define VIGIE_DETECTOR_ENGINE_PEER_MODEL_H_

#include <array>
#include <cstdint>

#include "detector/signals/evidence.h"
#include "detector/stats/online_covariance.h"
#include "detector/stats/state_codec.h"

namespace vigie {
namespace engine {

using PeerFeatures = std::array<double, kPeerFeatureCount>;

class PeerModel {
 public:
  // Vectors learned before the model scores anything.
  static constexpr uint64_t kWarm = 500;

  PeerModel() : covariance_(kPeerFeatureCount) {}

  // `distance2`: the vector's distance under the frozen model (< 0 if none).
  // `weight`: how many vectors this one stands for (see
  // PeerBaseline::WeighLookup).
  void Learn(const PeerFeatures& x, double distance2, uint64_t weight = 1);
  // Makes the current estimate the one Distance2 uses (see above for when
  // the mean and precision follow). `distance2_top`: the 99.9th percentile
  // of distances of learned vectors (0: unknown); always taken.
  void Freeze(double distance2_top);
  static constexpr uint64_t kRefreezeGrowthDivisor = 16;

  bool ready() const { return ready_; }
  double distance2_top() const { return distance2_top_; }
  // Squared Mahalanobis distance under the frozen model; -1 if not ready.
  double Distance2(const PeerFeatures& x) const;
  // The feature contributing most to Distance2(x).
  int DominantFeature(const PeerFeatures& x) const;

  void Encode(StateWriter& w) const;
  bool Decode(StateReader& r);

 private:
  OnlineCovariance covariance_;
  bool ready_ = false;
  double distance2_top_ = 0;
  uint64_t frozen_count_ = 0;  // Vectors learned at the last computation.
  PeerFeatures mean_{};
  std::array<double, kPeerFeatureCount * kPeerFeatureCount> precision_{};
};

}  // namespace engine
}  // namespace vigie

#endif  // VIGIE_DETECTOR_ENGINE_PEER_MODEL_H_
