#include "detector/signals/shared_infrastructure.h"

namespace vigie {

SignalScore ObserveSharedUse(const Event& e, int64_t stream_start_ms,
                             const DetectorOptions& options,
                             engine::AddressState& ip) {
  constexpr int64_t kDayMs = 24 * 3600 * 1000;
  constexpr int kHour = 2;
  const WindowSpec& w = options.windows;
  if (!ip.seen) {
    ip.seen = true;
    ip.first_seen_ms = e.time_ms;
  }
  ip.accounts.Add(e.time_ms, e.account);
  SignalScore s;
  const bool address_young = e.time_ms - ip.first_seen_ms < kDayMs;
  const bool stream_old = e.time_ms - stream_start_ms >= kDayMs;
  if (!address_young || !stream_old) return s;
  const double accounts = ip.accounts.Count(w, kHour, e.time_ms);
  const double threshold = static_cast<double>(options.accounts_per_new_ip_hour);
  if (accounts >= threshold) {
    s.Add(50 + 10 * (accounts - threshold),
          Evidence{Feature::kAccountsPerIp, accounts, threshold,
                   w.horizon_ms(kHour)});
  }
  return s;
}

}  // namespace vigie
