// ReplayReport: what `vigie replay --report FILE.html` shows a portal's
// security team after a replay, gathered while the replay runs and rendered
// once at the end as one self-contained HTML page (inline CSS and inline SVG
// drawn here; no script, no link, nothing fetched from any network), so it
// can be mailed, archived with the case, opened offline or printed.
//
// The page: the run's summary (inputs, events, rejected records, alerts,
// incidents, event-time span); events and alerts over event time (one
// chart); the riskiest accounts and addresses; the distribution of every
// account's peak fused risk with the alert threshold marked (one chart);
// the incident table, riskiest first. Every string that comes from data
// (account names, addresses, messages, input paths) is HTML-escaped. No
// subject identifier can appear: the report is built from the alerts and
// from account ids, and neither carries one.
//
// Feeding. The replay calls AddEvent for every detected event (event time,
// account id, fused risk), AddAlert for every alert its sink receives, and
// RetireAccount when the name dictionary gives an account's id to another
// account. AddEvent is O(1) with no string work, and allocates only when an
// account id higher than any before appears (amortised growth of one
// vector). AddAlert is O(log n) and copies strings: alerts are rare. The
// state depends only on what was fed (never on the clock), and the rendered
// time buckets and tables do not depend on the order of the calls, so the
// same replay gives the same bytes, and a run restored with Decode from
// another run's Encode continues exactly as the original would.
//
// Memory, bounded:
//  - 8 bytes per account id (peak fused risk as a float, events as a
//    saturating uint32); the encoder's name dictionary bounds the ids. The
//    peak is also what `vigie replay --scores` writes (peak_risk()).
//  - Time buckets: at most options.time_buckets (default 200) of 32 bytes.
//    The bucket width is the finest of 1 s, 5 s, 15 s, 30 s, 1 min, 5 min,
//    15 min, 30 min, 1 h, 3 h, 6 h, 12 h, 1 day, 1 week, 4 weeks, 52 weeks
//    (then doubling) at which the whole event-time span fits: when the span
//    grows, buckets merge into the next width (each width is a multiple of
//    the one before, and buckets are aligned in UTC on Monday 1970-01-05,
//    so a bucket never straddles two of the next width).
//  - Alerted accounts and addresses: at most 2 x options.tracked_entities
//    of each (default 4,096; ~100 bytes plus the name). When full, the half
//    with the lowest peak risk is dropped; an entity dropped this way that
//    alerts again is counted from its return, so the top tables are exact
//    unless more than 4,096 entities outrank an account at some point.
//  - Incidents: at most 2 x options.max_incidents rows (default 1,000; ~0.5
//    KiB each, mostly the message). The table shows exactly the
//    max_incidents riskiest (peak risk, then opening time) and counts the
//    rest: a dropped row ranks below the max_incidents-th, a rank that only
//    rises, and any later alert that lifts it above carries the whole row
//    (first and last seen, events, risk, message).
//  - Accounts whose id was recycled: their peak risks in the histogram's 20
//    counters, and the options.top_entities riskiest with their names.
//
// Rendering is O(account ids + incidents x log incidents), once, at the end
// (about 70 ms and 0.5 MB of HTML for a million accounts and a full
// incident table; bench/replay_report_benchmark.cc). A replay that saves
// checkpoints saves this state too, whenever it keeps one (--report or
// --scores), and passes the whole run's summary in the ReportContext.
//
// Thread-compatible. Example:
//   ReplayReport report;
//   report.AddEvent(event.time_ms, event.account, risk);  // per event
//   report.AddAlert(alert);                                // in the sink
//   ReportContext context;
//   context.account_name = [&names](uint32_t id) { return names[id]; };
//   std::string html = report.RenderHtml(context);
#ifndef VIGIE_TOOLS_REPLAY_REPORT_H_
#define VIGIE_TOOLS_REPLAY_REPORT_H_

#include <array>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "detector/stats/state_codec.h"
#include "proto/alert.pb.h"
#include "tools/replay_report_internal.h"

namespace vigie {

struct ReportOptions {
  // Most buckets on the events-and-alerts chart. Default: 200.
  int time_buckets = 200;
  // Rows of the riskiest-accounts and riskiest-addresses tables.
  // Default: 20.
  int top_entities = 20;
  // Alerted accounts (and, separately, addresses) whose alert counts are
  // kept exactly; see the header comment. Default: 4,096.
  int tracked_entities = 4096;
  // Rows of the incident table. Default: 1,000.
  int max_incidents = 1000;
};

// What the report shows that the replay knows and the report does not
// gather itself: the run's configuration and its reading side.
struct ReportContext {
  std::vector<std::string> inputs;
  // "vigie" or "baseline": the rules baseline scores no events, so the
  // page then says so instead of drawing a risk distribution.
  std::string mode = "vigie";
  double alert_threshold = 60;
  // From ReplaySummary (for a resumed run, the whole run's).
  int64_t rejected = 0;
  std::map<std::string, int64_t> rejected_by_reason;
  int64_t late_events = 0;
  std::vector<std::string> inputs_cut_short;
  // Login name of an account id, as of the end of the run ("" if none).
  // Called at render time only.
  std::function<std::string(uint32_t account)> account_name;
};

class ReplayReport {
 public:
  // REQUIRES: every option is at least 1, time_buckets at least 2.
  explicit ReplayReport(const ReportOptions& options = ReportOptions());

