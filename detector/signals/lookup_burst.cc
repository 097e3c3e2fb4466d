#include "detector/signals/lookup_burst.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace vigie {
namespace {

std::string WindowName(int64_t window_ms) {
  if (window_ms % 3600000 == 0) return absl::StrCat(window_ms / 3600000, "h");
  if (window_ms % 60000 == 0) return absl::StrCat(window_ms / 60000, "m");
  return absl::StrCat(window_ms / 1000, "s");
}

std::string WindowWords(int64_t window_ms) {
  if (window_ms % 3600000 == 0) {
    int64_t h = window_ms / 3600000;
    return h == 1 ? "1 hour" : absl::StrCat(h, " hours");
  }
  if (window_ms % 60000 == 0) return absl::StrCat(window_ms / 60000, " min");
  return absl::StrCat(window_ms / 1000, " s");
}

}  // namespace

absl::Status ValidateLookupBurstOptions(const LookupBurstOptions& options) {
  if (options.window <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("lookup_burst: window must be positive");
  }
  if (options.distinct_subjects_threshold < 1) {
    return absl::InvalidArgumentError(
        "lookup_burst: distinct_subjects_threshold must be at least 1");
  }
  if (options.quiet_to_close < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "lookup_burst: quiet_seconds_to_close must not be negative");
  }
  if (options.max_tracked_lookups_per_account <=
      options.distinct_subjects_threshold) {
    return absl::InvalidArgumentError(
        "lookup_burst: max_tracked_lookups_per_account must exceed "
        "distinct_subjects_threshold");
  }
  return absl::OkStatus();
}

LookupBurstRule::LookupBurstRule(const LookupBurstOptions& options,
                                 AccountNamer namer, AlertSink* sink)
    : options_(options),
      window_ms_(absl::ToInt64Milliseconds(options.window)),
      quiet_ms_(absl::ToInt64Milliseconds(options.quiet_to_close)),
      namer_(std::move(namer)),
      sink_(sink) {}

void LookupBurstRule::Forget(AccountState& state) {
  const Lookup& old = state.lookups.front();
  auto it = state.subject_counts.find(old.subject);
  if (it != state.subject_counts.end() && --it->second == 0) {
    state.subject_counts.erase(it);
  }
  state.not_found -= old.not_found;
  state.sequential -= old.sequential;
  state.lookups.pop_front();
  state_bytes_ -= kLookupBytes;
}

void LookupBurstRule::Expire(AccountState& state, int64_t now_ms) {
  while (!state.lookups.empty() &&
         state.lookups.front().time_ms <= now_ms - window_ms_) {
    Forget(state);
  }
}

