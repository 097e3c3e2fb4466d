#include "detector/ingest/event_encoder.h"

#include <algorithm>
#include <limits>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "detector/ingest/nir.h"
#include "detector/internal/stable_hash.h"
#include "detector/internal/status_macros.h"

namespace vigie {

EventEncoder::EventEncoder(const Pseudonymizer* pseudonymizer,
                           const EncoderOptions& options)
    : pseudonymizer_(pseudonymizer),
      accounts_(options.max_accounts, options.max_account_name_bytes),
      services_(options.max_services, options.max_service_name_bytes),
      professions_(options.max_professions,
                   options.max_profession_name_bytes) {}

void EventEncoder::Encode(StateWriter& w) const {
  w.Put<uint8_t>(1);
  accounts_.Encode(w);
  services_.Encode(w);
  professions_.Encode(w);
}

absl::Status EventEncoder::Restore(StateReader& r) {
  if (r.Get<uint8_t>() != 1) r.Fail();
  VIGIE_RETURN_IF_ERROR(r.Check("event encoder"));
  internal::StringInterner* const targets[] = {&accounts_, &services_,
                                               &professions_};
  const char* const kinds[] = {"account", "service", "profession"};
  std::vector<internal::StringInterner> decoded;
  for (int i = 0; i < 3; ++i) {
    VIGIE_ASSIGN_OR_RETURN(internal::StringInterner interner,
                           internal::StringInterner::Decode(r));
    if (interner.max_size() != targets[i]->max_size() ||
        interner.max_long_bytes() != targets[i]->max_long_bytes()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "event encoder: the saved ", kinds[i], " dictionary holds at most ",
          interner.max_size(), " names and ", interner.max_long_bytes(),
          " bytes of long names, this encoder ", targets[i]->max_size(),
          " and ", targets[i]->max_long_bytes(),
          " (restore with the same memory limit)"));
    }
    decoded.push_back(std::move(interner));
  }
  for (int i = 0; i < 3; ++i) *targets[i] = std::move(decoded[i]);
  return absl::OkStatus();
}

void EventEncoder::Encode(const AccessRecord& record, Event* event) {
  event->time_ms = record.time_ms;
  event->ip = record.ip;
  event->account = accounts_.Intern(record.account);
  event->service = record.service.empty() ? kNoId
                                          : services_.Intern(record.service);
  event->profession =
      record.profession.empty() ? kNoId
                                : professions_.Intern(record.profession);
  event->user_agent_hash =
      record.user_agent.empty()
          ? 0
          : internal::StableHash64(record.user_agent) | 1;
  event->action = record.action;
  event->outcome = record.outcome;
  event->has_records = record.has_records;
  event->records = static_cast<uint32_t>(std::min<uint64_t>(
      record.records, std::numeric_limits<uint32_t>::max()));
  event->subject = 0;
  event->subject_flags = 0;
  event->nir_prefix = 0;
  event->nir_order = 0;
  if (!record.subject.empty()) {
    event->subject = pseudonymizer_->Subject(record.subject);
    event->subject_flags = kSubjectPresent;
    NirInfo nir;
    AnalyseNir(record.subject, &nir);
    if (nir.is_nir) {
      event->subject_flags |= kSubjectIsNir;
      if (nir.key_present) event->subject_flags |= kNirKeyPresent;
      if (nir.key_valid) event->subject_flags |= kNirKeyValid;
      event->nir_prefix = pseudonymizer_->NirPrefix(
          absl::string_view(nir.prefix, sizeof(nir.prefix)));
      event->nir_order = nir.order;
    }
  }
}

}  // namespace vigie
