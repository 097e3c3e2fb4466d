// The detection engine behind Detector::Create: entity tables, the shared
// novelty filter, peer baselines, the signal families, fusion and
// incidents.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "detector/alerts/explain.h"
#include "detector/alerts/incident_tracker.h"
#include "detector/detector.h"
#include "detector/engine/entity_state.h"
#include "detector/signals/bulk_export.h"
#include "detector/signals/credential_attacks.h"
#include "detector/signals/login_risk.h"
#include "detector/signals/lookup_enumeration.h"
#include "detector/signals/shared_infrastructure.h"
#include "detector/stats/entity_table.h"
#include "detector/stats/novelty_filter.h"
#include "detector/stats/state_codec.h"
#include "proto/snapshot.pb.h"

namespace vigie {
namespace engine {
namespace {

constexpr int kFamilies = 5;

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
  }
  return v1::REVIEW;
}

int Severity(double risk) { return risk >= 90 ? 4 : risk >= 75 ? 3 : 2; }

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

class DetectorImpl : public Detector {
 public:
  DetectorImpl(const DetectorOptions& options, AccountNamer namer,
               AlertSink* sink, EntityTableOptions account_table_options,
               EntityTableOptions address_table_options,
               EntityTable<uint32_t, AccountState> accounts,
               EntityTable<IpAddress, AddressState> addresses,
               std::unique_ptr<NoveltyFilter> novelty)
      : options_(options),
        account_table_options_(account_table_options),
        address_table_options_(address_table_options),
        namer_(std::move(namer)),
        tracker_(options.quiet_to_close, sink, options.update_step),
        accounts_(std::move(accounts)),
        addresses_(std::move(addresses)),
        novelty_(std::move(novelty)),
        allowlisted_names_(options.allowlisted_accounts.begin(),
                           options.allowlisted_accounts.end()) {}

