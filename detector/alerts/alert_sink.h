// AlertSink: where the detector hands incident updates. The seam between
// detection and output: `vigie replay` writes ECS JSON Lines, a portal
// backend may forward to its SIEM, tests collect into a vector.
//
// Alerts are rare compared with events, so they travel as the
// vigie.v1.Alert message (proto/alert.proto) rather than a hot-path struct.
// Implementations need not be thread-safe: the detector calls Emit from the
// thread that observes the event.
//
// Example:
//   class CollectingSink : public AlertSink {
//    public:
//     void Emit(const v1::Alert& alert) override { alerts.push_back(alert); }
//     std::vector<v1::Alert> alerts;
//   };
#ifndef VIGIE_DETECTOR_ALERTS_ALERT_SINK_H_
#define VIGIE_DETECTOR_ALERTS_ALERT_SINK_H_

#include "proto/alert.pb.h"

namespace vigie {

class AlertSink {
 public:
  virtual ~AlertSink() = default;
  virtual void Emit(const v1::Alert& alert) = 0;
};

}  // namespace vigie

#endif  // VIGIE_DETECTOR_ALERTS_ALERT_SINK_H_
