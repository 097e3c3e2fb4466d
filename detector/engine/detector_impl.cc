// The detection engine behind Detector::Create: entity tables, the shared
// novelty filter, peer baselines, the signal families, fusion and
// incidents.
#include <algorithm>
#include <cassert>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "detector/alerts/explain.h"
#include "detector/alerts/incident_tracker.h"
#include "detector/alerts/severity.h"
#include "detector/detector.h"
#include "detector/engine/entity_state.h"
#include "detector/engine/login_population.h"
#include "detector/geo/location_database.h"
#include "detector/internal/fork_join.h"
#include "detector/internal/stable_hash.h"
#include "detector/signals/bulk_export.h"
#include "detector/signals/credential_attacks.h"
#include "detector/signals/login_risk.h"
#include "detector/signals/lookup_enumeration.h"
#include "detector/signals/peer_deviation.h"
#include "detector/signals/shared_infrastructure.h"
#include "detector/stats/bucket_clock.h"
#include "detector/stats/entity_table.h"
#include "detector/stats/novelty_filter.h"
#include "detector/stats/state_codec.h"
#include "proto/snapshot.pb.h"

namespace vigie {
namespace engine {
namespace {


// The options with hosting_asns sorted and without repeats, as
// IsHostingAs searches them.
DetectorOptions SortedHostingAsns(DetectorOptions options) {
  std::vector<uint32_t>& asns = options.hosting_asns;
  std::sort(asns.begin(), asns.end());
  asns.erase(std::unique(asns.begin(), asns.end()), asns.end());
  return options;
}

v1::RecommendedAction ActionFor(Family family, double risk) {
  switch (family) {
    case Family::kLookupEnumeration:
      return risk >= 90 ? v1::SUSPEND_ACCOUNT : v1::FORCE_PASSWORD_RESET;
    case Family::kLoginRisk:
      return risk >= 80 ? v1::FORCE_PASSWORD_RESET : v1::REQUIRE_STEP_UP;
    case Family::kCredentialAttack:
      return v1::FORCE_PASSWORD_RESET;
    case Family::kSharedInfrastructure:
      return v1::BLOCK_NETWORK;
    case Family::kBulkExport:
      return v1::SUSPEND_ACCOUNT;
    case Family::kPeerGroup:
      return risk >= 80 ? v1::FORCE_PASSWORD_RESET : v1::REVIEW;
  }
  return v1::REVIEW;
}

// Whether the peer baselines learn from the lookup `e`
// (DetectorOptions::peer_sample_one_in): a hash of the subject's keyed
// pseudonym, the time and the account at most `threshold`, which is
// 2^64 / one_in rounded down (all of them for 1). Only the event decides,
// so shards, threads and resumes all choose the same lookups.
bool PeerSampleChosen(const Event& e, uint64_t threshold) {
  const uint64_t h = internal::SplitMix64(
      e.subject ^ internal::SplitMix64(static_cast<uint64_t>(e.time_ms) ^
                                       (uint64_t{e.account} << 44)));
  return h <= threshold;
}

// How the snapshot sections write an entity's key: an account id as it
// is, an address as its two halves.
void PutKey(StateWriter& w, uint32_t id) { w.Put(id); }
void PutKey(StateWriter& w, const IpAddress& ip) {
  w.Put(ip.hi());
  w.Put(ip.lo());
}
void GetKey(StateReader& r, uint32_t* id) { *id = r.Get<uint32_t>(); }
void GetKey(StateReader& r, IpAddress* ip) {
  const uint64_t hi = r.Get<uint64_t>();
  const uint64_t lo = r.Get<uint64_t>();
  *ip = IpAddress::FromHalves(hi, lo);
}

// The snapshot section of one of the engine's tables: each entity's key,
// then its state.
template <typename Key, typename State>
std::string EncodeTable(const EntityTable<Key, State>& table,
                        void (*encode)(StateWriter&, const State&)) {
  StateWriter w;
  table.Encode(w, [encode](StateWriter& out, const Key& key,
                           const State& state) {
    PutKey(out, key);
    encode(out, state);
  });
  return w.data();
}
template <typename Key, typename State>
absl::Status RestoreTable(absl::string_view section,
                          EntityTable<Key, State>& table,
                          bool (*decode)(StateReader&, State*)) {
  StateReader r(section);
  return table.Restore(r, [decode](StateReader& in, Key* key, State* state) {
    GetKey(in, key);
    return decode(in, state);
  });
}

// The version of SaveState's vigie.v1.Snapshot. 3: the accounts' failure
// and export windows in sections of their own (account_windows/N).
constexpr uint32_t kSnapshotFormatVersion = 4;

// One of the engine's tables; InvalidArgument when the state budget leaves
// it too little room.
template <typename Key, typename State>
absl::StatusOr<EntityTable<Key, State>> CreateTable(
    const EntityTableOptions& options) {
  absl::StatusOr<EntityTable<Key, State>> table =
      EntityTable<Key, State>::Create(options);
  if (!table.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "detector: max_state_bytes too small: ", table.status().message()));
  }
  return table;
}

// The memory the open incidents may take: 1/16 of the state budget.
size_t IncidentBytesFor(const DetectorOptions& options) {
  return options.max_state_bytes / 16;
}

// What one profession's baseline takes once it has learned a sample: its
// two generations of five sketches (PeerBaseline::Rotate reserves them,
// ~40 KiB), the peer model and the rest, rounded up.
constexpr size_t kPeerBaselineBytes = 48 << 10;
// The professions given a baseline of their own: as many as 1/32 of the
// state budget holds (341 at the default 512 MiB; a portal has tens), at
// most 4,097 and at least 2. Professions beyond share profession 0's (that
// of events with none), so that a log naming ever-new professions cannot
// grow the detector past its budget.
size_t MaxPeerBaselines(const DetectorOptions& options) {
  return std::clamp<size_t>(options.max_state_bytes / 32 / kPeerBaselineBytes,
                            2, 4097);
}

bool InNetwork(const IpAddress& ip, const DetectorOptions::Network& net) {
  const int bits = net.address.is_v4() ? 96 + net.prefix_length
                                       : net.prefix_length;
  if (bits <= 0) return true;
  const uint64_t hi_mask = bits >= 64 ? ~uint64_t{0} : ~uint64_t{0} << (64 - bits);
  const uint64_t lo_mask =
      bits <= 64 ? 0 : (bits >= 128 ? ~uint64_t{0} : ~uint64_t{0} << (128 - bits));
  return (ip.hi() & hi_mask) == (net.address.hi() & hi_mask) &&
         (ip.lo() & lo_mask) == (net.address.lo() & lo_mask);
}

// How an event's processing is split, so that detection can use several
// threads and still produce the same output for any thread count:
//
//  A. serial, per event in order: watermark, late events, peer-epoch
//     boundaries, everything keyed by address (credential attacks from an
//     address, shared infrastructure), the account's shard;
//  B. in parallel, one shard per worker at a time: everything keyed by
//     account (lookup enumeration, login risk, the account side of
//     credential attacks, bulk export, peer deviation, fusion); peer
//     baselines are read-only here (frozen for the epoch);
//  C. serial, per event in order: incidents (address then account alerts),
//     peer learning.
//
// A batch is cut wherever the peer epoch changes, so B never reads a
// baseline that C of the same batch changes. Observe is a batch of one.
constexpr int64_t kEpochMs = 60 * 1000;
constexpr size_t kMaxBatch = 4096;

struct AccountReport {
  std::array<SignalScore, kFamilyCount> family;
  Family best;
  double risk;
};

struct AddressReport {
  SignalScore score;
  Family family;
  // For a spraying or stuffing address: the accounts it logged into in
  // the last hour, before it was recognised (RecentLoginsFrom).
  std::array<uint32_t, kAddressAccountsTracked> fallen;
  int fallen_count = 0;
};

// A successful login's context, from phase A (address side) to B.
struct LoginContext {
  SignalScore shared;
  SignalScore attacking_address;  // The address is spraying or stuffing.
  LoginOrigin origin;
};

struct PeerSample {
  uint32_t profession;
  bool lookup;  // Else an export.
  double minute, hour, day;
  PeerFeatures features;
  double distance2;
  // In the profession's baseline and the population's (WeighLookup).
  PeerSampleWeights weights, everyone_weights;
};

// What phase A finds for one event, for phase C (indices into per-batch
// vectors; -1 for none). Phase B reads none of it: it gets its own copy of
// what it needs in its part's list (see Assignment).
struct Slot {
  uint32_t shard = 0;
  uint32_t part = 0;  // Of phase B: shard % parts.
  int32_t login = -1;  // Successful logins: index into logins_.
  int32_t address_report = -1;
};

// One event of a part of phase B: the event, and what phase A found that
// B needs.
struct Assignment {
  uint32_t index;  // In the batch.
  uint32_t shard;
  int32_t login;  // As Slot::login.
};

// What phase B finds for one event, for phase C (indices into the shard's
// per-batch vectors; -1 for none).
struct AccountOutcome {
  double risk = 0;
  int32_t account_report = -1;
  int32_t sample = -1;
  // A successful login's likelihood ratio, and whether the population
  // learns it.
  double log10_ratio = 0;
  bool learn_ratio = false;
};

// Phase B is cut into as many parts as it has threads, each the events of
// every shard s with s % parts equal to its index, in batch order: one
// long list per part keeps the look-ahead prefetch running (a list per
// shard restarted it at every shard, and one thread lost 14%). A part is a
// unit of ForkJoin, run by whichever thread claims it. It is written only
// by phase A before B starts and by that thread during B: two threads
// never write the same cache line. (When they shared one array of
// per-event slots, each writing the events of its own shards, the lines
// passed from core to core at nearly every event, and two threads
// detected no faster than one.)
struct PartWork {
  explicit PartWork(const WindowSpec* spec) : clock(spec) {}

