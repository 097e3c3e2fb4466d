#include "detector/signals/rules_baseline.h"

#include "absl/strings/str_cat.h"

namespace vigie {
namespace {

constexpr int64_t kTenMinutesMs = 10 * 60 * 1000;
constexpr int64_t kHourMs = 60 * 60 * 1000;
constexpr int64_t kDayMs = 24 * kHourMs;

int64_t FloorDiv(int64_t a, int64_t b) {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

}  // namespace

RulesBaseline::RulesBaseline(const RulesBaselineOptions& options,
                             AccountNamer namer, AlertSink* sink)
    : options_(options),
      namer_(std::move(namer)),
      sink_(sink),
      tracker_(options.quiet_to_close, sink) {
  LookupBurstOptions lookups;
  lookups.rule_name = "sigma_distinct_subjects";
  lookups.window = absl::Hours(1);
  lookups.distinct_subjects_threshold = options.distinct_subjects_per_hour;
  lookups.quiet_to_close = options.quiet_to_close;
  lookups.max_tracked_lookups_per_account =
      std::max<int64_t>(4096, options.distinct_subjects_per_hour * 4);
  distinct_subjects_ =
      std::make_unique<LookupBurstRule>(lookups, namer_, sink_);
}

void RulesBaseline::Fire(const std::string& rule, const std::string& key,
                         uint32_t account, const IpAddress* ip, double risk,
                         v1::RecommendedAction action,
                         const std::string& feature, double observed,
                         double threshold, const std::string& window,
                         const std::string& text, int64_t time_ms) {
  v1::Alert alert;
  alert.set_rule_name(rule);
  if (account != kNoId) alert.set_account(namer_(account));
  if (ip != nullptr) alert.set_source_ip(ip->ToString());
  alert.set_risk_score(risk);
  alert.set_severity(risk >= 75 ? 3 : 2);
  alert.set_recommended_action(action);
  alert.set_message(text);
  v1::Reason* reason = alert.add_reasons();
  reason->set_feature(feature);
  reason->set_observed(observed);
  reason->set_baseline(threshold);
  reason->set_window(window);
  reason->set_text(text);
  tracker_.Fire(absl::StrCat(rule, "|", key), alert, time_ms);
}

void RulesBaseline::Observe(const Event& e) {
  if (stream_start_ms_ == INT64_MIN) stream_start_ms_ = e.time_ms;
  tracker_.Advance(e.time_ms);
  distinct_subjects_->Observe(e);

  if (e.action == Action::kLogin && e.outcome == Outcome::kFailure) {
    IpState& ip = ips_[e.ip];
    ip.failures.push_back(e.time_ms);
    while (ip.failures.front() <= e.time_ms - kTenMinutesMs) {
      ip.failures.pop_front();
    }
    const int64_t failures = static_cast<int64_t>(ip.failures.size());
    if (failures >= options_.failures_per_ip_10min) {
      Fire("fail2ban_ip_failures", e.ip.ToString(), kNoId, &e.ip, 60,
           v1::BLOCK_IP, "login_failures_per_ip", failures,
           options_.failures_per_ip_10min, "10m",
           absl::StrCat(failures, " failed logins from ", e.ip.ToString(),
                        " in 10 min"),
           e.time_ms);
    }
    ip.failing.emplace_back(e.time_ms, e.account);
    ++ip.failing_accounts[e.account];
    while (ip.failing.front().first <= e.time_ms - kHourMs) {
      auto it = ip.failing_accounts.find(ip.failing.front().second);
      if (--it->second == 0) ip.failing_accounts.erase(it);
      ip.failing.pop_front();
    }
    const int64_t accounts = static_cast<int64_t>(ip.failing_accounts.size());
    if (accounts >= options_.failing_accounts_per_ip_hour) {
      Fire("sigma_ip_failing_accounts", e.ip.ToString(), kNoId, &e.ip, 70,
           v1::BLOCK_IP, "failing_accounts_per_ip", accounts,
           options_.failing_accounts_per_ip_hour, "1h",
           absl::StrCat(accounts, " accounts failed to log in from ",
                        e.ip.ToString(), " in 1 hour"),
           e.time_ms);
    }
  }

  if (e.action == Action::kLogin && e.outcome == Outcome::kSuccess) {
    AccountState& account = accounts_[e.account];
    const bool learning =
        e.time_ms < stream_start_ms_ +
                        absl::ToInt64Milliseconds(options_.new_ip_learning);
    if (account.ips.insert(e.ip).second && !learning) {
      Fire("sigma_new_ip_login", namer_(e.account), e.account, &e.ip, 50,
           v1::REQUIRE_STEP_UP, "new_ip_for_account", 1, 0, "history",
           absl::StrCat("login from ", e.ip.ToString(),
                        ", never used by this account"),
           e.time_ms);
    }
  }

  if (e.action == Action::kExport && e.has_records) {
    AccountState& account = accounts_[e.account];
    const int64_t day = FloorDiv(e.time_ms, kDayMs);
    if (day != account.export_day) {
      account.export_day = day;
      account.exported_today = 0;
      account.export_fired_today = false;
    }
    account.exported_today += e.records;
    if (account.exported_today >
        static_cast<uint64_t>(options_.export_records_per_day)) {
      Fire("sigma_bulk_export", namer_(e.account), e.account, &e.ip, 70,
           v1::FORCE_PASSWORD_RESET, "exported_records_per_day",
           static_cast<double>(account.exported_today),
           options_.export_records_per_day, "1d",
           absl::StrCat("exported ", account.exported_today,
                        " records today"),
           e.time_ms);
    }
  }
}

void RulesBaseline::Flush() {
  distinct_subjects_->Flush();
  tracker_.Flush();
}

}  // namespace vigie
