#include "detector/alerts/incident_tracker.h"

#include <algorithm>

#include "absl/strings/str_format.h"

namespace vigie {

IncidentTracker::IncidentTracker(absl::Duration quiet, AlertSink* sink,
                                 double update_step)
    : quiet_ms_(absl::ToInt64Milliseconds(quiet)),
      sink_(sink),
      update_step_(update_step) {}

void IncidentTracker::Emit(Open& incident, v1::IncidentState state,
                           int64_t time_ms) {
  v1::Alert alert = incident.last;
  alert.set_time_ms(time_ms);
  alert.set_incident_id(incident.id);
  alert.set_incident_state(state);
  alert.set_first_seen_ms(incident.first_seen_ms);
  alert.set_last_seen_ms(incident.last_seen_ms);
  alert.set_event_count(incident.firings);
  if (state == v1::INCIDENT_CLOSED) {
    alert.set_message(absl::StrFormat(
        "ended after %d firings: quiet for %d min; last: %s", incident.firings,
        quiet_ms_ / 60000, incident.last.message()));
  }
  sink_->Emit(alert);
}

void IncidentTracker::Fire(const std::string& key, const v1::Alert& alert,
                           int64_t time_ms) {
  Advance(time_ms);
  auto [it, inserted] = open_.try_emplace(key);
  Open& incident = it->second;
  incident.last_seen_ms = std::max(incident.last_seen_ms, time_ms);
  ++incident.firings;
  next_check_ms_ = std::min(next_check_ms_, time_ms + quiet_ms_);
  const bool reported =
      inserted || alert.risk_score() > incident.reported_risk + update_step_;
  // Only reported content is kept: a closing alert repeats the last one,
  // exactly as when Extend recorded the firings in between.
  if (reported) incident.last = alert;
  if (inserted) {
    ++opened_;
    incident.id = absl::StrFormat("%s-%06d", alert.rule_name(), opened_);
    incident.first_seen_ms = time_ms;
    incident.reported_risk = alert.risk_score();
    Emit(incident, v1::INCIDENT_OPENED, time_ms);
  } else if (alert.risk_score() > incident.reported_risk + update_step_) {
    incident.reported_risk = alert.risk_score();
    Emit(incident, v1::INCIDENT_UPDATED, time_ms);
  }
}

bool IncidentTracker::Extend(absl::string_view key, double risk,
                             int64_t time_ms) {
  Advance(time_ms);
  auto it = open_.find(key);
  if (it == open_.end()) return false;
  Open& incident = it->second;
  if (risk > incident.reported_risk + update_step_) return false;
  incident.last_seen_ms = std::max(incident.last_seen_ms, time_ms);
  ++incident.firings;
  next_check_ms_ = std::min(next_check_ms_, time_ms + quiet_ms_);
  return true;
}

void IncidentTracker::Encode(StateWriter& w) const {
  w.Put<uint8_t>(1);
  w.Put(latest_ms_);
  w.Put(next_check_ms_);
  w.Put(opened_);
  w.Put<uint64_t>(open_.size());
  for (const auto& [key, incident] : open_) {
    w.PutBytes(key);
    w.PutBytes(incident.last.SerializeAsString());
    w.PutBytes(incident.id);
    w.Put(incident.first_seen_ms);
    w.Put(incident.last_seen_ms);
    w.Put(incident.firings);
    w.Put(incident.reported_risk);
  }
}

absl::Status IncidentTracker::Restore(StateReader& r) {
  open_.clear();
  if (r.Get<uint8_t>() != 1) r.Fail();
  latest_ms_ = r.Get<int64_t>();
  next_check_ms_ = r.Get<int64_t>();
  opened_ = r.Get<uint64_t>();
  const uint64_t n = r.Get<uint64_t>();
  for (uint64_t i = 0; i < n && r.ok(); ++i) {
    std::string key(r.GetBytes());
    Open& incident = open_[key];
    const absl::string_view alert = r.GetBytes();
    if (!incident.last.ParseFromArray(alert.data(),
                                      static_cast<int>(alert.size()))) {
      r.Fail();
    }
    incident.id = std::string(r.GetBytes());
    incident.first_seen_ms = r.Get<int64_t>();
    incident.last_seen_ms = r.Get<int64_t>();
    incident.firings = r.Get<uint64_t>();
    incident.reported_risk = r.Get<double>();
  }
  absl::Status status = r.Check("incidents");
  if (!status.ok()) open_.clear();
  return status;
}

void IncidentTracker::Advance(int64_t now_ms) {
  latest_ms_ = std::max(latest_ms_, now_ms);
  if (latest_ms_ < next_check_ms_) return;
  int64_t next = INT64_MAX;
  for (auto it = open_.begin(); it != open_.end();) {
    if (it->second.last_seen_ms + quiet_ms_ <= latest_ms_) {
      Emit(it->second, v1::INCIDENT_CLOSED, latest_ms_);
      it = open_.erase(it);
    } else {
      next = std::min(next, it->second.last_seen_ms + quiet_ms_);
      ++it;
    }
  }
  next_check_ms_ = next;
}

}  // namespace vigie