  std::vector<Assignment> assignments;
  std::vector<AccountOutcome> outcomes;  // One per assignment.
  // The account's table slot, found when its state was prefetched; by
  // position in `assignments`.
  std::vector<uint32_t> hints;
  size_t next = 0;  // Phase C's place in `outcomes`.
  BucketClock clock;  // Of the part's events, in order.
};

struct Shard {
  EntityTable<uint32_t, AccountState> accounts;
  // Of the accounts that failed a login or exported lately (see
  // AccountFailuresAndExports).
  EntityTable<uint32_t, AccountFailuresAndExports> account_windows;
  std::unique_ptr<NoveltyFilter> novelty;
  std::vector<AccountReport> reports;  // Of the current batch.
  std::vector<PeerSample> samples;     // Of the current batch.
};

class DetectorImpl : public Detector {
 public:
  DetectorImpl(const DetectorOptions& options, AccountNamer namer,
               AlertSink* sink, EntityTableOptions account_table_options,
               EntityTableOptions account_windows_table_options,
               EntityTableOptions address_table_options,
               EntityTableOptions address_few_failures_table_options,
               EntityTableOptions address_failure_table_options,
               EntityTableOptions address_accounts_table_options,
               NoveltyFilter::Options novelty_options,
               std::vector<Shard> shards,
               EntityTable<IpAddress, AddressState> addresses,
               EntityTable<IpAddress, AddressFewFailures> address_few_failures,
               EntityTable<IpAddress, AddressFailures> address_failures,
               EntityTable<IpAddress, AddressAccounts> address_accounts,
               std::unique_ptr<LocationDatabase> locations,
               int population_width_bits)
      : options_(SortedHostingAsns(options)),
        account_table_options_(account_table_options),
        account_windows_table_options_(account_windows_table_options),
        address_table_options_(address_table_options),
        address_few_failures_table_options_(address_few_failures_table_options),
        address_failure_table_options_(address_failure_table_options),
        address_accounts_table_options_(address_accounts_table_options),
        novelty_options_(novelty_options),
        namer_(std::move(namer)),
        tracker_(options.quiet_to_close, sink, options.update_step,
                 IncidentBytesFor(options)),
        shards_(std::move(shards)),
        addresses_(std::move(addresses)),
        address_few_failures_(std::move(address_few_failures)),
        address_failures_(std::move(address_failures)),
        address_accounts_(std::move(address_accounts)),
        locations_(std::move(locations)),
        population_(population_width_bits),
        allowlisted_names_(options.allowlisted_accounts.begin(),
                           options.allowlisted_accounts.end()),
        pool_(options.threads),
        peer_sample_threshold_(UINT64_MAX / options.peer_sample_one_in),
        account_learning_period_ms_(
            absl::ToInt64Milliseconds(options.account_learning_period)) {
    // Room for a batch of one from the start, so that Observe never
    // allocates for known entities; batches grow these once, to their
    // high-water mark.
    slots_.reserve(kMaxBatch);
    logins_.reserve(16);
    shard_remainder_factor_ = ~uint64_t{0} / shards_.size() + 1;
    const int parts = pool_.threads();
    parts_.reserve(parts);
    for (int i = 0; i < parts; ++i) parts_.emplace_back(&options_.windows);
    for (size_t i = 0; i < shards_.size(); ++i) {
      part_of_shard_.push_back(static_cast<uint32_t>(i % parts));
    }
    for (PartWork& part : parts_) {
      part.assignments.reserve(kMaxBatch);
      part.outcomes.reserve(kMaxBatch);
      part.hints.reserve(kMaxBatch);
    }
    address_reports_.reserve(16);
    for (Shard& shard : shards_) {
      shard.reports.reserve(16);
      shard.samples.reserve(16);
    }
  }

  double Observe(const Event& e) override {
    double risk = 0;
    Process(absl::MakeConstSpan(&e, 1), absl::MakeSpan(&risk, 1));
    return risk;
  }

  void ObserveBatch(absl::Span<const Event> events) override {
    Process(events, absl::Span<double>());
  }
  void ObserveBatch(absl::Span<const Event> events,
                    absl::Span<double> risks) override {
    Process(events, risks);
  }

  void ForgetAccount(uint32_t account) override {
    shards_[ShardOf(account)].accounts.Erase(account);
    shards_[ShardOf(account)].account_windows.Erase(account);
    if (account < known_accounts_.size()) known_accounts_[account] = false;
    allowlist_cache_.erase(account);
  }

  std::string SaveState() const override;
  absl::Status RestoreState(absl::string_view bytes) override {
    absl::Status status = Restore(bytes);
    if (!status.ok()) Reset();
    return status;
  }
  void Flush() override { tracker_.Flush(); }

  Stats stats() const override {
    Stats s;
    s.events = events_;
    s.late_events = late_events_;
    s.addresses = addresses_.size();
    s.evicted_addresses = addresses_.evictions();
    s.evicted_address_failures =
        address_few_failures_.evictions() + address_failures_.evictions();
    s.evicted_address_accounts = address_accounts_.evictions();
    s.address_failure_table_bytes =
        address_few_failures_.bytes() + address_failures_.bytes();
    s.address_table_bytes = addresses_.bytes() +
                            s.address_failure_table_bytes +
                            address_accounts_.bytes();
    s.addresses_with_failures =
        address_few_failures_.size() + address_failures_.size();
    s.addresses_with_many_failures = address_failures_.size();
    s.address_accounts_table_bytes = address_accounts_.bytes();
    s.addresses_with_account_sets = address_accounts_.size();
    for (const Shard& shard : shards_) {
      s.accounts += shard.accounts.size();
      s.evicted_accounts += shard.accounts.evictions();
      s.account_table_bytes +=
          shard.accounts.bytes() + shard.account_windows.bytes();
      s.account_windows_table_bytes += shard.account_windows.bytes();
      s.accounts_with_windows += shard.account_windows.size();
      s.evicted_account_windows += shard.account_windows.evictions();
      s.novelty_bytes += shard.novelty->bytes();
    }
    s.state_bytes = s.address_table_bytes + s.account_table_bytes +
                    s.novelty_bytes + known_accounts_.capacity() / 8 +
                    population_.bytes() + tracker_.bytes();
    return s;
  }

