// EventEncoder: turns validated AccessRecords into hot-path Events. This is
// where strings become dense ids and where the subject is pseudonymised, so
// that nothing after ingestion ever sees a raw identifier.
//
// What it does per record:
//  - account, service and profession interned to dense ids (bounded: see
//    EncoderOptions);
//  - user agent reduced to a stable 64-bit hash;
//  - subject: NIR structure read (AnalyseNir), then replaced by its keyed
//    pseudonym; the NIR prefix by a keyed 32-bit pseudonym.
//
// Cost: ~3 hash lookups and 2 SipHash calls per record; no allocation once
// every account has been seen. Thread-compatible; the Pseudonymizer must
// outlive the encoder.
//
// State: Encode/Restore save and restore the three dictionaries with their
// LRU order, so a restored encoder gives every later record exactly the ids
// the original would have (`vigie replay --resume`). The state holds
// account, service and profession names, never a subject or the key.
//
// Example:
//   Pseudonymizer pseudonymizer(key);
//   EventEncoder encoder(&pseudonymizer, EncoderOptions());
//   Event event;
//   encoder.Encode(record, &event);
//   absl::string_view who = encoder.AccountName(event.account);
#ifndef VIGIE_DETECTOR_INGEST_EVENT_ENCODER_H_
#define VIGIE_DETECTOR_INGEST_EVENT_ENCODER_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "detector/access_record.h"
#include "detector/event.h"
#include "detector/ingest/pseudonymizer.h"
#include "detector/internal/string_interner.h"
#include "detector/stats/state_codec.h"

namespace vigie {

struct EncoderOptions {
  // Most distinct account names remembered; beyond it a new name takes the
  // id of the least recently seen one, reported by recycled_accounts() so
  // per-account state can be forgotten. Default: 4 Mi.
  uint32_t max_accounts = 1u << 22;
  // Most bytes the account names longer than 23 bytes take (each its
  // length + 64): past it the least recently seen long names are dropped
  // (their ids recycled). Default: 256 MiB; with the 4 Mi names' own 43
  // bytes each, the accounts' dictionary stays under 436 MiB, however
  // long the names an input invents.
  uint64_t max_account_name_bytes = uint64_t{256} << 20;
  // Most distinct service and profession names, and their long names'
  // bytes. Default: 4096 and 1 MiB each.
  uint32_t max_services = 4096;
  uint32_t max_professions = 4096;
  uint64_t max_service_name_bytes = uint64_t{1} << 20;
  uint64_t max_profession_name_bytes = uint64_t{1} << 20;
};

class EventEncoder {
 public:
  EventEncoder(const Pseudonymizer* pseudonymizer,
               const EncoderOptions& options);

  void Encode(const AccessRecord& record, Event* event);

  absl::string_view AccountName(uint32_t id) const {
    return accounts_.Name(id);
  }
  absl::string_view ServiceName(uint32_t id) const {
    return services_.Name(id);
  }
  absl::string_view ProfessionName(uint32_t id) const {
    return professions_.Name(id);
  }
  size_t num_accounts() const { return accounts_.size(); }
  // The highest account id handed out so far (ids of dropped names
  // included): what a table by account id needs to hold.
  uint32_t account_ids() const { return accounts_.ids(); }
  // Account ids handed to a new name, or whose name was dropped (see
  // EncoderOptions::max_account_name_bytes), since
  // ClearRecycledAccounts(): state kept for them must be forgotten.
  const std::vector<uint32_t>& recycled_accounts() const {
    return accounts_.recycled();
  }
  void ClearRecycledAccounts() { accounts_.ClearRecycled(); }
  uint64_t recycled_accounts_total() const {
    return accounts_.recycled_total();
  }

  // Writes the dictionaries (format version first).
  void Encode(StateWriter& w) const;
  // Replaces the dictionaries with encoded ones. DataLoss for damaged
  // input; FailedPrecondition when they were bounded by other
  // EncoderOptions (another memory limit). On error the encoder is
  // unchanged.
  absl::Status Restore(StateReader& r);

 private:
  const Pseudonymizer* pseudonymizer_;
  internal::StringInterner accounts_;
  internal::StringInterner services_;
  internal::StringInterner professions_;
};

}  // namespace vigie

#endif  // VIGIE_DETECTOR_INGEST_EVENT_ENCODER_H_