  double Observe(const Event& e) override {
    ++events_;
    if (watermark_set_ && e.time_ms < watermark_ms_ - options_.windows.lateness_ms()) {
      ++late_events_;
    }
    if (!watermark_set_) stream_start_ms_ = e.time_ms;
    if (!watermark_set_ || e.time_ms > watermark_ms_) {
      watermark_ms_ = e.time_ms;
      watermark_set_ = true;
    }
    tracker_.Advance(e.time_ms);
    AccountState& a = accounts_.FindOrCreate(e.account, e.time_ms);
    if (!a.seen) {
      a.seen = true;
      a.first_seen_ms = e.time_ms;
    }
    const bool mature =
        e.time_ms - a.first_seen_ms >=
        absl::ToInt64Milliseconds(options_.account_learning_period);
    if (!a.allowlist_checked) {
      a.allowlist_checked = true;
      a.allowlisted = !allowlisted_names_.empty() &&
                      allowlisted_names_.count(namer_(e.account)) > 0;
    }
    if (e.profession != kNoId) a.profession = e.profession;
    PeerBaseline& peers = PeersFor(a.profession);
    const bool suspect = a.risk >= options_.alert_threshold;

    std::array<SignalScore, kFamilies> family;
    switch (e.action) {
      case Action::kLogin: {
        AddressState& ip = addresses_.FindOrCreate(e.ip, e.time_ms);
        CheckAllowlist(e.ip, ip);
        CredentialScores c =
            ObserveLoginAttempt(e, a.logins > 0, options_, a, ip);
        family[static_cast<int>(Family::kCredentialAttack)] = c.account;
        SignalScore shared;
        if (e.outcome == Outcome::kSuccess) {
          family[static_cast<int>(Family::kLoginRisk)] =
              ObserveSuccessfulLogin(e, options_, *novelty_, a);
          shared = ObserveSharedUse(e, stream_start_ms_, options_, ip);
          family[static_cast<int>(Family::kSharedInfrastructure)] = shared;
        }
        const double shared_score =
            options_.shared_infrastructure_alerts ? shared.score : 0.0;
        const bool by_credentials = c.address.score >= shared_score;
        ip.risk = std::max(c.address.score, shared_score);
        if (ip.risk >= options_.alert_threshold && !ip.allowlisted) {
          ReportAddress(e, by_credentials ? c.address : shared,
                        by_credentials ? Family::kCredentialAttack
                                       : Family::kSharedInfrastructure);
        }
        break;
      }
      case Action::kLookup: {
        const bool new_subject =
            e.has_subject() &&
            novelty_->TestAndInsert(ScopeOf(NoveltyScope::kSubject, e.account),
                                    e.subject);
        family[static_cast<int>(Family::kLookupEnumeration)] =
            ObserveLookup(e, new_subject, options_, peers, everyone_, a);
        family[static_cast<int>(Family::kLoginRisk)] =
            ObserveSessionActivity(e, *novelty_, a);
        // Peers learn from accounts not under suspicion; the account's own
        // baseline learns only while it stays below it, so an attack that
        // ramps up slowly is not learned as this account's normal.
        // Values already far above the baseline (where an alert is close)
        // are left out, so that an attack ramping up below the threshold
        // does not raise its own bar; the truncation sits well above the
        // 99.9th percentile and barely moves it.
        if (!suspect && mature && a.last_volume_ratio < 1.4) {
          const WindowSpec& w = options_.windows;
          const double minute = a.new_subjects.Sum(w, 0, e.time_ms);
          const double hour = a.new_subjects.Sum(w, 2, e.time_ms);
          const double day = a.new_subjects.Sum(w, 3, e.time_ms);
          peers.AddLookup(e.time_ms, minute, hour, day);
          everyone_.AddLookup(e.time_ms, minute, hour, day);
          if (a.last_volume_ratio < 1.0) {
            a.new_per_hour.Update(hour, false, 0.01);
          }
        }
        break;
      }
      case Action::kExport: {
        double day_total = 0;
        family[static_cast<int>(Family::kBulkExport)] =
            ObserveExport(e, options_, peers, everyone_, a, &day_total);
        family[static_cast<int>(Family::kLoginRisk)] =
            ObserveSessionActivity(e, *novelty_, a);
        if (!suspect) {
          peers.AddExport(e.time_ms, day_total);
          everyone_.AddExport(e.time_ms, day_total);
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
    const int shared = static_cast<int>(Family::kSharedInfrastructure);
    int best = 0;
    for (int f = 1; f < kFamilies; ++f) {
      if (f == shared && !options_.shared_infrastructure_alerts) continue;
      if (family[f].score > family[best].score) best = f;
    }
    double risk = family[best].score;
    for (int f = 0; f < kFamilies; ++f) {
      if (f != best && family[f].score >= 30) risk += 10;
    }
    risk = std::min(100.0, risk);
    a.risk = risk;
    if (risk >= options_.alert_threshold && !a.allowlisted) {
      ReportAccount(e, family, static_cast<Family>(best), risk);
    }
    return risk;
  }

  void ForgetAccount(uint32_t account) override { accounts_.Erase(account); }

  std::string SaveState() const override {
    v1::Snapshot snapshot;
    snapshot.set_format_version(1);
    snapshot.set_watermark_ms(watermark_ms_);
    auto add = [&snapshot](const char* name, const std::string& data) {
      v1::Section* section = snapshot.add_sections();
      section->set_name(name);
      section->set_data(data);
    };
    StateWriter engine;
    engine.Put<uint8_t>(1);
    engine.Put(watermark_ms_);
    engine.Put<uint8_t>(watermark_set_);
    engine.Put(stream_start_ms_);
    engine.Put(events_);
    engine.Put(late_events_);
    add("engine", engine.data());
    StateWriter accounts;
    accounts_.Encode(accounts, [](StateWriter& w, const uint32_t& id,
                                  const AccountState& state) {
      w.Put(id);
      EncodeAccount(w, state);
    });
    add("accounts", accounts.data());
    StateWriter addresses;
    addresses_.Encode(addresses, [](StateWriter& w, const IpAddress& ip,
                                    const AddressState& state) {
      w.Put(ip.hi());
      w.Put(ip.lo());
      EncodeAddress(w, state);
    });
    add("addresses", addresses.data());
    add("novelty", novelty_->Serialize());
    StateWriter peers;
    peers.Put<uint64_t>(peers_.size());
    for (const PeerBaseline& p : peers_) EncodePeers(peers, p);
    EncodePeers(peers, everyone_);
    add("peers", peers.data());
    StateWriter incidents;
    tracker_.Encode(incidents);
    add("incidents", incidents.data());
    return snapshot.SerializeAsString();
  }

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
    s.accounts = accounts_.size();
    s.addresses = addresses_.size();
    s.evicted_accounts = accounts_.evictions();
    s.evicted_addresses = addresses_.evictions();
    s.state_bytes = accounts_.bytes() + addresses_.bytes() + novelty_->bytes();
    return s;
  }

 private:
  void Reset() {
    accounts_ = EntityTable<uint32_t, AccountState>::Create(
                    account_table_options_)
                    .value();
    addresses_ = EntityTable<IpAddress, AddressState>::Create(
                     address_table_options_)
                     .value();
    peers_.clear();
    everyone_ = PeerBaseline();
    StateWriter empty_tracker;
    IncidentTracker(options_.quiet_to_close, nullptr).Encode(empty_tracker);
    StateReader reader(empty_tracker.data());
    tracker_.Restore(reader).IgnoreError();
    watermark_ms_ = stream_start_ms_ = 0;
    watermark_set_ = false;
    events_ = late_events_ = 0;
  }

  absl::Status Restore(absl::string_view bytes) {
    v1::Snapshot snapshot;
    if (!snapshot.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
      return absl::DataLossError("detector snapshot: not a vigie.v1.Snapshot");
    }
    if (snapshot.format_version() != 1) {
      return absl::DataLossError(absl::StrCat(
          "detector snapshot: unknown format version ",
          snapshot.format_version()));
    }
    absl::flat_hash_map<std::string, absl::string_view> sections;
    for (const v1::Section& s : snapshot.sections()) sections[s.name()] = s.data();
    for (const char* name :
         {"engine", "accounts", "addresses", "novelty", "peers", "incidents"}) {
      if (!sections.count(name)) {
        return absl::DataLossError(
            absl::StrCat("detector snapshot: missing section ", name));
      }
    }
    StateReader engine(sections["engine"]);
    if (engine.Get<uint8_t>() != 1) engine.Fail();
    watermark_ms_ = engine.Get<int64_t>();
    watermark_set_ = engine.Get<uint8_t>() != 0;
    stream_start_ms_ = engine.Get<int64_t>();
    events_ = engine.Get<uint64_t>();
    late_events_ = engine.Get<uint64_t>();
    absl::Status status = engine.Check("detector snapshot: engine");
    if (!status.ok()) return status;
    StateReader accounts(sections["accounts"]);
    status = accounts_.Restore(accounts, [](StateReader& r, uint32_t* id,
                                            AccountState* state) {
      *id = r.Get<uint32_t>();
      return DecodeAccount(r, state);
    });
    if (!status.ok()) return status;
    StateReader addresses(sections["addresses"]);
    status = addresses_.Restore(addresses, [](StateReader& r, IpAddress* ip,
                                              AddressState* state) {
      const uint64_t hi = r.Get<uint64_t>();
      const uint64_t lo = r.Get<uint64_t>();
      *ip = IpAddress::FromHalves(hi, lo);
      return DecodeAddress(r, state);
    });
    if (!status.ok()) return status;
    absl::StatusOr<std::unique_ptr<NoveltyFilter>> novelty =
        NoveltyFilter::Deserialize(sections["novelty"]);
    if (!novelty.ok()) return novelty.status();
    if ((*novelty)->bytes() != novelty_->bytes()) {
      return absl::FailedPreconditionError(
          "detector snapshot: novelty memory sized for other options");
    }
    novelty_ = std::move(novelty).value();
    StateReader peers(sections["peers"]);
    const uint64_t n = peers.Get<uint64_t>();
    if (n > 4097) peers.Fail();
    peers_.assign(peers.ok() ? n : 0, PeerBaseline());
    for (PeerBaseline& p : peers_) {
      if (!DecodePeers(peers, &p)) break;
    }
    DecodePeers(peers, &everyone_);
    status = peers.Check("detector snapshot: peers");
    if (!status.ok()) return status;
    StateReader incidents(sections["incidents"]);
    return tracker_.Restore(incidents);
  }

  PeerBaseline& PeersFor(uint32_t profession) {
    if (profession >= peers_.size()) {
      peers_.resize(std::min<size_t>(profession + 1, 4097));
      if (profession >= peers_.size()) profession = 0;
    }
    return peers_[profession];
  }

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

  void ReportAccount(const Event& e,
                     const std::array<SignalScore, kFamilies>& family,
                     Family best, double risk) {
    v1::Alert alert;
    alert.set_rule_name(FamilyName(best));
    alert.set_account(namer_(e.account));
    alert.set_source_ip(e.ip.ToString());
    alert.set_risk_score(std::round(risk * 10) / 10);
    alert.set_severity(Severity(risk));
    alert.set_recommended_action(ActionFor(best, risk));
    std::string message;
    AddReasons(family[static_cast<int>(best)], &alert, &message);
    for (int f = 0; f < kFamilies; ++f) {
      if (f != static_cast<int>(best) && family[f].score >= 30) {
        AddReasons(family[f], &alert, &message);
      }
    }
    absl::StrAppend(&message, "; from ", alert.source_ip());
    alert.set_message(message);
    tracker_.Fire(absl::StrCat("account|", e.account), alert, e.time_ms);
  }

  void ReportAddress(const Event& e, const SignalScore& score, Family family) {
    v1::Alert alert;
    alert.set_rule_name(FamilyName(family));
    alert.set_source_ip(e.ip.ToString());
    alert.set_risk_score(std::round(std::min(100.0, score.score) * 10) / 10);
    alert.set_severity(Severity(score.score));
    alert.set_recommended_action(family == Family::kCredentialAttack
                                     ? v1::BLOCK_IP
                                     : v1::BLOCK_NETWORK);
    std::string message;
    AddReasons(score, &alert, &message);
    alert.set_message(message);
    tracker_.Fire(absl::StrCat("address|", alert.source_ip()), alert,
                  e.time_ms);
  }

  DetectorOptions options_;
  EntityTableOptions account_table_options_;
  EntityTableOptions address_table_options_;
  AccountNamer namer_;
  IncidentTracker tracker_;
  EntityTable<uint32_t, AccountState> accounts_;
  EntityTable<IpAddress, AddressState> addresses_;
  std::unique_ptr<NoveltyFilter> novelty_;
  absl::flat_hash_set<std::string> allowlisted_names_;
  std::vector<PeerBaseline> peers_;
  PeerBaseline everyone_;
  int64_t watermark_ms_ = 0;
  int64_t stream_start_ms_ = 0;
  bool watermark_set_ = false;
  uint64_t events_ = 0;
  uint64_t late_events_ = 0;
};

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
  for (const DetectorOptions::Network& net : options.allowlisted_networks) {
    const int max = net.address.is_v4() ? 32 : 128;
    if (net.prefix_length < 0 || net.prefix_length > max) {
      return absl::InvalidArgumentError(absl::StrCat(
          "detector: allowlisted network ", net.address.ToString(), "/",
          net.prefix_length, ": prefix length out of range"));
    }
  }
  if (sink == nullptr || !namer) {
    return absl::InvalidArgumentError("detector: sink and namer are required");
  }
  NoveltyFilter::Options novelty_options;
  // The filter takes at most a quarter of the state budget (~2.4 bytes per
  // remembered pair over both generations at 1%).
  novelty_options.capacity = std::max<uint64_t>(
      1024, std::min<uint64_t>(options.novelty_capacity,
                               options.max_state_bytes / 4 * 10 / 24));
  absl::StatusOr<std::unique_ptr<NoveltyFilter>> novelty =
      NoveltyFilter::Create(novelty_options);
  if (!novelty.ok()) return novelty.status();
  const size_t table_bytes =
      options.max_state_bytes > (*novelty)->bytes()
          ? options.max_state_bytes - (*novelty)->bytes()
          : 0;
  EntityTableOptions account_options;
  account_options.max_bytes = table_bytes / 5 * 3;
  EntityTableOptions address_options;
  address_options.max_bytes = table_bytes / 5 * 2;
  auto accounts =
      EntityTable<uint32_t, engine::AccountState>::Create(account_options);
  if (!accounts.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "detector: max_state_bytes too small: ", accounts.status().message()));
  }
  auto addresses =
      EntityTable<IpAddress, engine::AddressState>::Create(address_options);
  if (!addresses.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "detector: max_state_bytes too small: ", addresses.status().message()));
  }
  return std::unique_ptr<Detector>(new engine::DetectorImpl(
      options, std::move(namer), sink, account_options, address_options,
      std::move(accounts).value(),
      std::move(addresses).value(), std::move(novelty).value()));
}

}  // namespace vigie