 private:
  uint32_t ShardOf(uint32_t account) const {
    const uint32_t h = static_cast<uint32_t>(
        (account * uint64_t{0x9e3779b97f4a7c15}) >> 32);
    // h % shards, by Lemire's multiply-shift remainder (exact for every
    // 32-bit h): a 64-bit division per event was ~2% of detection.
    const uint32_t shard = static_cast<uint32_t>(
        (static_cast<unsigned __int128>(shard_remainder_factor_ * h) *
         shards_.size()) >>
        64);
    assert(shard == h % shards_.size());
    return shard;
  }

  void Process(absl::Span<const Event> events, absl::Span<double> risks) {
    // The first events' account side (index, novelty block, then state) is
    // requested before the address side runs, so that for a single Observe
    // the two sides' cache misses overlap; later events are prefetched in
    // phase B's look-ahead.
    for (size_t i = 0; i < std::min(events.size(), kPrefetchIndexAhead); ++i) {
      PrefetchIndex(events[i], ShardOf(events[i].account));
    }
    for (size_t i = 0; i < std::min(events.size(), kPrefetchStateAhead); ++i) {
      PrefetchState(events[i], shards_[ShardOf(events[i].account)]);
    }
    size_t begin = 0;
    while (begin < events.size()) {
      // Phase A, up to the next epoch boundary or kMaxBatch events.
      slots_.clear();
      logins_.clear();
      address_reports_.clear();
      for (PartWork& part : parts_) {
        part.assignments.clear();
        part.next = 0;
      }
      size_t end = begin;
      for (; end < events.size() && end - begin < kMaxBatch; ++end) {
        const Event& e = events[end];
        const int64_t epoch = EpochOf(e.time_ms);
        if (epoch != epoch_) {
          if (end > begin) break;  // B and C first, then refresh.
          RefreshPeers(epoch);
        }
        Slot& slot = slots_.emplace_back();
        AddressPhase(e, slot);
        parts_[slot.part].assignments.push_back(Assignment{
            static_cast<uint32_t>(end - begin), slot.shard, slot.login});
      }
      // Phase B.
      const absl::Span<const Event> batch = events.subspan(begin, end - begin);
      for (Shard& shard : shards_) {
        shard.reports.clear();
        shard.samples.clear();
      }
      pool_.Run(static_cast<int>(parts_.size()),
                [&](int part) { AccountPhases(batch, parts_[part]); });
      // Phase C.
      for (size_t i = 0; i < batch.size(); ++i) {
        const Slot& slot = slots_[i];
        PartWork& part = parts_[slot.part];
        const AccountOutcome& outcome = part.outcomes[part.next++];
        IncidentAndLearningPhase(batch[i], slot, outcome);
        if (!risks.empty()) risks[begin + i] = outcome.risk;
      }
      begin = end;
    }
  }

  int64_t EpochOf(int64_t time_ms) const {
    const int64_t watermark =
        watermark_set_ ? std::max(watermark_ms_, time_ms) : time_ms;
    return watermark >= 0 ? watermark / kEpochMs
                          : -((-watermark + kEpochMs - 1) / kEpochMs);
  }

  // A new epoch: the peer baselines are refreshed as they are first used
  // in it (EnsureFresh, from phase A), so that the first event of a minute
  // does not pay for every profession's; the login population at once.
  void RefreshPeers(int64_t epoch) {
    epoch_ = epoch;
    population_.Refresh();
  }
  // What a refresh at the epoch's start would have made of `p`: nothing
  // was learned since (learning is in phase C, for a baseline phase A
  // refreshed), and Refresh reads only what was learned.
  void EnsureFresh(PeerBaseline& p) {
    if (p.refreshed_epoch == epoch_) return;
    p.refreshed_epoch = epoch_;
    if (!p.WillRefresh()) return;
    p.PrefetchSketches();
    p.PrefetchTops();
    p.Refresh();
  }
  // Every baseline phase B may read for `e` (the profession it will take,
  // see AccountPhase; all of them when the event names none) and phase C
  // may teach.
  void EnsurePeersFresh(const Event& e) {
    EnsureFresh(everyone_);
    if (peers_.empty()) return;
    if (e.profession != kNoId) {
      EnsureFresh(peers_[e.profession < peers_.size() ? e.profession : 0]);
      return;
    }
    if (all_peers_fresh_epoch_ == epoch_) return;
    for (PeerBaseline& p : peers_) EnsureFresh(p);
    all_peers_fresh_epoch_ = epoch_;
  }

  // Phase A.
  void AddressPhase(const Event& e, Slot& slot) {
    ++events_;
    if (watermark_set_ &&
        e.time_ms < watermark_ms_ - options_.windows.lateness_ms()) {
      ++late_events_;
    }
    if (!watermark_set_) stream_start_ms_ = e.time_ms;
    if (!watermark_set_ || e.time_ms > watermark_ms_) {
      watermark_ms_ = e.time_ms;
      watermark_set_ = true;
    }
    slot.shard = ShardOf(e.account);
    slot.part = part_of_shard_[slot.shard];
    if (e.profession != kNoId && e.profession >= peers_.size() &&
        peers_.size() < max_peer_baselines_) {
      peers_.resize(std::min<size_t>(e.profession + 1, max_peer_baselines_));
      all_peers_fresh_epoch_ = INT64_MIN;
    }
    EnsurePeersFresh(e);
    if (e.action != Action::kLogin) return;
    AddressState& ip = addresses_.FindOrCreate(e.ip, e.time_ms);
    CheckAllowlist(e.ip, ip);
    if (e.account >= known_accounts_.size()) {
      known_accounts_.resize(std::max<size_t>(e.account + 1,
                                              known_accounts_.size() * 2));
    }
    SignalScore credential;
    if (e.outcome == Outcome::kFailure) {
      credential = ObserveAddressFailure(e, known_accounts_[e.account],
                                         options_, address_few_failures_,
                                         address_failures_);
    }
    SignalScore shared;
    if (e.outcome == Outcome::kSuccess) {
      known_accounts_[e.account] = true;
      shared = ObserveSharedUse(e, stream_start_ms_, options_, ip,
                                address_accounts_);
      if (!ip.located) {
        ip.located = true;
        if (locations_) {
          const Location where = locations_->Lookup(e.ip);
          ip.country = where.country;
          ip.asn = where.asn;
        }
      }
      LoginContext login;
      login.shared = shared;
      login.attacking_address = ObserveLoginFromAddress(
          e, options_, address_few_failures_, address_failures_);
      login.origin.country = ip.country;
      login.origin.asn = ip.asn;
      login.origin.keys = LoginKeysOf(e, ip.country, ip.asn);
      login.origin.population = population_.ObserveLogin(login.origin.keys);
      login.origin.ratio_top = population_.ratio_top();
      login.origin.ratio_p99 = population_.ratio_p99();
      login.origin.ratio_warm = population_.ratio_warm();
      slot.login = static_cast<int32_t>(logins_.size());
      logins_.push_back(login);
    }
    const double shared_score =
        options_.shared_infrastructure_alerts ? shared.score : 0.0;
    const bool by_credentials = credential.score >= shared_score;
    const double address_risk = std::max(credential.score, shared_score);
    if (address_risk >= options_.alert_threshold && !ip.allowlisted) {
      slot.address_report = static_cast<int32_t>(address_reports_.size());
      AddressReport& report = address_reports_.emplace_back();
      report.score = by_credentials ? credential : shared;
      report.family = by_credentials ? Family::kCredentialAttack
                                     : Family::kSharedInfrastructure;
      if (by_credentials) {
        report.fallen_count = RecentLoginsFrom(e, options_, ip,
                                               address_accounts_,
                                               &report.fallen);
      }
    }
  }

