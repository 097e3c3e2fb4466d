// RulesBaseline: what a portal security team runs today with Sigma
// correlation rules and fail2ban, implemented exactly so that Vigie's
// detection quality can be compared with it in the same run
// (`vigie replay --mode baseline`, `vigie eval`). It is a yardstick, not a
// recommendation: fixed thresholds, no baselines, no peer groups.
//
// Rules (defaults from the simulator issue):
//  - sigma_distinct_subjects: an account looks up more than 100 distinct
//    people within 1 hour;
//  - fail2ban_ip_failures: 5 or more failed logins from one IP within
//    10 minutes;
//  - sigma_ip_failing_accounts: 20 or more distinct accounts failing to log
//    in from one IP within 1 hour;
//  - sigma_new_ip_login: a successful login from an IP the account never
//    used before (after a learning period, default the first 24 hours of
//    the stream);
//  - sigma_bulk_export: more than 1,000 exported records by one account in
//    a UTC calendar day.
// Firings are aggregated into incidents per (rule, entity) by an
// IncidentTracker, with the same quiet period as Vigie's rules.
//
// Cost: O(1) amortised per event; per IP a short deque of recent failures,
// per account the set of IPs it used (unbounded: the baseline is an
// evaluation tool, not a production path). Thread-compatible.
//
// Example:
//   RulesBaseline baseline(RulesBaselineOptions(), namer, &sink);
//   for (const Event& e : events) baseline.Observe(e);
//   baseline.Flush();
#ifndef VIGIE_DETECTOR_SIGNALS_RULES_BASELINE_H_
#define VIGIE_DETECTOR_SIGNALS_RULES_BASELINE_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/time/time.h"
#include "detector/alerts/alert_sink.h"
#include "detector/alerts/incident_tracker.h"
#include "detector/event.h"
#include "detector/signals/lookup_burst.h"

namespace vigie {

struct RulesBaselineOptions {
  int64_t distinct_subjects_per_hour = 100;  // Alert above this.
  int64_t failures_per_ip_10min = 5;         // Alert at this or more.
  int64_t failing_accounts_per_ip_hour = 20; // Alert at this or more.
  absl::Duration new_ip_learning = absl::Hours(24);
  int64_t export_records_per_day = 1000;     // Alert above this.
  absl::Duration quiet_to_close = absl::Hours(1);
};

class RulesBaseline {
 public:
  using AccountNamer = std::function<std::string(uint32_t account)>;

  // REQUIRES: sink outlives the baseline.
  RulesBaseline(const RulesBaselineOptions& options, AccountNamer namer,
                AlertSink* sink);

  void Observe(const Event& event);
  void Flush();

 private:
  struct IpState {
    std::deque<int64_t> failures;                        // Last 10 min.
    std::deque<std::pair<int64_t, uint32_t>> failing;    // Last hour.
    absl::flat_hash_map<uint32_t, uint32_t> failing_accounts;
  };
  struct AccountState {
    absl::flat_hash_set<IpAddress> ips;
    int64_t export_day = -1;
    uint64_t exported_today = 0;
    bool export_fired_today = false;
  };

  void Fire(const std::string& rule, const std::string& key,
            uint32_t account, const IpAddress* ip, double risk,
            v1::RecommendedAction action, const std::string& feature,
            double observed, double threshold, const std::string& window,
            const std::string& text, int64_t time_ms);

  RulesBaselineOptions options_;
  AccountNamer namer_;
  AlertSink* sink_;
  IncidentTracker tracker_;
  std::unique_ptr<LookupBurstRule> distinct_subjects_;
  absl::flat_hash_map<IpAddress, IpState> ips_;
  absl::flat_hash_map<uint32_t, AccountState> accounts_;
  int64_t stream_start_ms_ = INT64_MIN;
};

}  // namespace vigie

#endif  // VIGIE_DETECTOR_SIGNALS_RULES_BASELINE_H_
