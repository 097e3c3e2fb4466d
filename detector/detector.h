// Detector: Vigie's detection engine, for portal backends (Observe on every
// login, lookup and export) and for `vigie replay`.
//
// For each event it updates the account's and the address's windowed
// statistics, scores the six signal families (lookup enumeration, login
// risk, credential attacks, shared infrastructure, bulk export, peer-group
// deviation) against the entity's own history, its peer group (profession)
// and the whole population, fuses them into one risk in [0, 100], and hands
// incident updates (opened, stepped up, closed) with their evidence in words
// and a recommended action to the AlertSink. Baselines never learn from an
// entity while its risk is above the threshold, so a long attack does not
// become normal. Time comes only from the events.
//
// Thread-compatible: call it from one thread at a time. Internally the
// accounts are split over options.shards shards, which ObserveBatch spreads
// over options.threads threads; the output (alerts, risks, snapshots) is
// identical whatever the thread count (see engine/detector_impl.cc for how).
// Peer baselines are refreshed once a minute of event time.
// Observe does not allocate from the heap once its account, its address
// and (for a login) their pairing are known, except when an alert is
// written (tests/detector_allocation_test.cc counts every allocation).
// New entities, an address's growing set of accounts, and the first sample
// of a profession's peer baseline (~40 KiB) allocate.
//
// Example (a login handler):
//   auto detector = Detector::Create(DetectorOptions(), namer, &sink).value();
//   double risk = detector->Observe(event);
//   if (event.action == Action::kLogin && risk >= 50) RequireStepUp();
#ifndef VIGIE_DETECTOR_DETECTOR_H_
#define VIGIE_DETECTOR_DETECTOR_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "detector/alerts/alert_sink.h"
#include "detector/detector_options.h"
#include "detector/event.h"

namespace vigie {

class Detector {
 public:
  // Turns an account id into its login name for alerts.
  using AccountNamer = std::function<std::string(uint32_t account)>;

  // InvalidArgument for inconsistent options. `sink` must outlive the
  // detector.
  static absl::StatusOr<std::unique_ptr<Detector>> Create(
      const DetectorOptions& options, AccountNamer namer, AlertSink* sink);

  virtual ~Detector() = default;

  // Scores one event; returns the fused risk of its account (0..100).
  virtual double Observe(const Event& event) = 0;
  // Scores events in order, exactly as that many Observe calls would;
  // with options.threads > 1 the account side runs on several threads.
  // `risks`, if not empty, receives each event's risk (same size).
  virtual void ObserveBatch(absl::Span<const Event> events) = 0;
  virtual void ObserveBatch(absl::Span<const Event> events,
                            absl::Span<double> risks) = 0;
  // Forgets an account whose id now names another account.
  virtual void ForgetAccount(uint32_t account) = 0;
  // Closes incidents that have been quiet as of the latest event time.
  virtual void Flush() = 0;

  // The detector's whole state (entities, baselines, novelty memory, open
  // incidents) as a serialised vigie.v1.Snapshot with one section per part.
  // A detector created with the same options and restored from it
  // continues exactly as the original would.
  virtual std::string SaveState() const = 0;
  // DataLoss for a damaged snapshot, FailedPrecondition for one that does
  // not fit these options (e.g. a smaller memory limit). On error the
  // detector is left empty.
  virtual absl::Status RestoreState(absl::string_view snapshot) = 0;

  struct Stats {
    uint64_t events = 0;
    uint64_t late_events = 0;
    uint64_t accounts = 0;
    uint64_t addresses = 0;
    uint64_t evicted_accounts = 0;
    uint64_t evicted_addresses = 0;
    // Failure sets of addresses, and sets of accounts of young shared
    // addresses, evicted from their own tables.
    uint64_t evicted_address_failures = 0;
    uint64_t evicted_address_accounts = 0;
    // Memory held, measured by the tables: all of it, and the parts kept
    // per account (their tables) and per address (its tables: every
    // address's, the failure sets of those that failed a login and the
    // accounts of young ones that several accounts logged in from), and
    // the novelty memory shared by the accounts of a shard.
    size_t state_bytes = 0;
    size_t account_table_bytes = 0;
    size_t address_table_bytes = 0;
    size_t novelty_bytes = 0;
    // Of address_table_bytes, the failure sets' tables, how many addresses
    // have failure sets, and how many of them wide ones (more than a few
    // failing accounts lately).
    size_t address_failure_table_bytes = 0;
    uint64_t addresses_with_failures = 0;
    uint64_t addresses_with_many_failures = 0;
    // Of address_table_bytes, the young shared addresses' sets of
    // accounts, and how many addresses have one.
    size_t address_accounts_table_bytes = 0;
    uint64_t addresses_with_account_sets = 0;
    // Of account_table_bytes, the tables of failure and export windows
    // (kept only for the accounts that failed a login or exported lately;
    // a shard drops its idle ones when it next needs its table), how many
    // accounts' windows they hold, and how many were evicted.
    size_t account_windows_table_bytes = 0;
    uint64_t accounts_with_windows = 0;
    uint64_t evicted_account_windows = 0;
  };
  virtual Stats stats() const = 0;
};

}  // namespace vigie

#endif  // VIGIE_DETECTOR_DETECTOR_H_