  // Phase B's look-ahead: distances in events, about the number of events
  // processed while a cache miss is outstanding.
  static constexpr size_t kPrefetchIndexAhead = 16;
  static constexpr size_t kPrefetchStateAhead = 8;

  // Whether the event reads its account's failure and export windows.
  static bool ReadsAccountWindows(const Event& e) {
    return e.action == Action::kExport ||
           (e.action == Action::kLogin && e.outcome == Outcome::kFailure);
  }
  // The second step of the look-ahead, after PrefetchIndex: the account's
  // state, and its windows if the event reads them. Returns the state's
  // slot, a hint for FindOrCreate (see EntityTable::PrefetchState).
  static uint32_t PrefetchState(const Event& e, const Shard& shard) {
    if (ReadsAccountWindows(e)) shard.account_windows.PrefetchState(e.account);
    return shard.accounts.PrefetchState(e.account, StateBytesFor(e));
  }

  static size_t StateBytesFor(const Event& e) {
    return e.action == Action::kLookup ? kLookupBytes : sizeof(AccountState);
  }

  void PrefetchIndex(const Event& e, uint32_t shard_index) const {
    const Shard& shard = shards_[shard_index];
    shard.accounts.PrefetchIndex(e.account);
    if (e.action == Action::kLookup && e.has_subject()) {
      shard.novelty->Prefetch(ScopeOf(NoveltyScope::kSubject, e.account),
                              e.subject);
    } else if (e.action == Action::kLogin) {
      addresses_.PrefetchIndex(e.ip);
      if (e.outcome == Outcome::kFailure) {
        address_few_failures_.PrefetchIndex(e.ip);
        address_failures_.PrefetchIndex(e.ip);
      }
      if (e.outcome == Outcome::kSuccess) {
        PrefetchLogin(e, *shard.novelty, population_);
      }
    }
    if (ReadsAccountWindows(e)) shard.account_windows.PrefetchIndex(e.account);
  }

  // The event's account's failure and export windows, created if needed;
  // those idle long enough to be empty are dropped first (see
  // DayWindowsIdleMs), so the table holds only accounts that failed or
  // exported lately.
  AccountFailuresAndExports& WindowsOf(const Event& e, Shard& shard) {
    shard.account_windows.ExpireIdle(e.time_ms);
    return shard.account_windows.FindOrCreate(e.account, e.time_ms);
  }

  // Phase B for one part: its events in batch order.
  void AccountPhases(absl::Span<const Event> batch, PartWork& part) {
    const size_t n = part.assignments.size();
    part.outcomes.resize(n);
    part.hints.resize(n);
    for (size_t k = 0; k < n; ++k) {
      // Account states and novelty blocks are far apart in memory and
      // rarely cached; asking for those of later events first lets their
      // misses overlap with this event's work. The index entry comes
      // first, then (once it has arrived) the state it points to.
      if (k + kPrefetchIndexAhead < n) {
        const Assignment& ahead = part.assignments[k + kPrefetchIndexAhead];
        PrefetchIndex(batch[ahead.index], ahead.shard);
      }
      if (k + kPrefetchStateAhead < n) {
        const Assignment& ahead = part.assignments[k + kPrefetchStateAhead];
        part.hints[k + kPrefetchStateAhead] =
            PrefetchState(batch[ahead.index], shards_[ahead.shard]);
      }
      const Assignment& mine = part.assignments[k];
      // A part's first events were not prefetched here: no hint.
      const uint32_t hint = k >= kPrefetchStateAhead
                                ? part.hints[k]
                                : EntityTable<uint32_t, AccountState>::kNone;
      part.outcomes[k] = AccountOutcome();
      const Event& e = batch[mine.index];
      AccountPhase(e, part.clock.At(e.time_ms), mine, hint, part.outcomes[k],
                   shards_[mine.shard]);
    }
  }

  // Phase B: reads peers_, everyone_ and logins_, writes only the shard
  // and `out`.
  void AccountPhase(const Event& e, const TimeBuckets& time,
                    const Assignment& in, uint32_t hint, AccountOutcome& out,
                    Shard& shard) {
    AccountState& a =
        shard.accounts.FindOrCreate(e.account, e.time_ms, nullptr, hint);
    NoveltyFilter& novelty = *shard.novelty;
    if (!a.seen) {
      a.seen = true;
      a.first_seen_ms = e.time_ms;
    }
    const bool mature =
        e.time_ms - a.first_seen_ms >= account_learning_period_ms_;
    if (e.profession != kNoId) a.profession = e.profession;
    const uint32_t profession =
        a.profession < peers_.size() ? a.profession : 0;
    const PeerBaseline& peers =
        peers_.empty() ? everyone_ : peers_[profession];
    // Phase A refreshed what this reads (EnsurePeersFresh).
    assert(peers.refreshed_epoch == epoch_ &&
           everyone_.refreshed_epoch == epoch_);
    const bool suspect = a.risk >= options_.alert_threshold;

    std::array<SignalScore, kFamilyCount> family;
    auto at = [&family](Family f) -> SignalScore& {
      return family[static_cast<int>(f)];
    };
    switch (e.action) {
      case Action::kLogin: {
        at(Family::kCredentialAttack) = ObserveAccountLogin(
            e, options_, a,
            e.outcome == Outcome::kFailure ? &WindowsOf(e, shard) : nullptr);
        if (e.outcome == Outcome::kSuccess && in.login >= 0) {
          const LoginContext& login = logins_[in.login];
          at(Family::kLoginRisk) = ObserveSuccessfulLogin(
              e, options_, login.origin, novelty, a, &out.log10_ratio);
          if (login.attacking_address.score >
              at(Family::kCredentialAttack).score) {
            at(Family::kCredentialAttack) = login.attacking_address;
          }
          at(Family::kSharedInfrastructure) = login.shared;
          out.learn_ratio = !suspect && std::isfinite(out.log10_ratio);
        }
        break;
      }
      case Action::kLookup: {
        const bool new_subject =
            e.has_subject() &&
            novelty.TestAndInsert(ScopeOf(NoveltyScope::kSubject, e.account),
                                  e.subject);
        LookupWindows windows;
        at(Family::kLookupEnumeration) =
            ObserveLookup(e, time, new_subject, mature, options_, peers,
                          everyone_, a, &windows);
        at(Family::kLoginRisk) =
            ObserveSessionActivity(e, session_context_, novelty, a);
        const PeerFeatures features =
            LookupWindowFeatures(windows.totals, windows.unusual_hour_bits);
        double distance2 = -1;
        at(Family::kPeerGroup) =
            ScorePeerDeviation(peers.model, features, &distance2);
        // Peers learn from accounts not under suspicion; the account's own
        // baseline learns only while it stays below it, so an attack that
        // ramps up slowly is not learned as this account's normal.
        // Values already far above the baseline (where an alert is close)
        // are left out, so that an attack ramping up below the threshold
        // does not raise its own bar; the truncation sits well above the
        // 99.9th percentile and barely moves it.
        if (!suspect && mature && a.last_volume_ratio < 1.4) {
          PeerSample sample;
          sample.profession = profession;
          sample.lookup = true;
          sample.minute = windows.totals.Get(kNewSubjects, WindowSpec::kMinute);
          sample.hour = windows.totals.Get(kNewSubjects, WindowSpec::kHour);
          sample.day = windows.totals.Get(kNewSubjects, WindowSpec::kDay);
          // The bulk of the samples is learned one in N (see
          // PeerBaseline::WeighLookup), by both baselines a sample goes to.
          const bool chosen = PeerSampleChosen(e, peer_sample_threshold_);
          const uint32_t one_in = options_.peer_sample_one_in;
          sample.weights = peers.WeighLookup(
              sample.minute, sample.hour, sample.day, distance2,
              /*learns_model=*/true, one_in, chosen);
          sample.everyone_weights =
              &peers == &everyone_
                  ? sample.weights
                  : everyone_.WeighLookup(sample.minute, sample.hour,
                                          sample.day, -1,
                                          /*learns_model=*/false, one_in,
                                          chosen);
          const bool learn =
              sample.weights.any() || sample.everyone_weights.any();
          if (learn) {
            sample.features = features;
            sample.distance2 = distance2;
            out.sample = static_cast<int32_t>(shard.samples.size());
            shard.samples.push_back(sample);
          }
          // The account's own baseline learns from every lookup.
          if (a.last_volume_ratio < 1.0) {
            a.new_per_hour.Update(sample.hour, false, 0.01);
          }
        }
        break;
      }
      case Action::kExport: {
        double day_total = 0;
        at(Family::kBulkExport) =
            ObserveExport(e, options_, peers, everyone_, WindowsOf(e, shard),
                          &day_total);
        at(Family::kLoginRisk) =
            ObserveSessionActivity(e, session_context_, novelty, a);
        {
          const SignalScore carried = RiskySession(
              a, day_total > options_.min_exported_records_per_day);
          if (carried.score > at(Family::kLoginRisk).score) {
            at(Family::kLoginRisk) = carried;
          }
        }
        if (!suspect) {
          PeerSample sample{};
          sample.profession = profession;
          sample.lookup = false;
          sample.day = day_total;
          out.sample = static_cast<int32_t>(shard.samples.size());
          shard.samples.push_back(sample);
        }
        break;
      }
      default:
        break;
    }
    // Fusion: the strongest family, plus 10 for each other family that
    // is itself notable (>= 30).
    // Shared infrastructure only supports other evidence unless its alerts
    // are enabled (see DetectorOptions::shared_infrastructure_alerts).
    // Most events score 0 in every family (+0.0: no bit set), and then
    // the best is the first family and the risk 0.
    const int shared = static_cast<int>(Family::kSharedInfrastructure);
    std::array<double, kFamilyCount> scores;
    uint64_t any_bits = 0;
    for (int f = 0; f < kFamilyCount; ++f) {
      scores[f] = family[f].score;
      uint64_t bits;
      memcpy(&bits, &scores[f], sizeof(bits));
      any_bits |= bits;
    }
    int best = 0;
    double risk = 0;
    if (any_bits != 0) {
      int notable = scores[0] >= 30;
      for (int f = 1; f < kFamilyCount; ++f) {
        notable += scores[f] >= 30;
        if (f == shared && !options_.shared_infrastructure_alerts) continue;
        if (scores[f] > scores[best]) best = f;
      }
      notable -= scores[best] >= 30;
      risk = scores[best];
      for (int i = 0; i < notable; ++i) risk += 10;  // As many roundings.
      risk = std::min(100.0, risk);
    }
    a.risk = risk;
    out.risk = risk;
    if (risk >= options_.alert_threshold) {
      if (e.action == Action::kLookup) NoteIncidentLookup(e, a);
      out.account_report = static_cast<int32_t>(shard.reports.size());
      shard.reports.push_back(
          AccountReport{family, static_cast<Family>(best), risk});
    }
  }

