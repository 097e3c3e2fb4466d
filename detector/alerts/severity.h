// AlertSeverity: the severity an alert of a given risk carries, on ECS's
// scale (event.severity): 4 critical from a risk of 90, 3 high from 75,
// 2 medium below (an alert is raised only above the alert threshold).
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

}  // namespace vigie

#endif  // VIGIE_DETECTOR_ALERTS_SEVERITY_H_
