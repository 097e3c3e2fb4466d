// Explain: evidence in plain words for the people who read alerts, e.g.
// "looked up 14 people new to this account in 1 min (usual at most 4)".
// Only called when an alert is written. Thread-safe (pure functions).
#ifndef VIGIE_DETECTOR_ALERTS_EXPLAIN_H_
#define VIGIE_DETECTOR_ALERTS_EXPLAIN_H_

#include <string>

#include "detector/signals/evidence.h"

namespace vigie {

std::string Explain(const Evidence& evidence);
// "1 min", "10 min", "1 hour", "1 day"; "history" for 0.
std::string WindowWords(int64_t window_ms);
// "1m", "10m", "1h", "1d"; "history" for 0.
std::string WindowCode(int64_t window_ms);

}  // namespace vigie

#endif  // VIGIE_DETECTOR_ALERTS_EXPLAIN_H_
