// AccessRecord: one validated input record as a reader hands it out, with
// its text fields still borrowed from the reader's buffer.
//
// This is the form `vigie convert` copies between formats (every field
// exactly, including the raw subject) and the form the EventEncoder turns
// into a hot-path Event (interning strings, pseudonymising the subject).
// The string_views are valid until the reader's next call.
//
// Invariants guaranteed by every reader: time_ms != 0 and within
// [kMinEventTimeMs, kMaxEventTimeMs], account non-empty, subject non-empty
// when action is kLookup, every text field valid UTF-8.
#ifndef VIGIE_DETECTOR_ACCESS_RECORD_H_
#define VIGIE_DETECTOR_ACCESS_RECORD_H_

#include <cstdint>

#include "absl/strings/string_view.h"
#include "detector/event.h"
#include "detector/ip_address.h"

namespace vigie {

// Event times: kMinEventTimeMs..kMaxEventTimeMs (detector/event.h).

struct AccessRecord {
  int64_t time_ms = 0;  // Milliseconds since the Unix epoch, UTC.
  absl::string_view account;
  IpAddress ip;
  Action action = Action::kLogin;
  Outcome outcome = Outcome::kSuccess;
  absl::string_view subject;  // Raw identifier: personal data.
  bool has_records = false;
  uint64_t records = 0;
  absl::string_view user_agent;
  absl::string_view service;
  absl::string_view profession;
};

}  // namespace vigie

#endif  // VIGIE_DETECTOR_ACCESS_RECORD_H_
