#include "detector/alerts/incident_tracker.h"

#include <algorithm>

#include "absl/strings/str_format.h"

namespace vigie {

IncidentTracker::IncidentTracker(absl::Duration quiet, AlertSink* sink,
                                 double update_step, size_t max_bytes)
    : quiet_ms_(absl::ToInt64Milliseconds(quiet)),
      sink_(sink),
      update_step_(update_step),
      max_bytes_(max_bytes) {}

size_t IncidentTracker::BytesOf(const std::string& key, const Open& incident) {
  // A map node, the key and id strings, and the alert in memory, about
  // twice its encoded size (string headers, repeated reasons). A function
  // of the content only, so that a restored tracker counts what the
  // original counted and closes the same incidents.
  return sizeof(Open) + 64 + key.size() + incident.id.size() +
         2 * incident.last.ByteSizeLong();
}

void IncidentTracker::CloseForMemory(const std::string& keep,
                                     int64_t time_ms) {
  while (bytes_ > max_bytes_ && open_.size() > 1) {
    auto victim = open_.end();
    for (auto it = open_.begin(); it != open_.end(); ++it) {
      if (it->first == keep) continue;
      if (victim == open_.end() ||
          it->second.last_seen_ms < victim->second.last_seen_ms) {
        victim = it;
      }
    }
    if (victim == open_.end()) return;
    Emit(victim->second, v1::INCIDENT_CLOSED, time_ms,
         "closed early: too many open incidents for the memory limit");
    bytes_ -= BytesOf(victim->first, victim->second);
    open_.erase(victim);
    ++closed_for_memory_;
  }
}

void IncidentTracker::Emit(Open& incident, v1::IncidentState state,
                           int64_t time_ms, absl::string_view why_closed) {
  v1::Alert alert = incident.last;
  alert.set_time_ms(time_ms);
  alert.set_incident_id(incident.id);
  alert.set_incident_state(state);
  alert.set_first_seen_ms(incident.first_seen_ms);
  alert.set_last_seen_ms(incident.last_seen_ms);
  alert.set_event_count(incident.firings);
  if (state == v1::INCIDENT_CLOSED && !why_closed.empty()) {
    alert.set_message(absl::StrFormat("%s after %d firings; last: %s",
                                      why_closed, incident.firings,
                                      incident.last.message()));
  } else if (state == v1::INCIDENT_CLOSED) {
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
  if (reported) {
    if (!inserted) bytes_ -= BytesOf(it->first, incident);
    incident.last = alert;
    if (inserted) {
      incident.id = absl::StrFormat("%s-%06d", alert.rule_name(), opened_ + 1);
    }
    bytes_ += BytesOf(it->first, incident);
  }
  if (inserted) {
    ++opened_;
    incident.first_seen_ms = time_ms;
    incident.reported_risk = alert.risk_score();
    Emit(incident, v1::INCIDENT_OPENED, time_ms);
  } else if (alert.risk_score() > incident.reported_risk + update_step_) {
    incident.reported_risk = alert.risk_score();
    Emit(incident, v1::INCIDENT_UPDATED, time_ms);
  }
  if (reported) CloseForMemory(it->first, time_ms);
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
  bytes_ = 0;
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
    bytes_ += BytesOf(key, incident);
  }
  absl::Status status = r.Check("incidents");
  if (!status.ok()) {
    open_.clear();
    bytes_ = 0;
  }
  return status;
}

void IncidentTracker::Advance(int64_t now_ms) {
  latest_ms_ = std::max(latest_ms_, now_ms);
  if (latest_ms_ < next_check_ms_) return;
  int64_t next = INT64_MAX;
  for (auto it = open_.begin(); it != open_.end();) {
    if (it->second.last_seen_ms + quiet_ms_ <= latest_ms_) {
      Emit(it->second, v1::INCIDENT_CLOSED, latest_ms_);
      bytes_ -= BytesOf(it->first, it->second);
      it = open_.erase(it);
    } else {
      next = std::min(next, it->second.last_seen_ms + quiet_ms_);
      ++it;
    }
  }
  next_check_ms_ = next;
}

}  // namespace vigie
