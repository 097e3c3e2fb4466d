// Event: one portal event (login, lookup, export, ...) in the plain form the
// detector's hot path works on.
//
// Strings never reach the hot path: the account, service and profession are
// dense ids interned at ingestion (see ingest/event_encoder.h), the user agent
// is a 64-bit hash, and the looked-up person (the subject, usually a French
// social-security number, NIR) is a keyed pseudonym. The raw subject is never
// stored in an Event: what the NIR-aware signals need from its structure
// (is it a NIR, is its control key valid, its order number, a pseudonym of the
// part before the order number) is extracted at ingestion.
//
// 64 bytes, trivially copyable; thread-compatible.
//
// Example:
//   Event e;
//   e.time_ms = 1646900102123;
//   e.action = Action::kLookup;
//   if (e.action == Action::kLookup && e.has_subject()) { ... e.subject ... }
#ifndef VIGIE_DETECTOR_EVENT_H_
#define VIGIE_DETECTOR_EVENT_H_

#include <cstdint>
#include <optional>

#include "absl/strings/string_view.h"
#include "detector/ip_address.h"

namespace vigie {

enum class Action : uint8_t {
  kLogin = 1,
  kLookup = 2,
  kExport = 3,
  kLogout = 4,
  kPasswordReset = 5,
  kMfa = 6,
};
inline constexpr int kNumActions = 7;  // Values are 1..6; 0 is unused.

enum class Outcome : uint8_t {
  kSuccess = 1,
  kFailure = 2,
  kNotFound = 3,
};

// Text names as they appear in logs: "login", "lookup", "export", "logout",
// "password_reset", "mfa"; "success", "failure", "not_found".
absl::string_view ActionName(Action action);
absl::string_view OutcomeName(Outcome outcome);
// Exact, case-sensitive match on the names above.
std::optional<Action> ParseAction(absl::string_view text);
std::optional<Outcome> ParseOutcome(absl::string_view text);

// Facts about the subject's identifier, extracted before it is hashed.
enum SubjectFlags : uint8_t {
  kSubjectPresent = 1 << 0,
  kSubjectIsNir = 1 << 1,        // 13 or 15 characters in NIR shape.
  kNirKeyPresent = 1 << 2,       // The 2-digit control key was given...
  kNirKeyValid = 1 << 3,         // ...and equals 97 - (number mod 97).
};

// The event times every reader accepts: the years 0000 to 9999 (UTC),
// what an RFC 3339 time can say. Epoch milliseconds in a text field and
// times in the binary format are any int64 on the wire; beyond these a
// record is refused, so that the engine's time arithmetic (a time minus a
// lateness, a bucket's start) cannot overflow.
inline constexpr int64_t kMinEventTimeMs = -62167219200000;  // 0000-01-01
inline constexpr int64_t kMaxEventTimeMs = 253402300799999;  // 9999-12-31

inline constexpr uint32_t kNoId = 0;  // Interned id of an absent string.

struct Event {
  // Milliseconds since the Unix epoch, UTC. The readers hand out only
  // times within the years 0000 to 9999 (kMinEventTimeMs..kMaxEventTimeMs
  // above); an embedding caller keeps to them too, so that
  // the engine's time arithmetic cannot overflow.
  int64_t time_ms = 0;
  IpAddress ip;
  // Keyed pseudonym of the normalised subject; 0 when absent.
  uint64_t subject = 0;
  // Hash of the user agent string; 0 when absent.
  uint64_t user_agent_hash = 0;
  uint32_t account = kNoId;     // Dense id, 1-based.
  uint32_t service = kNoId;     // Dense id, 1-based; kNoId when absent.
  uint32_t profession = kNoId;  // Dense id, 1-based; kNoId when absent.
  // Keyed pseudonym of a NIR's first 10 characters (sex, birth year and
  // month, place of birth): consecutive order numbers under the same prefix
  // reveal a sequential sweep. 0 unless kSubjectIsNir.
  uint32_t nir_prefix = 0;
  // Records returned or downloaded, saturated at 2^32-1; see has_records.
  uint32_t records = 0;
  // The NIR's 3-digit order number (001..999); 0 unless kSubjectIsNir.
  uint16_t nir_order = 0;
  Action action = Action::kLogin;
  Outcome outcome = Outcome::kSuccess;
  uint8_t subject_flags = 0;  // SubjectFlags.
  bool has_records = false;

  bool has_subject() const { return subject_flags & kSubjectPresent; }
};

}  // namespace vigie

#endif  // VIGIE_DETECTOR_EVENT_H_