  // Phase C.
  void IncidentAndLearningPhase(const Event& e, const Slot& slot,
                                const AccountOutcome& outcome) {
    tracker_.Advance(e.time_ms);
    if (slot.address_report >= 0) {
      const AddressReport& r = address_reports_[slot.address_report];
      ReportAddress(e, r.score, r.family);
      for (int i = 0; i < r.fallen_count; ++i) ReportFallen(e, r, r.fallen[i]);
    }
    Shard& shard = shards_[slot.shard];
    if (outcome.account_report >= 0 && !AccountAllowlisted(e.account)) {
      const AccountReport& r = shard.reports[outcome.account_report];
      ReportAccount(e, r.family, r.best, r.risk);
    }
    if (slot.login >= 0 && outcome.learn_ratio) {
      population_.LearnRatio(outcome.log10_ratio);
    }
    if (outcome.sample >= 0) {
      const PeerSample& sample = shard.samples[outcome.sample];
      PeerBaseline& peers =
          peers_.empty() ? everyone_ : peers_[sample.profession];
      // Nothing is learned before its refresh (see EnsureFresh).
      assert(peers.refreshed_epoch == epoch_);
      if (sample.lookup) {
        if (&peers != &everyone_) {
          peers.AddLookup(e.time_ms, sample.minute, sample.hour, sample.day,
                          sample.features, sample.distance2,
                          /*learn_model=*/true, sample.weights);
        }
        // The population's peer model scores only while no event has a
        // profession (see AccountPhase); its volume sketches always serve
        // as the cold-start fallback.
        everyone_.AddLookup(e.time_ms, sample.minute, sample.hour, sample.day,
                            sample.features, -1,
                            /*learn_model=*/peers_.empty(),
                            sample.everyone_weights);
      } else {
        if (&peers != &everyone_) peers.AddExport(e.time_ms, sample.day);
        everyone_.AddExport(e.time_ms, sample.day);
      }
    }
  }

  bool AccountAllowlisted(uint32_t account) {
    if (allowlisted_names_.empty()) return false;
    auto it = allowlist_cache_.find(account);
    if (it != allowlist_cache_.end()) return it->second;
    const bool allowlisted = allowlisted_names_.count(namer_(account)) > 0;
    allowlist_cache_.emplace(account, allowlisted);
    return allowlisted;
  }

  void Reset();
  absl::Status Restore(absl::string_view bytes);

  void CheckAllowlist(const IpAddress& ip, AddressState& state) {
    if (state.allowlist_checked) return;
    state.allowlist_checked = true;
    for (const DetectorOptions::Network& net : options_.allowlisted_networks) {
      if (InNetwork(ip, net)) state.allowlisted = true;
    }
  }

  static void AddReasons(const SignalScore& s, v1::Alert* alert,
                         std::string* message) {
    for (int i = 0; i < s.count; ++i) {
      const Evidence& e = s.evidence[i];
      v1::Reason* r = alert->add_reasons();
      r->set_feature(FeatureName(e.feature));
      r->set_observed(e.observed);
      r->set_baseline(e.baseline);
      r->set_window(WindowCode(e.window_ms));
      r->set_text(Explain(e));
      if (!message->empty()) message->append("; ");
      message->append(r->text());
    }
  }

  // The tracker's key of an account's or an address's incident,
  // "account|<id>" or "address|<address>", written into `buffer` so that a
  // firing of an ongoing incident allocates nothing. Built by hand: every
  // event of an attack reports to its incident, and snprintf took ~43 ns a
  // key where this takes ~8 (measured stand-alone).
  static absl::string_view AccountKey(uint32_t account, char (&buffer)[64]) {
    constexpr absl::string_view kPrefix = "account|";
    memcpy(buffer, kPrefix.data(), kPrefix.size());
    char digits[10];
    int n = 0;
    do {
      digits[n++] = static_cast<char>('0' + account % 10);
      account /= 10;
    } while (account != 0);
    char* out = buffer + kPrefix.size();
    while (n > 0) *out++ = digits[--n];
    return absl::string_view(buffer, static_cast<size_t>(out - buffer));
  }
  static absl::string_view AddressKey(const IpAddress& ip, char (&buffer)[64]) {
    constexpr absl::string_view kPrefix = "address|";
    static_assert(kPrefix.size() + IpAddress::kMaxTextLength <= 64);
    char text[IpAddress::kMaxTextLength];
    const absl::string_view address = ip.Format(text);
    memcpy(buffer, kPrefix.data(), kPrefix.size());
    memcpy(buffer + kPrefix.size(), address.data(), address.size());
    return absl::string_view(buffer, kPrefix.size() + address.size());
  }

