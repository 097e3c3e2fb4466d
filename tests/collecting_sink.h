// CollectingSink: an AlertSink that keeps every alert, for tests that check
// which incidents opened and with what words.
//
// Thread-compatible (the detector emits from one thread). Cost: a copy of
// each alert.
//
// Example:
//   CollectingSink sink;
//   auto detector = Detector::Create(options, namer, &sink).value();
//   detector->Observe(event);
//   EXPECT_TRUE(sink.Opened().empty());
#ifndef VIGIE_TESTS_COLLECTING_SINK_H_
#define VIGIE_TESTS_COLLECTING_SINK_H_

#include <vector>

#include "detector/alerts/alert_sink.h"
#include "proto/alert.pb.h"

namespace vigie {

class CollectingSink : public AlertSink {
 public:
  void Emit(const v1::Alert& alert) override { alerts.push_back(alert); }
  // The alerts that opened an incident, in order.
  std::vector<v1::Alert> Opened() const {
    std::vector<v1::Alert> out;
    for (const v1::Alert& a : alerts) {
      if (a.incident_state() == v1::INCIDENT_OPENED) out.push_back(a);
    }
    return out;
  }
  std::vector<v1::Alert> alerts;
};

}  // namespace vigie

#endif  // VIGIE_TESTS_COLLECTING_SINK_H_
