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

// The event times every reader accepts: the years 0000 to 9999 (UTC),
// what an RFC 3339 time can say. Epoch milliseconds in a text field and
// times in the binary format are any int64 on the wire; beyond these a
// record is refused, so that the engine's time arithmetic (a time minus a
// lateness, a bucket's start) cannot overflow.
inline constexpr int64_t kMinEventTimeMs = -62167219200000;  // 0000-01-01
inline constexpr int64_t kMaxEventTimeMs = 253402300799999;  // 9999-12-31

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
