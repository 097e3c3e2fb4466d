// ReplayReport: feeding, bounds and the state codec. The page itself is
// drawn in replay_report_html.cc.
#include "tools/replay_report.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <tuple>
#include <type_traits>
#include <utility>

#include "absl/base/macros.h"
#include "absl/strings/str_cat.h"
#include "detector/internal/status_macros.h"

namespace vigie {

using report_internal::AccountActivity;
using report_internal::Bucket;
using report_internal::EntityAlerts;
using report_internal::FloorDiv;
using report_internal::IncidentRow;
using report_internal::kBucketOriginMs;
using report_internal::NextBucketWidth;
using report_internal::RetiredAccount;
using report_internal::RiskBin;

namespace {

void AddBucket(const Bucket& from, Bucket& to) {
  to.events += from.events;
  for (size_t s = 0; s < to.alerts_by_severity.size(); ++s) {
    to.alerts_by_severity[s] += from.alerts_by_severity[s];
  }
  to.incidents_opened += from.incidents_opened;
}

int SeveritySlot(int32_t severity) {
  return std::clamp<int32_t>(severity, 1, 4) - 1;
}

// Ranks an entity before another: higher peak, more alerts, then name.
bool EntityRanksBefore(const std::string& a_key,
                       const EntityAlerts& a,
                       const std::string& b_key,
                       const EntityAlerts& b) {
  return std::make_tuple(-a.peak_risk, -a.alerts, std::cref(a_key)) <
         std::make_tuple(-b.peak_risk, -b.alerts, std::cref(b_key));
}

bool RetiredRanksBefore(const RetiredAccount& a,
                        const RetiredAccount& b) {
  return std::make_tuple(-a.peak_risk, -static_cast<int64_t>(a.events),
                         std::cref(a.name)) <
         std::make_tuple(-b.peak_risk, -static_cast<int64_t>(b.events),
                         std::cref(b.name));
}

// A risk score as alerts carry it: 0 to 100 (NaN is not).
bool IsRisk(double risk) { return risk >= 0 && risk <= 100; }

// -limit <= value <= limit (std::abs would overflow on the most negative).
bool Within(int64_t value, int64_t limit) {
  return value >= -limit && value <= limit;
}

constexpr uint32_t kMagic = 0x54505256;  // "VRPT", little-endian.
constexpr uint8_t kVersion = 1;

}  // namespace

bool ReplayReport::IncidentRank::operator<(const IncidentRank& other) const {
  return std::make_tuple(-peak_risk, first_seen_ms, std::cref(id)) <
         std::make_tuple(-other.peak_risk, other.first_seen_ms,
                         std::cref(other.id));
}

ReplayReport::ReplayReport(const ReportOptions& options)
    : options_(options),
      width_ms_(NextBucketWidth(0)),
      buckets_(static_cast<size_t>(std::max(2, options.time_buckets))) {
  ABSL_ASSERT(options.time_buckets >= 2 && options.top_entities >= 1 &&
              options.tracked_entities >= 1 && options.max_incidents >= 1);
}

int64_t ReplayReport::IndexOf(int64_t time_ms) const {
  return FloorDiv(time_ms - kBucketOriginMs, width_ms_);
}

Bucket& ReplayReport::Locate(int64_t time_ms) {
  int64_t index = IndexOf(time_ms);
  if (!located_) {
    located_ = true;
    first_index_ = last_index_ = index;
  } else {
    const int64_t slots = static_cast<int64_t>(buckets_.size());
    while (std::max(last_index_, index) - std::min(first_index_, index) >=
           slots) {
      Coarsen();
      index = IndexOf(time_ms);
    }
    if (index < first_index_) {
      // An earlier time than any before (out-of-order input): slot 0 is
      // always the earliest bucket, so the others move up.
      const int64_t used = last_index_ - first_index_ + 1;
      const int64_t shift = first_index_ - index;
      std::move_backward(buckets_.begin(), buckets_.begin() + used,
                         buckets_.begin() + used + shift);
      std::fill(buckets_.begin(), buckets_.begin() + shift, Bucket());
      first_index_ = index;
    }
    last_index_ = std::max(last_index_, index);
  }
  hot_slot_ = static_cast<size_t>(index - first_index_);
  hot_start_ms_ = kBucketOriginMs + index * width_ms_;
  hot_end_ms_ = hot_start_ms_ + width_ms_;
  return buckets_[hot_slot_];
}

void ReplayReport::Coarsen() {
  const int64_t wider = NextBucketWidth(width_ms_);
  const int64_t first = FloorDiv(first_index_ * width_ms_, wider);
  // In place: a slot's new position is never after its old one, and a
  // slot is emptied before anything is merged into it.
  const int64_t used = last_index_ - first_index_ + 1;
  for (int64_t slot = 0; slot < used; ++slot) {
    const Bucket moved = buckets_[slot];
    buckets_[slot] = Bucket();
    const int64_t target =
        FloorDiv((first_index_ + slot) * width_ms_, wider) - first;
    AddBucket(moved, buckets_[target]);
  }
  last_index_ = FloorDiv(last_index_ * width_ms_, wider);
  first_index_ = first;
  width_ms_ = wider;
  hot_end_ms_ = hot_start_ms_;  // Forget the hot bucket.
}

std::vector<report_internal::TimelineBucket> ReplayReport::Timeline() const {
  std::vector<report_internal::TimelineBucket> timeline;
  timeline.reserve(bucket_count());
  for (int i = 0; i < bucket_count(); ++i) {
    timeline.push_back(report_internal::TimelineBucket{
        kBucketOriginMs + (first_index_ + i) * width_ms_, buckets_[i]});
  }
  return timeline;
}

std::array<uint64_t, 20> ReplayReport::RiskHistogram() const {
  static_assert(kRiskBins == 20, "");
  std::array<uint64_t, kRiskBins> histogram = retired_histogram_;
  for (const AccountActivity& a : accounts_) {
    if (a.events > 0) ++histogram[RiskBin(a.peak_risk)];
  }
  return histogram;
}

void ReplayReport::AddAlert(const v1::Alert& alert) {
  ++alerts_;
  const bool opened = alert.incident_state() == v1::INCIDENT_OPENED;
  if (opened) ++incidents_;
  ++alerts_by_rule_[alert.rule_name()];
  Bucket& bucket = BucketAt(alert.time_ms());
  ++bucket.alerts_by_severity[SeveritySlot(alert.severity())];
  if (opened) ++bucket.incidents_opened;
  if (!alert.account().empty()) {
    NoteEntity(alerted_accounts_, alert.account(), alert);
  }
  if (!alert.source_ip().empty()) {
    NoteEntity(alerted_addresses_, alert.source_ip(), alert);
  }
  NoteIncident(alert);
}

void ReplayReport::NoteEntity(std::map<std::string, EntityAlerts>& entities,
                              const std::string& key, const v1::Alert& alert) {
  auto [it, inserted] = entities.try_emplace(key);
  EntityAlerts& entity = it->second;
  ++entity.alerts;
  if (alert.incident_state() == v1::INCIDENT_OPENED) ++entity.incidents;
  if (inserted || alert.time_ms() > entity.last_alert_ms) {
    entity.last_alert_ms = alert.time_ms();
  }
  if (inserted || alert.risk_score() > entity.peak_risk) {
    entity.peak_risk = alert.risk_score();
    entity.peak_rule = alert.rule_name();
  }
  if (entities.size() >=
      2 * static_cast<size_t>(options_.tracked_entities)) {
    TrimEntities(entities);
  }
}

void ReplayReport::TrimEntities(
    std::map<std::string, EntityAlerts>& entities) {
  using Entry = std::map<std::string, EntityAlerts>::iterator;
  std::vector<Entry> entries;
  entries.reserve(entities.size());
  for (Entry it = entities.begin(); it != entities.end(); ++it) {
    entries.push_back(it);
  }
  const size_t keep = static_cast<size_t>(options_.tracked_entities);
  std::nth_element(entries.begin(), entries.begin() + keep, entries.end(),
                   [](const Entry& a, const Entry& b) {
                     return EntityRanksBefore(a->first, a->second, b->first,
                                              b->second);
                   });
  for (size_t i = keep; i < entries.size(); ++i) entities.erase(entries[i]);
}

void ReplayReport::NoteIncident(const v1::Alert& alert) {
  const std::string& id = alert.incident_id();
  if (id.empty()) return;
  const int64_t first_seen =
      alert.first_seen_ms() != 0 ? alert.first_seen_ms() : alert.time_ms();
  const bool closed = alert.incident_state() == v1::INCIDENT_CLOSED;
  auto it = incidents_by_id_.find(id);
  if (it == incidents_by_id_.end()) {
    if (incident_floor_set_ &&
        !(IncidentRank{alert.risk_score(), first_seen, id} <
          incident_floor_)) {
      return;  // Cannot reach the table.
    }
    IncidentRow& row = incidents_by_id_[id];
    row.id = id;
    row.rule = alert.rule_name();
    row.account = alert.account();
    row.source_ip = alert.source_ip();
    row.message = alert.message();
    row.first_seen_ms = first_seen;
    row.last_seen_ms = std::max(alert.last_seen_ms(), first_seen);
    row.event_count = alert.event_count();
    row.peak_risk = alert.risk_score();
    row.severity = alert.severity();
    row.action = alert.recommended_action();
    row.closed = closed;
    if (incidents_by_id_.size() >=
        2 * static_cast<size_t>(options_.max_incidents)) {
      TrimIncidents();
    }
    return;
  }
  IncidentRow& row = it->second;
  row.first_seen_ms = std::min(row.first_seen_ms, first_seen);
  row.last_seen_ms = std::max(row.last_seen_ms, alert.last_seen_ms());
  row.event_count = std::max<uint64_t>(row.event_count, alert.event_count());
  row.closed = row.closed || closed;
  if (row.account.empty()) row.account = alert.account();
  if (row.source_ip.empty()) row.source_ip = alert.source_ip();
  if (alert.risk_score() > row.peak_risk) {
    row.peak_risk = alert.risk_score();
    row.severity = alert.severity();
    row.action = alert.recommended_action();
    // A closing alert's message says how the incident ended, not why it
    // was raised: keep the explanation at the peak.
    if (!closed) row.message = alert.message();
  }
}

void ReplayReport::TrimIncidents() {
  using Entry = std::map<std::string, IncidentRow>::iterator;
  std::vector<std::pair<IncidentRank, Entry>> ranked;
  ranked.reserve(incidents_by_id_.size());
  for (Entry it = incidents_by_id_.begin(); it != incidents_by_id_.end();
       ++it) {
    ranked.emplace_back(
        IncidentRank{it->second.peak_risk, it->second.first_seen_ms, it->first},
        it);
  }
  const size_t keep = static_cast<size_t>(options_.max_incidents);
  std::nth_element(
      ranked.begin(), ranked.begin() + (keep - 1), ranked.end(),
      [](const auto& a, const auto& b) { return a.first < b.first; });
  // After nth_element, [0, keep - 1) rank before ranked[keep - 1] and the
  // rest after it.
  incident_floor_ = ranked[keep - 1].first;
  incident_floor_set_ = true;
  for (size_t i = keep; i < ranked.size(); ++i) {
    incidents_by_id_.erase(ranked[i].second);
  }
}

void ReplayReport::RetireAccount(uint32_t account, absl::string_view name) {
  if (account >= accounts_.size()) return;
  AccountActivity& activity = accounts_[account];
  if (activity.events > 0) {
    ++retired_accounts_;
    ++retired_histogram_[RiskBin(activity.peak_risk)];
    const size_t top = static_cast<size_t>(options_.top_entities);
    RetiredAccount candidate{std::string(), activity.peak_risk,
                             activity.events};
    const bool qualifies =
        retired_top_.size() < top ||
        std::make_tuple(-candidate.peak_risk,
                        -static_cast<int64_t>(candidate.events)) <
            std::make_tuple(-retired_top_.back().peak_risk,
                            -static_cast<int64_t>(retired_top_.back().events));
    if (qualifies) {
      candidate.name = std::string(name);
      retired_top_.insert(
          std::upper_bound(retired_top_.begin(), retired_top_.end(),
                           candidate, RetiredRanksBefore),
          std::move(candidate));
      if (retired_top_.size() > top) retired_top_.pop_back();
    }
  }
  activity = AccountActivity();
}

// ---------------------------------------------------------------------------
// State codec.

namespace {

void PutEntities(const std::map<std::string, EntityAlerts>& m,
                 StateWriter& w) {
  w.Put<uint64_t>(m.size());
  for (const auto& [key, e] : m) {
    w.PutBytes(key);
    w.Put(e.peak_risk);
    w.Put(e.alerts);
    w.Put(e.incidents);
    w.Put(e.last_alert_ms);
    w.PutBytes(e.peak_rule);
  }
}

void GetEntities(StateReader& r, size_t max_size,
                 std::map<std::string, EntityAlerts>* m) {
  const uint64_t n = r.Get<uint64_t>();
  if (n > max_size) r.Fail();
  for (uint64_t i = 0; r.ok() && i < n; ++i) {
    const std::string key(r.GetBytes());
    EntityAlerts e;
    e.peak_risk = r.Get<double>();
    e.alerts = r.Get<int64_t>();
    e.incidents = r.Get<int64_t>();
    e.last_alert_ms = r.Get<int64_t>();
    e.peak_rule = std::string(r.GetBytes());
    if (!IsRisk(e.peak_risk) || e.alerts < 1 || e.incidents < 0 ||
        key.empty()) {
      r.Fail();
    }
    if (!m->emplace(key, std::move(e)).second) r.Fail();  // Duplicate key.
  }
}

}  // namespace

void ReplayReport::Encode(StateWriter& w) const {
  w.Put(kMagic);
  w.Put(kVersion);
  w.Put<int32_t>(options_.time_buckets);
  w.Put<int32_t>(options_.top_entities);
  w.Put<int32_t>(options_.tracked_entities);
  w.Put<int32_t>(options_.max_incidents);

  w.Put(events_);
  w.Put(alerts_);
  w.Put(incidents_);
  w.Put(first_event_ms_);
  w.Put(last_event_ms_);

  w.Put<uint8_t>(located_ ? 1 : 0);
  w.Put(width_ms_);
  w.Put(first_index_);
  w.Put(last_index_);
  for (int i = 0; i < bucket_count(); ++i) {
    const Bucket& b = buckets_[i];
    w.Put(b.events);
    for (uint32_t count : b.alerts_by_severity) w.Put(count);
    w.Put(b.incidents_opened);
  }

  static_assert(sizeof(AccountActivity) == 8 &&
                    std::is_trivially_copyable<AccountActivity>::value,
                "encoded as raw bytes");
  w.PutBytes(absl::string_view(reinterpret_cast<const char*>(accounts_.data()),
                               accounts_.size() * sizeof(AccountActivity)));
  w.Put(retired_accounts_);
  for (uint64_t count : retired_histogram_) w.Put(count);
  w.Put<uint64_t>(retired_top_.size());
  for (const RetiredAccount& account : retired_top_) {
    w.PutBytes(account.name);
    w.Put(account.peak_risk);
    w.Put(account.events);
  }

  w.Put<uint64_t>(alerts_by_rule_.size());
  for (const auto& [rule, count] : alerts_by_rule_) {
    w.PutBytes(rule);
    w.Put(count);
  }
  PutEntities(alerted_accounts_, w);
  PutEntities(alerted_addresses_, w);

  w.Put<uint8_t>(incident_floor_set_ ? 1 : 0);
  w.Put(incident_floor_.peak_risk);
  w.Put(incident_floor_.first_seen_ms);
  w.PutBytes(incident_floor_.id);
  w.Put<uint64_t>(incidents_by_id_.size());
  for (const auto& [id, row] : incidents_by_id_) {
    w.PutBytes(row.id);
    w.PutBytes(row.rule);
    w.PutBytes(row.account);
    w.PutBytes(row.source_ip);
    w.PutBytes(row.message);
    w.Put(row.first_seen_ms);
    w.Put(row.last_seen_ms);
    w.Put(row.event_count);
    w.Put(row.peak_risk);
    w.Put(row.severity);
    w.Put(row.action);
    w.Put<uint8_t>(row.closed ? 1 : 0);
  }
}

absl::Status ReplayReport::Decode(StateReader& r) {
  constexpr absl::string_view kWhat = "replay report";
  if (r.Get<uint32_t>() != kMagic || r.Get<uint8_t>() != kVersion) r.Fail();
  ReportOptions encoded;
  encoded.time_buckets = r.Get<int32_t>();
  encoded.top_entities = r.Get<int32_t>();
  encoded.tracked_entities = r.Get<int32_t>();
  encoded.max_incidents = r.Get<int32_t>();
  VIGIE_RETURN_IF_ERROR(r.Check(kWhat));
  if (encoded.time_buckets != options_.time_buckets ||
      encoded.top_entities != options_.top_entities ||
      encoded.tracked_entities != options_.tracked_entities ||
      encoded.max_incidents != options_.max_incidents) {
    return absl::FailedPreconditionError(
        "replay report: saved with other report options");
  }

  ReplayReport d(options_);
  d.events_ = r.Get<uint64_t>();
  d.alerts_ = r.Get<uint64_t>();
  d.incidents_ = r.Get<uint64_t>();
  d.first_event_ms_ = r.Get<int64_t>();
  d.last_event_ms_ = r.Get<int64_t>();
  if (d.incidents_ > d.alerts_) r.Fail();
  const int64_t max_time = report_internal::kMaxEventTimeMagnitudeMs;
  if (d.events_ > 0
          ? d.first_event_ms_ > d.last_event_ms_ ||
                !Within(d.first_event_ms_, max_time) ||
                !Within(d.last_event_ms_, max_time)
          : d.first_event_ms_ != std::numeric_limits<int64_t>::max() ||
                d.last_event_ms_ != std::numeric_limits<int64_t>::min()) {
    r.Fail();
  }

  const uint8_t located = r.Get<uint8_t>();
  d.located_ = located == 1;
  d.width_ms_ = r.Get<int64_t>();
  d.first_index_ = r.Get<int64_t>();
  d.last_index_ = r.Get<int64_t>();
  if (located > 1 || !report_internal::IsBucketWidth(d.width_ms_)) r.Fail();
  // Indices of bucket start times within the range of event times.
  const int64_t index_limit = r.ok() ? max_time / d.width_ms_ + 1 : 0;
  if (d.located_ &&
      (!Within(d.first_index_, index_limit) ||
       !Within(d.last_index_, index_limit) ||
       d.last_index_ < d.first_index_ ||
       d.last_index_ - d.first_index_ >= options_.time_buckets)) {
    r.Fail();
  }
  for (int i = 0; r.ok() && i < d.bucket_count(); ++i) {
    Bucket& b = d.buckets_[i];
    b.events = r.Get<uint64_t>();
    for (uint32_t& count : b.alerts_by_severity) count = r.Get<uint32_t>();
    b.incidents_opened = r.Get<uint32_t>();
  }

  const absl::string_view accounts = r.GetBytes();
  if (accounts.size() % sizeof(AccountActivity) != 0) r.Fail();
  if (r.ok()) {
    d.accounts_.resize(accounts.size() / sizeof(AccountActivity));
    // An empty section's pointers may be null, which memcpy may not take.
    if (!accounts.empty()) {
      memcpy(d.accounts_.data(), accounts.data(), accounts.size());
    }
    for (const AccountActivity& a : d.accounts_) {
      if (!IsRisk(a.peak_risk)) r.Fail();
    }
  }
  d.retired_accounts_ = r.Get<uint64_t>();
  for (uint64_t& count : d.retired_histogram_) count = r.Get<uint64_t>();
  const uint64_t retired = r.Get<uint64_t>();
  if (retired > static_cast<uint64_t>(options_.top_entities) ||
      retired > d.retired_accounts_) {
    r.Fail();
  }
  for (uint64_t i = 0; r.ok() && i < retired; ++i) {
    RetiredAccount account;
    account.name = std::string(r.GetBytes());
    account.peak_risk = r.Get<float>();
    account.events = r.Get<uint32_t>();
    if (!IsRisk(account.peak_risk) ||
        (!d.retired_top_.empty() &&
         RetiredRanksBefore(account, d.retired_top_.back()))) {
      r.Fail();
    }
    d.retired_top_.push_back(std::move(account));
  }

  const uint64_t rules = r.Get<uint64_t>();
  for (uint64_t i = 0; r.ok() && i < rules; ++i) {
    std::string rule(r.GetBytes());
    const int64_t count = r.Get<int64_t>();
    if (count < 1 || !d.alerts_by_rule_.emplace(std::move(rule), count).second) {
      r.Fail();
    }
  }
  const size_t max_entities = 2 * static_cast<size_t>(options_.tracked_entities);
  GetEntities(r, max_entities, &d.alerted_accounts_);
  GetEntities(r, max_entities, &d.alerted_addresses_);

  const uint8_t floor_set = r.Get<uint8_t>();
  d.incident_floor_set_ = floor_set == 1;
  d.incident_floor_.peak_risk = r.Get<double>();
  d.incident_floor_.first_seen_ms = r.Get<int64_t>();
  d.incident_floor_.id = std::string(r.GetBytes());
  if (floor_set > 1 || !IsRisk(d.incident_floor_.peak_risk)) r.Fail();
  const uint64_t rows = r.Get<uint64_t>();
  if (rows >= 2 * static_cast<uint64_t>(options_.max_incidents)) r.Fail();
  for (uint64_t i = 0; r.ok() && i < rows; ++i) {
    IncidentRow row;
    row.id = std::string(r.GetBytes());
    row.rule = std::string(r.GetBytes());
    row.account = std::string(r.GetBytes());
    row.source_ip = std::string(r.GetBytes());
    row.message = std::string(r.GetBytes());
    row.first_seen_ms = r.Get<int64_t>();
    row.last_seen_ms = r.Get<int64_t>();
    row.event_count = r.Get<uint64_t>();
    row.peak_risk = r.Get<double>();
    row.severity = r.Get<int32_t>();
    row.action = r.Get<int32_t>();
    const uint8_t closed = r.Get<uint8_t>();
    row.closed = closed == 1;
    if (row.id.empty() || closed > 1 || !IsRisk(row.peak_risk) ||
        row.last_seen_ms < row.first_seen_ms ||
        !Within(row.first_seen_ms, max_time) ||
        !Within(row.last_seen_ms, max_time)) {
      r.Fail();
    }
    std::string id = row.id;
    if (!d.incidents_by_id_.emplace(std::move(id), std::move(row)).second) {
      r.Fail();
    }
  }
  VIGIE_RETURN_IF_ERROR(r.Check(kWhat));
  *this = std::move(d);
  return absl::OkStatus();
}

}  // namespace vigie