  void ReportAccount(const Event& e,
                     const std::array<SignalScore, kFamilyCount>& family,
                     Family best, double risk) {
    char key[64];
    const absl::string_view incident = AccountKey(e.account, key);
    // Content in words only for a firing the tracker reports.
    if (tracker_.Extend(incident, std::round(risk * 10) / 10, e.time_ms)) {
      return;
    }
    v1::Alert alert;
    alert.set_rule_name(FamilyName(best));
    alert.set_account(namer_(e.account));
    alert.set_source_ip(e.ip.ToString());
    alert.set_risk_score(std::round(risk * 10) / 10);
    alert.set_severity(AlertSeverity(risk));
    alert.set_recommended_action(ActionFor(best, risk));
    std::string message;
    AddReasons(family[static_cast<int>(best)], &alert, &message);
    for (int f = 0; f < kFamilyCount; ++f) {
      if (f != static_cast<int>(best) && family[f].score >= 30) {
        AddReasons(family[f], &alert, &message);
      }
    }
    absl::StrAppend(&message, "; from ", alert.source_ip());
    alert.set_message(message);
    tracker_.Fire(std::string(incident), alert, e.time_ms);
  }

  // An account that logged in successfully from an address that is now
  // known to be stuffing or spraying: its own incident (a password reset),
  // stamped at the address's event.
  void ReportFallen(const Event& e, const AddressReport& r, uint32_t account) {
    if (AccountAllowlisted(account)) return;
    Event fallen = e;
    fallen.account = account;
    std::array<SignalScore, kFamilyCount> family;
    SignalScore& credential =
        family[static_cast<int>(Family::kCredentialAttack)];
    const Evidence& attack = r.score.evidence[0];
    credential = LoginFromAttackingAddress(attack.observed, attack.baseline,
                                           attack.window_ms);
    ReportAccount(fallen, family, Family::kCredentialAttack, credential.score);
  }

  void ReportAddress(const Event& e, const SignalScore& score, Family family) {
    char key[64];
    const absl::string_view incident = AddressKey(e.ip, key);
    if (tracker_.Extend(incident,
                        std::round(std::min(100.0, score.score) * 10) / 10,
                        e.time_ms)) {
      return;
    }
    v1::Alert alert;
    alert.set_rule_name(FamilyName(family));
    alert.set_source_ip(e.ip.ToString());
    alert.set_risk_score(std::round(std::min(100.0, score.score) * 10) / 10);
    alert.set_severity(AlertSeverity(score.score));
    alert.set_recommended_action(family == Family::kCredentialAttack
                                     ? v1::BLOCK_IP
                                     : v1::BLOCK_NETWORK);
    std::string message;
    AddReasons(score, &alert, &message);
    alert.set_message(message);
    tracker_.Fire(std::string(incident), alert, e.time_ms);
  }

