#include "detector/signals/bulk_export.h"

#include <algorithm>
#include <cmath>

namespace vigie {

SignalScore ObserveExport(const Event& e, const DetectorOptions& options,
                          const engine::PeerBaseline& profession,
                          const engine::PeerBaseline& everyone,
                          engine::AccountFailuresAndExports& windows,
                          double* day_total) {
  const engine::PeerBaseline& peers =
      profession.exports_warm() ? profession : everyone;
  const WindowSpec& w = options.windows;
  constexpr int kDay = WindowSpec::kDay;
  static_assert(
      decltype(engine::AccountFailuresAndExports::exported)::Keeps(kDay));
  windows.exported.Add(w, e.time_ms, e.has_records ? e.records : 0);
  const double total = windows.exported.Sum(w, kDay, e.time_ms);
  *day_total = total;
  const double base = std::max(options.min_exported_records_per_day,
                               peers.exports_warm()
                                   ? peers.exported_per_day_top
                                   : 0.0);
  SignalScore s;
  if (total > base) {
    s.Add(45 + 30 * std::log2(total / base),
          Evidence{Feature::kExportedRecords, total, base, w.horizon_ms(kDay)});
  }
  return s;
}

}  // namespace vigie
