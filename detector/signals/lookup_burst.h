// LookupBurst: the first detection rule. An account that looks up more
// distinct people within a sliding window than a threshold is enumerating
// records: the signature of the 2022 chained-lookup incident, where 19
// compromised doctor accounts read 510,000 patients' records.
//
// Exact: the rule keeps each account's lookups of the last `window` (time
// and subject pseudonym) and a count per distinct subject, so the distinct
// count is exact, not estimated. The window slides with event time; a lookup
// older than the newest one seen for the account by more than the window is
// forgotten. Events slightly out of order are counted where they fall
// (this rule does not reject late events; the statistics core does).
//
// Incidents, not floods: one incident per account. It opens when the
// distinct count first exceeds the threshold, is updated each time the
// count doubles since the last alert, and closes after `quiet_to_close`
// with the account back under the threshold. Every alert carries the
// evidence (distinct people, lookups, share "not found", sequential NIRs,
// source address).
//
// Cost: O(1) amortised per lookup; per active account ~ 24 bytes per
// remembered lookup plus ~16 bytes per distinct subject, bounded by
// `max_tracked_lookups_per_account` entries. Thread-compatible.
//
// Example:
//   LookupBurstRule rule(LookupBurstOptions(), &names, &sink);
//   for (const Event& e : events) rule.Observe(e);
//   rule.Flush();  // close incidents that went quiet before the end
#ifndef VIGIE_DETECTOR_SIGNALS_LOOKUP_BURST_H_
#define VIGIE_DETECTOR_SIGNALS_LOOKUP_BURST_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "detector/alerts/alert_sink.h"
#include "detector/event.h"

namespace vigie {

struct LookupBurstOptions {
  // Name of the rule in alerts (rule.name) and incident ids. Default:
  // "lookup_burst"; the rules baseline reuses this rule under another name.
  std::string rule_name = "lookup_burst";
  // Sliding window. Default: 10 minutes.
  absl::Duration window = absl::Minutes(10);
  // Alert above this many distinct subjects per window. Default: 50, about
  // twice what the busiest general practitioner reads in a day.
  int64_t distinct_subjects_threshold = 50;
  // Close an incident after this long under the threshold. Default: 1 h.
  absl::Duration quiet_to_close = absl::Hours(1);
  // Most lookups remembered per account (oldest forgotten first).
  // Default: 4096.
  int64_t max_tracked_lookups_per_account = 4096;
  // Memory for per-account state, estimated as kAccountBytes per account
  // plus kLookupBytes per remembered lookup. Above it, the least recently
  // active account without an open incident is forgotten (counted in
  // evicted_accounts()). Default: 512 MiB.
  int64_t max_state_bytes = int64_t{512} << 20;
};

// InvalidArgument unless window > 0, threshold >= 1, quiet_to_close >= 0,
// max_tracked > threshold.
absl::Status ValidateLookupBurstOptions(const LookupBurstOptions& options);

class LookupBurstRule {
 public:
  // Turns an account id into its name for alerts.
  using AccountNamer = std::function<std::string(uint32_t account)>;

  // REQUIRES: ValidateLookupBurstOptions(options).ok(); sink outlives the
  // rule.
  LookupBurstRule(const LookupBurstOptions& options, AccountNamer namer,
                  AlertSink* sink);

  void Observe(const Event& event);
  // Drops the state of an account whose id now names another account
  // (see EventEncoder::recycled_accounts). An open incident is closed.
  void ForgetAccount(uint32_t account);
  // Closes incidents quiet for quiet_to_close as of the latest event time.
  void Flush();

  uint64_t alerts_emitted() const { return alerts_emitted_; }
  uint64_t incidents_opened() const { return incidents_opened_; }
  size_t tracked_accounts() const { return accounts_.size(); }
  uint64_t evicted_accounts() const { return evicted_accounts_; }
  int64_t state_bytes() const { return state_bytes_; }

  // Accounting estimates behind max_state_bytes (std::deque's first block,
  // hash-map slots and the LRU node included).
  static constexpr int64_t kAccountBytes = 768;
  static constexpr int64_t kLookupBytes = 56;

 private:
  struct Lookup {
    int64_t time_ms;
    uint64_t subject;
    uint32_t nir_prefix;
    uint16_t nir_order;
    uint8_t not_found;
    uint8_t sequential;
  };
  struct Incident {
    std::string id;
    int64_t first_seen_ms = 0;
    int64_t last_seen_ms = 0;
    int64_t last_above_ms = 0;
    uint64_t event_count = 0;
    int64_t reported_distinct = 0;
    IpAddress last_ip;
  };
  struct AccountState {
    std::deque<Lookup> lookups;
    absl::flat_hash_map<uint64_t, uint32_t> subject_counts;
    int64_t newest_ms = 0;
    uint32_t not_found = 0;
    uint32_t sequential = 0;
    std::unique_ptr<Incident> incident;
    std::list<uint32_t>::iterator recency;
  };
  void EnforceMemoryLimit(uint32_t current);

  void Expire(AccountState& state, int64_t now_ms);
  void Forget(AccountState& state);
  void CloseQuiet(int64_t now_ms);
  void Emit(uint32_t account, const AccountState& state, v1::IncidentState kind,
            int64_t time_ms);

  LookupBurstOptions options_;
  int64_t window_ms_;
  int64_t quiet_ms_;
  AccountNamer namer_;
  AlertSink* sink_;
  absl::flat_hash_map<uint32_t, AccountState> accounts_;
  std::list<uint32_t> recency_;  // Most recently active first.
  int64_t state_bytes_ = 0;
  uint64_t evicted_accounts_ = 0;
  absl::flat_hash_set<uint32_t> open_incidents_;
  int64_t latest_ms_ = 0;
  int64_t next_close_check_ms_ = 0;
  uint64_t alerts_emitted_ = 0;
  uint64_t incidents_opened_ = 0;
};

}  // namespace vigie

#endif  // VIGIE_DETECTOR_SIGNALS_LOOKUP_BURST_H_