  DetectorOptions options_;
  const size_t max_peer_baselines_ = MaxPeerBaselines(options_);
  EntityTableOptions account_table_options_;
  EntityTableOptions account_windows_table_options_;
  EntityTableOptions address_table_options_;
  EntityTableOptions address_few_failures_table_options_;
  EntityTableOptions address_failure_table_options_;
  EntityTableOptions address_accounts_table_options_;
  NoveltyFilter::Options novelty_options_;
  AccountNamer namer_;
  IncidentTracker tracker_;
  std::vector<Shard> shards_;
  EntityTable<IpAddress, AddressState> addresses_;
  // Failure sets: few (most addresses) or wide (see AddressFewFailures).
  EntityTable<IpAddress, AddressFewFailures> address_few_failures_;
  EntityTable<IpAddress, AddressFailures> address_failures_;
  // Of young addresses with several accounts (see ObserveSharedUse).
  EntityTable<IpAddress, AddressAccounts> address_accounts_;
  std::unique_ptr<LocationDatabase> locations_;  // May be null.
  LoginPopulation population_;
  // What phase B's session checks consult (read-only there).
  SessionContext session_context_{locations_.get(), &population_,
                                  &options_.hosting_asns,
                                  options_.max_travel_kmh};
  // Account ids that ever logged in successfully (1 bit each; read by the
  // address side, which must not touch account state).
  std::vector<bool> known_accounts_;
  absl::flat_hash_set<std::string> allowlisted_names_;
  absl::flat_hash_map<uint32_t, bool> allowlist_cache_;
  std::vector<PeerBaseline> peers_;
  PeerBaseline everyone_;
  int64_t epoch_ = INT64_MIN;
  int64_t all_peers_fresh_epoch_ = INT64_MIN;  // See EnsurePeersFresh.
  int64_t watermark_ms_ = 0;
  int64_t stream_start_ms_ = 0;
  bool watermark_set_ = false;
  uint64_t events_ = 0;
  uint64_t late_events_ = 0;
  // Per batch.
  std::vector<Slot> slots_;
  std::vector<LoginContext> logins_;
  std::vector<PartWork> parts_;  // Phase B's, one per thread.
  std::vector<uint32_t> part_of_shard_;  // shard % parts.
  // 2^64 / shards, rounded up (see ShardOf).
  uint64_t shard_remainder_factor_ = 0;
  std::vector<AddressReport> address_reports_;
  ForkJoin pool_;
  const uint64_t peer_sample_threshold_;  // See PeerSampleChosen.
  // options_.account_learning_period, converted once: absl's conversion is
  // a call into a shared library, twice an event.
  const int64_t account_learning_period_ms_;
};

std::string DetectorImpl::SaveState() const {
  v1::Snapshot snapshot;
  snapshot.set_format_version(kSnapshotFormatVersion);
  snapshot.set_watermark_ms(watermark_ms_);
  auto add = [&snapshot](const std::string& name, const std::string& data) {
    v1::Section* section = snapshot.add_sections();
    section->set_name(name);
    section->set_data(data);
  };
  StateWriter engine;
  engine.Put<uint8_t>(2);
  engine.Put(watermark_ms_);
  engine.Put<uint8_t>(watermark_set_);
  engine.Put(stream_start_ms_);
  engine.Put(events_);
  engine.Put(late_events_);
  engine.Put(epoch_);
  engine.Put<uint32_t>(static_cast<uint32_t>(shards_.size()));
  add("engine", engine.data());
  for (size_t i = 0; i < shards_.size(); ++i) {
    add(absl::StrCat("accounts/", i),
        EncodeTable(shards_[i].accounts, &EncodeAccount));
    add(absl::StrCat("account_windows/", i),
        EncodeTable(shards_[i].account_windows, &EncodeAccountWindows));
    add(absl::StrCat("novelty/", i), shards_[i].novelty->Serialize());
  }
  add("addresses", EncodeTable(addresses_, &EncodeAddress));
  add("address_few_failures",
      EncodeTable(address_few_failures_, &EncodeAddressFewFailures));
  add("address_failures",
      EncodeTable(address_failures_, &EncodeAddressFailures));
  add("address_accounts",
      EncodeTable(address_accounts_, &EncodeAddressAccounts));
  StateWriter population;
  population_.Encode(population);
  add("login_population", population.data());
  StateWriter known;
  known.Put<uint64_t>(known_accounts_.size());
  uint8_t byte = 0;
  for (size_t i = 0; i < known_accounts_.size(); ++i) {
    if (known_accounts_[i]) byte |= 1 << (i % 8);
    if (i % 8 == 7) {
      known.Put(byte);
      byte = 0;
    }
  }
  if (known_accounts_.size() % 8 != 0) known.Put(byte);
  add("known_accounts", known.data());
  StateWriter peers;
  peers.Put<uint64_t>(peers_.size());
  // As refreshed at the epoch's start: a snapshot does not depend on which
  // baselines this epoch's events have used yet.
  const auto encode_fresh = [&](const PeerBaseline& p) {
    if (p.refreshed_epoch == epoch_) return EncodePeers(peers, p);
    PeerBaseline fresh = p;
    fresh.Refresh();
    EncodePeers(peers, fresh);
  };
  for (const PeerBaseline& p : peers_) encode_fresh(p);
  encode_fresh(everyone_);
  add("peers", peers.data());
  StateWriter incidents;
  tracker_.Encode(incidents);
  add("incidents", incidents.data());
  return snapshot.SerializeAsString();
}

void DetectorImpl::Reset() {
  for (Shard& shard : shards_) {
    shard.accounts = EntityTable<uint32_t, AccountState>::Create(
                         account_table_options_)
                         .value();
    shard.account_windows =
        EntityTable<uint32_t, AccountFailuresAndExports>::Create(
            account_windows_table_options_)
            .value();
    shard.novelty = NoveltyFilter::Create(novelty_options_).value();
  }
  addresses_ = EntityTable<IpAddress, AddressState>::Create(
                   address_table_options_)
                   .value();
  address_few_failures_ = EntityTable<IpAddress, AddressFewFailures>::Create(
                              address_few_failures_table_options_)
                              .value();
  address_failures_ = EntityTable<IpAddress, AddressFailures>::Create(
                          address_failure_table_options_)
                          .value();
  address_accounts_ = EntityTable<IpAddress, AddressAccounts>::Create(
                          address_accounts_table_options_)
                          .value();
  known_accounts_.clear();
  allowlist_cache_.clear();
  population_ = LoginPopulation(population_.width_bits());
  peers_.clear();
  everyone_ = PeerBaseline();
  StateWriter empty_tracker;
  IncidentTracker(options_.quiet_to_close, nullptr).Encode(empty_tracker);
  StateReader reader(empty_tracker.data());
  tracker_.Restore(reader).IgnoreError();
  watermark_ms_ = stream_start_ms_ = 0;
  watermark_set_ = false;
  epoch_ = INT64_MIN;
  all_peers_fresh_epoch_ = INT64_MIN;
  events_ = late_events_ = 0;
}

absl::Status DetectorImpl::Restore(absl::string_view bytes) {
  v1::Snapshot snapshot;
  if (!snapshot.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError("detector snapshot: not a vigie.v1.Snapshot");
  }
  if (snapshot.format_version() != kSnapshotFormatVersion) {
    return absl::DataLossError(absl::StrCat(
        "detector snapshot: format version ", snapshot.format_version(),
        ", this vigie reads version ", kSnapshotFormatVersion,
        " (a snapshot from another version of vigie: start without it)"));
  }
  absl::flat_hash_map<std::string, absl::string_view> sections;
  for (const v1::Section& s : snapshot.sections()) sections[s.name()] = s.data();
  std::vector<std::string> required = {
      "engine",           "addresses",      "address_few_failures",
      "address_failures", "address_accounts", "login_population",
      "known_accounts",   "peers",          "incidents"};
  for (size_t i = 0; i < shards_.size(); ++i) {
    required.push_back(absl::StrCat("accounts/", i));
    required.push_back(absl::StrCat("account_windows/", i));
    required.push_back(absl::StrCat("novelty/", i));
  }
  for (const std::string& name : required) {
    if (!sections.count(name)) {
      return absl::DataLossError(
          absl::StrCat("detector snapshot: missing section ", name));
    }
  }
  StateReader engine(sections["engine"]);
  if (engine.Get<uint8_t>() != 2) engine.Fail();
  watermark_ms_ = engine.Get<int64_t>();
  watermark_set_ = engine.Get<uint8_t>() != 0;
  stream_start_ms_ = engine.Get<int64_t>();
  events_ = engine.Get<uint64_t>();
  late_events_ = engine.Get<uint64_t>();
  epoch_ = engine.Get<int64_t>();
  const uint32_t shards = engine.Get<uint32_t>();
  // Times an event can carry (kMinEventTimeMs..kMaxEventTimeMs), so that
  // the lateness and window arithmetic on them cannot overflow.
  for (int64_t t : {watermark_ms_, stream_start_ms_}) {
    if (t < kMinEventTimeMs || t > kMaxEventTimeMs) engine.Fail();
  }
  absl::Status status = engine.Check("detector snapshot: engine");
  if (!status.ok()) return status;
  if (shards != shards_.size()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "detector snapshot: taken with ", shards, " shards, this detector has ",
        shards_.size()));
  }
  for (size_t i = 0; i < shards_.size(); ++i) {
    status = RestoreTable(sections[absl::StrCat("accounts/", i)],
                          shards_[i].accounts, &DecodeAccount);
    if (!status.ok()) return status;
    status = RestoreTable(sections[absl::StrCat("account_windows/", i)],
                          shards_[i].account_windows, &DecodeAccountWindows);
    if (!status.ok()) return status;
    absl::StatusOr<std::unique_ptr<NoveltyFilter>> novelty =
        NoveltyFilter::Deserialize(sections[absl::StrCat("novelty/", i)]);
    if (!novelty.ok()) return novelty.status();
    if ((*novelty)->bytes() != shards_[i].novelty->bytes()) {
      return absl::FailedPreconditionError(
          "detector snapshot: novelty memory sized for other options");
    }
    shards_[i].novelty = std::move(novelty).value();
  }
  status = RestoreTable(sections["addresses"], addresses_, &DecodeAddress);
  if (!status.ok()) return status;
  status = RestoreTable(sections["address_few_failures"],
                        address_few_failures_, &DecodeAddressFewFailures);
  if (!status.ok()) return status;
  status = RestoreTable(sections["address_failures"], address_failures_,
                        &DecodeAddressFailures);
  if (!status.ok()) return status;
  status = RestoreTable(sections["address_accounts"], address_accounts_,
                        &DecodeAddressAccounts);
  if (!status.ok()) return status;
  StateReader population(sections["login_population"]);
  population_.Decode(population);
  status = population.Check("detector snapshot: login population");
  if (!status.ok()) return status;
  StateReader known(sections["known_accounts"]);
  const uint64_t n_known = known.Get<uint64_t>();
  // One bit an account: the count is bounded by the bytes that hold it.
  if (n_known > (uint64_t{1} << 32) || (n_known + 7) / 8 > known.remaining()) {
    known.Fail();
  }
  known_accounts_.assign(known.ok() ? n_known : 0, false);
  uint8_t byte = 0;
  for (size_t i = 0; i < known_accounts_.size() && known.ok(); ++i) {
    if (i % 8 == 0) byte = known.Get<uint8_t>();
    known_accounts_[i] = (byte >> (i % 8)) & 1;
  }
  status = known.Check("detector snapshot: known accounts");
  if (!status.ok()) return status;
  StateReader peers(sections["peers"]);
  const uint64_t n = peers.Get<uint64_t>();
  if (n > max_peer_baselines_) {
    return absl::FailedPreconditionError(absl::StrCat(
        "detector snapshot: ", n, " professions' baselines, this detector's "
        "memory holds ", max_peer_baselines_,
        " (restore with the same memory limit)"));
  }
  peers_.assign(peers.ok() ? n : 0, PeerBaseline());
  for (PeerBaseline& p : peers_) {
    if (!DecodePeers(peers, &p)) break;
  }
  DecodePeers(peers, &everyone_);
  status = peers.Check("detector snapshot: peers");
  if (!status.ok()) return status;
  for (PeerBaseline& p : peers_) p.refreshed_epoch = epoch_;  // See SaveState.
  everyone_.refreshed_epoch = epoch_;
  all_peers_fresh_epoch_ = epoch_;
  allowlist_cache_.clear();
  StateReader incidents(sections["incidents"]);
  return tracker_.Restore(incidents);
}

}  // namespace
}  // namespace engine