void LookupBurstRule::Observe(const Event& event) {
  latest_ms_ = std::max(latest_ms_, event.time_ms);
  if (!open_incidents_.empty() && latest_ms_ >= next_close_check_ms_) {
    CloseQuiet(latest_ms_);
  }
  if (event.action != Action::kLookup || !event.has_subject()) return;
  auto [slot, created] = accounts_.try_emplace(event.account);
  AccountState& state = slot->second;
  if (created) {
    recency_.push_front(event.account);
    state.recency = recency_.begin();
    state_bytes_ += kAccountBytes;
  } else if (state.recency != recency_.begin()) {
    recency_.splice(recency_.begin(), recency_, state.recency);
  }
  state.newest_ms = std::max(state.newest_ms, event.time_ms);
  Expire(state, state.newest_ms);
  if (static_cast<int64_t>(state.lookups.size()) >=
      options_.max_tracked_lookups_per_account) {
    Forget(state);
  }
  Lookup lookup;
  lookup.time_ms = event.time_ms;
  lookup.subject = event.subject;
  lookup.nir_prefix = event.nir_prefix;
  lookup.nir_order = event.nir_order;
  lookup.not_found = event.outcome == Outcome::kNotFound;
  lookup.sequential = 0;
  if ((event.subject_flags & kSubjectIsNir) && !state.lookups.empty()) {
    const Lookup& previous = state.lookups.back();
    lookup.sequential = previous.nir_prefix == event.nir_prefix &&
                        previous.nir_order != 0 &&
                        std::abs(int{event.nir_order} -
                                 int{previous.nir_order}) == 1;
  }
  state.lookups.push_back(lookup);
  state_bytes_ += kLookupBytes;
  ++state.subject_counts[event.subject];
  state.not_found += lookup.not_found;
  state.sequential += lookup.sequential;

  const int64_t distinct = static_cast<int64_t>(state.subject_counts.size());
  const bool above = distinct > options_.distinct_subjects_threshold;
  if (state_bytes_ > options_.max_state_bytes) {
    EnforceMemoryLimit(event.account);  // Never evicts `state`.
  }
  Incident* incident = state.incident.get();
  if (incident != nullptr) {
    ++incident->event_count;
    incident->last_seen_ms = std::max(incident->last_seen_ms, event.time_ms);
    incident->last_ip = event.ip;
    if (above) incident->last_above_ms = event.time_ms;
    if (above && distinct >= 2 * incident->reported_distinct) {
      incident->reported_distinct = distinct;
      Emit(event.account, state, v1::INCIDENT_UPDATED, event.time_ms);
    }
    return;
  }
  if (!above) return;
  auto fresh = std::make_unique<Incident>();
  ++incidents_opened_;
  fresh->id = absl::StrFormat("%s-%06d", options_.rule_name, incidents_opened_);
  // The incident starts with the lookups that are in the window now.
  fresh->first_seen_ms = state.lookups.front().time_ms;
  fresh->last_seen_ms = event.time_ms;
  fresh->last_above_ms = event.time_ms;
  fresh->event_count = state.lookups.size();
  fresh->reported_distinct = distinct;
  fresh->last_ip = event.ip;
  state.incident = std::move(fresh);
  open_incidents_.insert(event.account);
  next_close_check_ms_ = std::min(
      next_close_check_ms_ == 0 ? INT64_MAX : next_close_check_ms_,
      event.time_ms + quiet_ms_);
  Emit(event.account, state, v1::INCIDENT_OPENED, event.time_ms);
}

void LookupBurstRule::ForgetAccount(uint32_t account) {
  auto found = accounts_.find(account);
  if (found == accounts_.end()) return;
  if (found->second.incident != nullptr) {
    Emit(account, found->second, v1::INCIDENT_CLOSED, latest_ms_);
    open_incidents_.erase(account);
  }
  state_bytes_ -= kAccountBytes +
                  kLookupBytes * static_cast<int64_t>(found->second.lookups.size());
  recency_.erase(found->second.recency);
  accounts_.erase(found);
  ++evicted_accounts_;
}

void LookupBurstRule::EnforceMemoryLimit(uint32_t current) {
  // Walk from the least recently active end; accounts with an open
  // incident are kept (their evidence is still being reported).
  auto it = recency_.end();
  while (state_bytes_ > options_.max_state_bytes && it != recency_.begin()) {
    --it;
    const uint32_t account = *it;
    if (account == current) break;
    auto found = accounts_.find(account);
    if (found->second.incident != nullptr) continue;
    state_bytes_ -= kAccountBytes +
                    kLookupBytes *
                        static_cast<int64_t>(found->second.lookups.size());
    it = recency_.erase(it);
    accounts_.erase(found);
    ++evicted_accounts_;
  }
}

void LookupBurstRule::CloseQuiet(int64_t now_ms) {
  // Deterministic order: by account id.
  std::vector<uint32_t> accounts(open_incidents_.begin(),
                                 open_incidents_.end());
  std::sort(accounts.begin(), accounts.end());
  int64_t next = INT64_MAX;
  for (uint32_t account : accounts) {
    AccountState& state = accounts_[account];
    Incident& incident = *state.incident;
    const int64_t close_at = incident.last_above_ms + quiet_ms_;
    if (close_at <= now_ms) {
      Expire(state, now_ms);
      // Stamped with the event time that revealed the quiet period, so the
      // alert stream stays in event-time order.
      Emit(account, state, v1::INCIDENT_CLOSED, now_ms);
      state.incident.reset();
      open_incidents_.erase(account);
    } else {
      next = std::min(next, close_at);
    }
  }
  next_close_check_ms_ = next == INT64_MAX ? 0 : next;
}

