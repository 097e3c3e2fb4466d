// ECS JSON rendering of an incident update (DESIGN.md "Output alerts"), one
// line per alert, so a SIEM ingests Vigie's output like any other alert
// source. Field names:
//
//   @timestamp              event time of the triggering event (RFC 3339)
//   event.kind              "alert"
//   event.risk_score        0..100
//   event.severity          1 low, 2 medium, 3 high, 4 critical
//   rule.name               signal family, e.g. "lookup_burst"
//   user.name, source.ip    the entity (present when known)
//   message                 the explanation in words
//   vigie.incident.{id,state,first_seen,last_seen,event_count}
//   vigie.reasons[]         {feature, observed, baseline, window, text}
//   vigie.recommended_action  e.g. "force_password_reset"
//
// Keys are written in a fixed order, so the same alerts give the same
// bytes. Thread-safe (pure function).
//
// Example:
//   std::string line = AlertToEcsJson(alert);  // no trailing newline
#ifndef VIGIE_DETECTOR_ALERTS_ALERT_JSON_H_
#define VIGIE_DETECTOR_ALERTS_ALERT_JSON_H_

#include <string>

#include "absl/strings/string_view.h"
#include "proto/alert.pb.h"

namespace vigie {

std::string AlertToEcsJson(const v1::Alert& alert);

// "opened", "updated", "closed".
absl::string_view IncidentStateName(v1::IncidentState state);
// "review", "require_step_up", "force_password_reset", "block_ip", ...
absl::string_view RecommendedActionName(v1::RecommendedAction action);

}  // namespace vigie

#endif  // VIGIE_DETECTOR_ALERTS_ALERT_JSON_H_