absl::StatusOr<std::unique_ptr<Detector>> Detector::Create(
    const DetectorOptions& options, AccountNamer namer, AlertSink* sink) {
  if (options.windows.num_horizons() != 4) {
    return absl::InvalidArgumentError(
        "detector: the windows must have four horizons (minute, ten "
        "minutes, hour, day)");
  }
  if (!(options.alert_threshold > 0 && options.alert_threshold <= 100)) {
    return absl::InvalidArgumentError(
        "detector: alert_threshold must be in (0, 100]");
  }
  if (options.account_failures_per_hour < 1 ||
      options.failing_accounts_per_ip_hour < 1 ||
      options.failing_accounts_per_ip_day < 1) {
    return absl::InvalidArgumentError(
        "detector: credential thresholds must be at least 1");
  }
  // An address counts its accounts exactly only up to a fixed number (its
  // state has a fixed size, so the memory cap holds): thresholds above it
  // could never be reached.
  if (options.failing_accounts_per_ip_hour >=
          engine::kAddressFailingAccountsTracked ||
      options.failing_accounts_per_ip_day >=
          engine::kAddressFailingAccountsTracked) {
    return absl::InvalidArgumentError(absl::StrCat(
        "detector: failing accounts per address must be below ",
        engine::kAddressFailingAccountsTracked,
        " (addresses count failing accounts exactly up to that)"));
  }
  if (options.accounts_per_new_ip_hour < 1 ||
      options.accounts_per_new_ip_hour >= engine::kAddressAccountsTracked) {
    return absl::InvalidArgumentError(absl::StrCat(
        "detector: accounts per new address must be between 1 and ",
        engine::kAddressAccountsTracked - 1,
        " (addresses count accounts exactly up to ",
        engine::kAddressAccountsTracked, ")"));
  }
  for (const DetectorOptions::Network& net : options.allowlisted_networks) {
    const int max = net.address.is_v4() ? 32 : 128;
    if (net.prefix_length < 0 || net.prefix_length > max) {
      return absl::InvalidArgumentError(absl::StrCat(
          "detector: allowlisted network ", net.address.ToString(), "/",
          net.prefix_length, ": prefix length out of range"));
    }
  }
  if (options.shards < 1 || options.shards > 256 || options.threads < 1 ||
      options.threads > options.shards) {
    return absl::InvalidArgumentError(absl::StrCat(
        "detector: need 1 <= shards <= 256 and 1 <= threads <= shards (got ",
        options.shards, " shards, ", options.threads, " threads)"));
  }
  if (sink == nullptr || !namer) {
    return absl::InvalidArgumentError("detector: sink and namer are required");
  }
  if (!(options.max_travel_kmh > 0)) {
    return absl::InvalidArgumentError("detector: max_travel_kmh must be > 0");
  }
  if (options.peer_sample_one_in < 1 || options.peer_sample_one_in > 1024) {
    return absl::InvalidArgumentError(absl::StrCat(
        "detector: peer_sample_one_in must be in 1..1024 (got ",
        options.peer_sample_one_in, ")"));
  }
  std::unique_ptr<LocationDatabase> locations;
  if (!options.location_database.empty()) {
    absl::StatusOr<std::unique_ptr<LocationDatabase>> opened =
        LocationDatabase::Open(options.location_database);
    if (!opened.ok()) return opened.status();
    locations = std::move(opened).value();
  }
  const size_t shards = static_cast<size_t>(options.shards);
  NoveltyFilter::Options novelty_options;
  // The filters take at most a quarter of the state budget (~2.6 bytes per
  // remembered pair over both generations of the blocked filter at 1%),
  // split over the shards.
  novelty_options.capacity = std::max<uint64_t>(
      1024, std::min<uint64_t>(options.novelty_capacity,
                               options.max_state_bytes / 4 * 10 / 26) /
                shards);
  std::vector<std::unique_ptr<NoveltyFilter>> filters;
  size_t novelty_bytes = 0;
  for (size_t i = 0; i < shards; ++i) {
    absl::StatusOr<std::unique_ptr<NoveltyFilter>> novelty =
        NoveltyFilter::Create(novelty_options);
    if (!novelty.ok()) return novelty.status();
    novelty_bytes += (*novelty)->bytes();
    filters.push_back(std::move(novelty).value());
  }
  // The login population takes at most 1/16 of the budget (2 MiB at most).
  int population_width_bits = 15;
  while (population_width_bits > 6 &&
         engine::LoginPopulation::BytesFor(population_width_bits) >
             options.max_state_bytes / 16) {
    --population_width_bits;
  }
  // Open incidents take at most 1/16 (see IncidentTracker).
  // The professions' baselines take at most 1/32 (MaxPeerBaselines).
  const size_t fixed_bytes =
      novelty_bytes +
      engine::LoginPopulation::BytesFor(population_width_bits) +
      engine::IncidentBytesFor(options) +
      engine::MaxPeerBaselines(options) * engine::kPeerBaselineBytes;
  const size_t table_bytes = options.max_state_bytes > fixed_bytes
                                 ? options.max_state_bytes - fixed_bytes
                                 : 0;
  // Accounts get 3/5: 7/8 of it for every account, 1/8 for the failure and
  // export windows of those that failed a login or exported lately.
  EntityTableOptions account_options;
  account_options.max_bytes = table_bytes / 5 * 3 / 8 * 7 / shards;
  EntityTableOptions account_windows_options;
  account_windows_options.max_bytes = table_bytes / 5 * 3 / 8 / shards;
  account_windows_options.ttl =
      absl::Milliseconds(engine::DayWindowsIdleMs(options.windows));
  // Addresses get 2/5: 5/8 of it for every address, 1/4 for the failure
  // sets of those that failed a login (1/16 few, 3/16 wide), 1/8 for the
  // accounts of young addresses that several accounts logged in from.
  EntityTableOptions address_options;
  address_options.max_bytes = table_bytes / 5 * 2 / 8 * 5;
  EntityTableOptions address_few_failures_options;
  address_few_failures_options.max_bytes = table_bytes / 5 * 2 / 16;
  address_few_failures_options.ttl = account_windows_options.ttl;
  EntityTableOptions address_failure_options;
  address_failure_options.max_bytes = table_bytes / 5 * 2 / 16 * 3;
  address_failure_options.ttl = account_windows_options.ttl;
  EntityTableOptions address_accounts_options;
  address_accounts_options.max_bytes = table_bytes / 5 * 2 / 8;
  address_accounts_options.ttl = absl::Milliseconds(
      engine::WindowsIdleMs(options.windows, WindowSpec::kHour));
  std::vector<engine::Shard> parts;
  for (size_t i = 0; i < shards; ++i) {
    auto accounts =
        engine::CreateTable<uint32_t, engine::AccountState>(account_options);
    if (!accounts.ok()) return accounts.status();
    auto windows =
        engine::CreateTable<uint32_t, engine::AccountFailuresAndExports>(
            account_windows_options);
    if (!windows.ok()) return windows.status();
    parts.push_back(engine::Shard{std::move(accounts).value(),
                                  std::move(windows).value(),
                                  std::move(filters[i]), {}, {}});
  }
  auto addresses =
      engine::CreateTable<IpAddress, engine::AddressState>(address_options);
  if (!addresses.ok()) return addresses.status();
  auto address_few_failures =
      engine::CreateTable<IpAddress, engine::AddressFewFailures>(
          address_few_failures_options);
  if (!address_few_failures.ok()) return address_few_failures.status();
  auto address_failures =
      engine::CreateTable<IpAddress, engine::AddressFailures>(
          address_failure_options);
  if (!address_failures.ok()) return address_failures.status();
  auto address_accounts =
      engine::CreateTable<IpAddress, engine::AddressAccounts>(
          address_accounts_options);
  if (!address_accounts.ok()) return address_accounts.status();
  return std::unique_ptr<Detector>(new engine::DetectorImpl(
      options, std::move(namer), sink, account_options,
      account_windows_options, address_options, address_few_failures_options,
      address_failure_options, address_accounts_options, novelty_options,
      std::move(parts), std::move(addresses).value(),
      std::move(address_few_failures).value(),
      std::move(address_failures).value(),
      std::move(address_accounts).value(), std::move(locations),
      population_width_bits));
}

}  // namespace vigie
