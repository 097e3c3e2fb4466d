// IncidentTracker: turns repeated rule firings into incidents, so a team
// reads one alert when an entity starts misbehaving and one when it stops,
// not one per event. Used by the rules baseline (Sigma/fail2ban-style rules
// that fire per window) and by any rule that has no incident logic of its
// own.
//
// An incident is keyed by (rule, entity). The first firing opens it (an
// INCIDENT_OPENED alert, stamped with the firing's event time); later
// firings extend it silently, except that a firing whose risk is higher than
// any reported so far emits INCIDENT_UPDATED; `quiet` after the last firing
// it closes (INCIDENT_CLOSED, stamped with the event time that revealed the
// quiet period, so the stream stays in event-time order). A closing alert
// repeats the content (message, reasons, risk, action) of the incident's
// last reported firing: its opening or its latest step up.
//
// A caller whose alert content is costly to build (the engine's evidence
// in words) first offers the firing to Extend, which records it without
// any content when it would not be reported, and builds the alert for Fire
// only when Extend declines. An ongoing incident then costs a map lookup
// per firing and no allocation.
//
// Memory: the open incidents (their last reported alert, key and id) are
// kept within `max_bytes`; opening one more beyond it first closes the
// incident quiet for longest (ties: the smallest key), with a closing
// alert that says so. A botnet whose every address opens an incident
// therefore cannot grow the tracker without bound.
//
// Cost: O(log n) per firing, n open incidents; O(n) more when the memory
// bound closes one; ~1-2 KiB per open incident (mostly its alert).
// Thread-compatible. Deterministic: incidents close in key order.
//
// Example:
//   IncidentTracker tracker(absl::Hours(1), &sink);
//   v1::Alert alert;  // rule_name, account/source_ip, message, reasons...
//   tracker.Fire("brute_force|203.0.113.7", alert, event.time_ms);
//   tracker.Advance(event.time_ms);
#ifndef VIGIE_DETECTOR_ALERTS_INCIDENT_TRACKER_H_
#define VIGIE_DETECTOR_ALERTS_INCIDENT_TRACKER_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "detector/alerts/alert_sink.h"
#include "detector/stats/state_codec.h"
#include "proto/alert.pb.h"

namespace vigie {

class IncidentTracker {
 public:
  // REQUIRES: sink outlives the tracker. An open incident is updated when
  // a firing's risk exceeds the last reported risk by more than
  // `update_step`.
  IncidentTracker(absl::Duration quiet, AlertSink* sink,
                  double update_step = 0,
                  size_t max_bytes = kDefaultMaxBytes);
  static constexpr size_t kDefaultMaxBytes = size_t{64} << 20;

  // Records a firing of `alert.rule_name()` for the entity named by `key`.
  // `alert` carries the entity, message, reasons, risk and action; the
  // tracker fills time, incident id, state, first/last seen and counts.
  void Fire(const std::string& key, const v1::Alert& alert, int64_t time_ms);

  // Records a firing of the open incident `key` whose risk (as Fire would
  // see it in alert.risk_score()) does not call for an update, and returns
  // true. Returns false, recording nothing but the passage of time, when
  // the firing must be reported: no incident is open for `key`, or `risk`
  // exceeds the last reported risk by more than update_step. Never
  // allocates.
  bool Extend(absl::string_view key, double risk, int64_t time_ms);

  // Closes incidents quiet since before now_ms - quiet.
  void Advance(int64_t now_ms);

  // Closes every incident quiet as of the latest time seen.
  void Flush() { Advance(latest_ms_); }

  uint64_t incidents_opened() const { return opened_; }
  // Memory held by the open incidents (estimated from their contents).
  size_t bytes() const { return bytes_; }
  // Incidents closed early to stay within max_bytes.
  uint64_t closed_for_memory() const { return closed_for_memory_; }

  // Snapshot support: open incidents and counters.
  void Encode(StateWriter& w) const;
  absl::Status Restore(StateReader& r);
  size_t open_incidents() const { return open_.size(); }

 private:
  struct Open {
    v1::Alert last;  // The latest firing's content.
    std::string id;
    int64_t first_seen_ms = 0;
    int64_t last_seen_ms = 0;
    uint64_t firings = 0;
    double reported_risk = 0;
  };
  void Emit(Open& incident, v1::IncidentState state, int64_t time_ms,
            absl::string_view why_closed = "");
  static size_t BytesOf(const std::string& key, const Open& incident);
  // Closes the incidents quiet for longest, but `keep`, until the open
  // ones fit in max_bytes_.
  void CloseForMemory(const std::string& keep, int64_t time_ms);

  int64_t quiet_ms_;
  AlertSink* sink_;
  double update_step_;
  size_t max_bytes_;
  std::map<std::string, Open, std::less<>> open_;
  size_t bytes_ = 0;
  uint64_t closed_for_memory_ = 0;
  int64_t latest_ms_ = 0;
  int64_t next_check_ms_ = INT64_MAX;
  uint64_t opened_ = 0;
};

}  // namespace vigie

#endif  // VIGIE_DETECTOR_ALERTS_INCIDENT_TRACKER_H_