void LookupBurstRule::Flush() {
  if (!open_incidents_.empty()) CloseQuiet(latest_ms_);
}

void LookupBurstRule::Emit(uint32_t account, const AccountState& state,
                           v1::IncidentState kind, int64_t time_ms) {
  const Incident& incident = *state.incident;
  const int64_t distinct = static_cast<int64_t>(state.subject_counts.size());
  const int64_t lookups = static_cast<int64_t>(state.lookups.size());
  const int64_t threshold = options_.distinct_subjects_threshold;
  const std::string window = WindowName(window_ms_);
  const std::string window_words = WindowWords(window_ms_);

  v1::Alert alert;
  alert.set_time_ms(time_ms);
  alert.set_rule_name(options_.rule_name);
  alert.set_account(namer_(account));
  alert.set_source_ip(incident.last_ip.ToString());
  alert.set_incident_id(incident.id);
  alert.set_incident_state(kind);
  alert.set_first_seen_ms(incident.first_seen_ms);
  alert.set_last_seen_ms(incident.last_seen_ms);
  alert.set_event_count(incident.event_count);

  // Risk grows with how far past the threshold the account went: 50 at the
  // threshold, +25 per doubling, capped at 100.
  const double peak = static_cast<double>(incident.reported_distinct);
  const double risk = std::min(
      100.0, 50.0 + 25.0 * std::log2(std::max(1.0, peak / threshold)));
  alert.set_risk_score(std::round(risk * 10) / 10);
  alert.set_severity(risk >= 90 ? 4 : risk >= 75 ? 3 : 2);
  alert.set_recommended_action(risk >= 75 ? v1::FORCE_PASSWORD_RESET
                                          : v1::REQUIRE_STEP_UP);

  v1::Reason* reason = alert.add_reasons();
  reason->set_feature("distinct_subjects");
  reason->set_observed(static_cast<double>(distinct));
  reason->set_baseline(static_cast<double>(threshold));
  reason->set_window(window);
  reason->set_text(absl::StrCat("looked up ", distinct, " distinct people in ",
                                window_words, " (threshold ", threshold, ")"));
  std::string message;
  if (kind == v1::INCIDENT_CLOSED) {
    message = absl::StrCat("lookup burst ended: quiet for ",
                           WindowWords(quiet_ms_), "; ", incident.event_count,
                           " lookups in the incident, peak ",
                           incident.reported_distinct,
                           " distinct people per ", window_words);
  } else {
    message = reason->text();
    if (lookups > 0 && state.not_found > 0) {
      const double share = 100.0 * state.not_found / lookups;
      v1::Reason* r = alert.add_reasons();
      r->set_feature("not_found_share");
      r->set_observed(std::round(share * 10) / 10);
      r->set_baseline(0);
      r->set_window(window);
      r->set_text(absl::StrFormat("%.0f%% of lookups answered \"not found\"",
                                  share));
      absl::StrAppend(&message, "; ", r->text());
    }
    if (lookups > 1 && state.sequential > 0) {
      const double share = 100.0 * state.sequential / (lookups - 1);
      v1::Reason* r = alert.add_reasons();
      r->set_feature("sequential_nir_share");
      r->set_observed(std::round(share * 10) / 10);
      r->set_baseline(0);
      r->set_window(window);
      r->set_text(absl::StrFormat(
          "%.0f%% of consecutive lookups in sequential NIR order", share));
      absl::StrAppend(&message, "; ", r->text());
    }
    absl::StrAppend(&message, "; latest from ", alert.source_ip());
  }
  alert.set_message(message);
  ++alerts_emitted_;
  sink_->Emit(alert);
}

}  // namespace vigie
