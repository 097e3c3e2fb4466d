// PeerDeviation (signal family 6): the account's recent lookup behaviour as
// one vector (PeerFeatures: volume, new people, share new, sequential NIRs,
// "not found" answers, hour) against its profession's mean and covariance
// (engine::PeerModel), so that several moderate deviations together count.
//
// Scored on each lookup once the profession's model is warm (500 benign
// vectors): the squared Mahalanobis distance d2 against the 99.9th
// percentile of the group's own benign distances, top: 20 + 10 log2(d2/top)
// from 2 x top, at most 55. It never alerts alone (below the default
// threshold of 60): per-lookup distances are heavy-tailed, and on the
// simulator an alerting peer model tripled the false incidents. It adds
// weight when another family is already close (fusion adds 10 for a
// family at >= 30, i.e. d2 >= 2 x top). The evidence names the distance
// and the feature that contributes most.
//
// Cost: d^2 = 36 multiplications per lookup, no allocation.
// Thread-compatible.
#ifndef VIGIE_DETECTOR_SIGNALS_PEER_DEVIATION_H_
#define VIGIE_DETECTOR_SIGNALS_PEER_DEVIATION_H_

#include "detector/detector_options.h"
#include "detector/engine/entity_state.h"
#include "detector/engine/peer_model.h"
#include "detector/event.h"
#include "detector/signals/evidence.h"

namespace vigie {

// The account's vector from its lookup windows' totals once its lookup has
// been counted, and how surprising the lookup's hour is (bits).
engine::PeerFeatures LookupWindowFeatures(const engine::LookupTotals& totals,
                                          double unusual_hour_bits);

// Scores `features` under the frozen model; `distance2` receives the
// squared distance (< 0 when the model is not ready).
SignalScore ScorePeerDeviation(const engine::PeerModel& model,
                               const engine::PeerFeatures& features,
                               double* distance2);

}  // namespace vigie

#endif  // VIGIE_DETECTOR_SIGNALS_PEER_DEVIATION_H_
