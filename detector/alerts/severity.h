// AlertSeverity: the severity an alert of a given risk carries, on ECS's
// scale (event.severity): 4 critical from a risk of 90, 3 high from 75,
// 2 medium below (an alert is raised only above the alert threshold); and
// the risk tier of any event's risk (TierOf).
//
// Why a header of its own: the engine stamps it on every alert and the
// replay's HTML report colours risks by it; one definition keeps the page
// and the alerts from ever disagreeing.
//
// Example:
//   alert.set_severity(AlertSeverity(risk));
#ifndef VIGIE_DETECTOR_ALERTS_SEVERITY_H_
#define VIGIE_DETECTOR_ALERTS_SEVERITY_H_

namespace vigie {

inline constexpr double kCriticalRisk = 90;
inline constexpr double kHighRisk = 75;

inline int AlertSeverity(double risk) {
  return risk >= kCriticalRisk ? 4 : risk >= kHighRisk ? 3 : 2;
}

// Risk tiers, as identity-protection products grade sign-in risk: what an
// event's fused risk (Detector::Observe's return) means for the portal and
// the team.
//  - low (25..44): one weak anomaly (a new address in a known network, a
//    session roaming within its provider); recorded in the scores only;
//  - medium (45..59): an anomaly that could be an intruder or a user
//    somewhere new (a new country, a phone's first mobile data, a day's
//    volume at its peers' 99.9th percentile); a portal may ask for a
//    second factor on sensitive actions;
//  - high (60..): a strong signal or corroborated anomalies; opens an
//    incident by default (engine.incident_tier).
enum class RiskTier { kNone, kLow, kMedium, kHigh };
inline constexpr double kLowTierRisk = 25;
inline constexpr double kMediumTierRisk = 45;
inline constexpr double kHighTierRisk = 60;

inline RiskTier TierOf(double risk) {
  return risk >= kHighTierRisk     ? RiskTier::kHigh
         : risk >= kMediumTierRisk ? RiskTier::kMedium
         : risk >= kLowTierRisk    ? RiskTier::kLow
                                   : RiskTier::kNone;
}

inline const char* TierName(RiskTier tier) {
  switch (tier) {
    case RiskTier::kHigh: return "high";
    case RiskTier::kMedium: return "medium";
    case RiskTier::kLow: return "low";
    case RiskTier::kNone: return "none";
  }
  return "none";
}

}  // namespace vigie

#endif  // VIGIE_DETECTOR_ALERTS_SEVERITY_H_