  // One detected event: its event time, account id and the fused risk the
  // detector returned for it (0 when nothing scores events).
  void AddEvent(int64_t time_ms, uint32_t account, float risk) {
    ++events_;
    if (time_ms < first_event_ms_) first_event_ms_ = time_ms;
    if (time_ms > last_event_ms_) last_event_ms_ = time_ms;
    ++BucketAt(time_ms).events;
    if (account >= accounts_.size()) accounts_.resize(size_t{account} + 1);
    AccountActivity& activity = accounts_[account];
    if (risk > activity.peak_risk) activity.peak_risk = risk;
    if (activity.events != std::numeric_limits<uint32_t>::max()) {
      ++activity.events;
    }
  }

  // One alert as the sink received it (opened, updated or closed).
  void AddAlert(const v1::Alert& alert);

  // `account`'s id now names another account: keeps what the report shows
  // of the old one (its peak in the histogram; the account itself, named
  // `name`, if it is among the riskiest) and starts the id afresh.
  void RetireAccount(uint32_t account, absl::string_view name);

  // Peak fused risk of the account holding this id (0 if none).
  float peak_risk(uint32_t account) const {
    return account < accounts_.size() ? accounts_[account].peak_risk : 0.0f;
  }
  // One past the highest account id fed.
  uint32_t account_id_limit() const {
    return static_cast<uint32_t>(accounts_.size());
  }
  uint64_t events() const { return events_; }
  // Width of the chart's buckets, and how many there are.
  int64_t bucket_width_ms() const { return width_ms_; }
  int bucket_count() const {
    return located_ ? static_cast<int>(last_index_ - first_index_ + 1) : 0;
  }
  // The chart's buckets, earliest first, from the bucket of the earliest
  // time fed to that of the latest (empty ones included).
  std::vector<report_internal::TimelineBucket> Timeline() const;
  // Accounts by peak fused risk, bins of 5 (kRiskBins), retired ones
  // included.
  std::array<uint64_t, 20> RiskHistogram() const;

  // The page. Deterministic: the same state and context give the same
  // bytes.
  std::string RenderHtml(const ReportContext& context) const;

  // The whole state, versioned. Decode reads what Encode wrote: DataLoss
  // for a damaged or truncated encoding, FailedPrecondition for one made
  // with other options; on error the report is left unchanged.
  void Encode(StateWriter& w) const;
  absl::Status Decode(StateReader& r);

  // Risk histogram bins: [0, 5), [5, 10), ..., [95, 100].
  static constexpr int kRiskBins = 20;

 private:
  using AccountActivity = report_internal::AccountActivity;
  using Bucket = report_internal::Bucket;
  using EntityAlerts = report_internal::EntityAlerts;
  using IncidentRow = report_internal::IncidentRow;
  using RetiredAccount = report_internal::RetiredAccount;
  // Where an incident ranks: peak risk, then opening time, then id.
  struct IncidentRank {
    double peak_risk = 0;
    int64_t first_seen_ms = 0;
    std::string id;
    bool operator<(const IncidentRank& other) const;  // Ranks before.
  };

  Bucket& BucketAt(int64_t time_ms) {
    return time_ms >= hot_start_ms_ && time_ms < hot_end_ms_
               ? buckets_[hot_slot_]
               : Locate(time_ms);
  }
  // The slow path of BucketAt: widens the covered span, merging buckets
  // into a coarser width when it no longer fits.
  Bucket& Locate(int64_t time_ms);
  int64_t IndexOf(int64_t time_ms) const;
  void Coarsen();
  void NoteEntity(std::map<std::string, EntityAlerts>& entities,
                  const std::string& key, const v1::Alert& alert);
  void NoteIncident(const v1::Alert& alert);
  void TrimEntities(std::map<std::string, EntityAlerts>& entities);
  void TrimIncidents();

  ReportOptions options_;

  uint64_t events_ = 0;
  uint64_t alerts_ = 0;
  uint64_t incidents_ = 0;  // Opened.
  int64_t first_event_ms_ = std::numeric_limits<int64_t>::max();
  int64_t last_event_ms_ = std::numeric_limits<int64_t>::min();

  // Slot i holds bucket index first_index_ + i (of width width_ms_).
  bool located_ = false;
  int64_t width_ms_;
  int64_t first_index_ = 0;
  int64_t last_index_ = 0;
  std::vector<Bucket> buckets_;
  // The bucket hit last, so that AddEvent skips the division; not state.
  int64_t hot_start_ms_ = 0;
  int64_t hot_end_ms_ = 0;
  size_t hot_slot_ = 0;

  std::vector<AccountActivity> accounts_;  // By account id.
  uint64_t retired_accounts_ = 0;
  std::array<uint64_t, kRiskBins> retired_histogram_{};
  std::vector<RetiredAccount> retired_top_;  // Riskiest first.

  std::map<std::string, int64_t> alerts_by_rule_;
  std::map<std::string, EntityAlerts> alerted_accounts_;
  std::map<std::string, EntityAlerts> alerted_addresses_;
  std::map<std::string, IncidentRow> incidents_by_id_;
  // Once rows were dropped: the last row kept then. An incident not in the
  // table is admitted only if it ranks before it.
  bool incident_floor_set_ = false;
  IncidentRank incident_floor_;
};

}  // namespace vigie

#endif  // VIGIE_TOOLS_REPLAY_REPORT_H_
