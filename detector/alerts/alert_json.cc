#include "detector/alerts/alert_json.h"

#include "absl/strings/str_cat.h"
#include "detector/alerts/severity.h"
#include "detector/ingest/time_format.h"
#include "detector/internal/json_writer.h"

namespace vigie {

using internal::AppendJsonNumber;
using internal::AppendJsonString;

absl::string_view IncidentStateName(v1::IncidentState state) {
  switch (state) {
    case v1::INCIDENT_OPENED: return "opened";
    case v1::INCIDENT_UPDATED: return "updated";
    case v1::INCIDENT_CLOSED: return "closed";
    default: return "unspecified";
  }
}

absl::string_view RecommendedActionName(v1::RecommendedAction action) {
  switch (action) {
    case v1::REVIEW: return "review";
    case v1::REQUIRE_STEP_UP: return "require_step_up";
    case v1::FORCE_PASSWORD_RESET: return "force_password_reset";
    case v1::BLOCK_IP: return "block_ip";
    case v1::BLOCK_NETWORK: return "block_network";
    case v1::SUSPEND_ACCOUNT: return "suspend_account";
    default: return "review";
  }
}

std::string AlertToEcsJson(const v1::Alert& alert) {
  std::string out;
  out.reserve(512);
  out.append("{\"@timestamp\":\"");
  AppendEventTime(alert.time_ms(), &out);
  out.append("\",\"event\":{\"kind\":\"alert\",\"risk_score\":");
  AppendJsonNumber(alert.risk_score(), &out);
  absl::StrAppend(&out, ",\"severity\":", alert.severity(), "}");
  out.append(",\"rule\":{\"name\":");
  AppendJsonString(alert.rule_name(), &out);
  out.append("}");
  if (!alert.account().empty()) {
    out.append(",\"user\":{\"name\":");
    AppendJsonString(alert.account(), &out);
    out.append("}");
  }
  if (!alert.source_ip().empty()) {
    out.append(",\"source\":{\"ip\":");
    AppendJsonString(alert.source_ip(), &out);
    out.append("}");
  }
  out.append(",\"message\":");
  AppendJsonString(alert.message(), &out);
  out.append(",\"vigie\":{\"incident\":{\"id\":");
  AppendJsonString(alert.incident_id(), &out);
  out.append(",\"state\":");
  AppendJsonString(IncidentStateName(alert.incident_state()), &out);
  out.append(",\"first_seen\":\"");
  AppendEventTime(alert.first_seen_ms(), &out);
  out.append("\",\"last_seen\":\"");
  AppendEventTime(alert.last_seen_ms(), &out);
  absl::StrAppend(&out, "\",\"event_count\":", alert.event_count(), "}");
  out.append(",\"reasons\":[");
  for (int i = 0; i < alert.reasons_size(); ++i) {
    const v1::Reason& reason = alert.reasons(i);
    if (i > 0) out.push_back(',');
    out.append("{\"feature\":");
    AppendJsonString(reason.feature(), &out);
    out.append(",\"observed\":");
    AppendJsonNumber(reason.observed(), &out);
    out.append(",\"baseline\":");
    AppendJsonNumber(reason.baseline(), &out);
    out.append(",\"window\":");
    AppendJsonString(reason.window(), &out);
    out.append(",\"text\":");
    AppendJsonString(reason.text(), &out);
    out.append("}");
  }
  out.append("],\"risk_tier\":\"");
  out.append(TierName(TierOf(alert.risk_score())));
  out.append("\",\"recommended_action\":");
  AppendJsonString(RecommendedActionName(alert.recommended_action()), &out);
  out.append("}}");
  return out;
}

}  // namespace vigie
