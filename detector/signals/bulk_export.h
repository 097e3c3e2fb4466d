// BulkExport (signal family 5): records downloaded by an account in the
// last day far above what its profession exports (the 2021 file-sharing
// theft). Baseline: the peer group's 99th percentile of day totals sampled
// at each export, floored by min_exported_records_per_day. Score 45 at the
// baseline, +30 per doubling.
//
// Cost: O(1) per export. Thread-compatible.
#ifndef VIGIE_DETECTOR_SIGNALS_BULK_EXPORT_H_
#define VIGIE_DETECTOR_SIGNALS_BULK_EXPORT_H_

#include "detector/detector_options.h"
#include "detector/engine/entity_state.h"
#include "detector/event.h"
#include "detector/signals/evidence.h"

namespace vigie {

// REQUIRES: event.action == kExport. `windows`: the account's. Returns
// the score; *day_total receives the account's exported records over the
// last day (for peer learning).
SignalScore ObserveExport(const Event& event, const DetectorOptions& options,
                          const engine::PeerBaseline& peers,
                          const engine::PeerBaseline& everyone,
                          engine::AccountFailuresAndExports& windows,
                          double* day_total);

}  // namespace vigie

#endif  // VIGIE_DETECTOR_SIGNALS_BULK_EXPORT_H_
