// Evidence: what a signal found, as numbers (feature, observed value,
// baseline, window), cheap to produce on every event. Words are written only
// when an alert is raised (see alerts/explain.h), so the hot path builds no
// strings.
//
// SignalScore: one signal family's verdict for one event: a score in
// [0, 100] and up to kMaxEvidence pieces of evidence, strongest first.
//
// Value types, no allocation; thread-compatible.
#ifndef VIGIE_DETECTOR_SIGNALS_EVIDENCE_H_
#define VIGIE_DETECTOR_SIGNALS_EVIDENCE_H_

#include <algorithm>
#include <array>
#include <cstdint>

namespace vigie {

enum class Feature : uint8_t {
  kNewSubjectsPerMinute,
  kNewSubjectsPerHour,
  kNewSubjectsPerDay,
  kNewSubjectShare,
  kSequentialNirShare,
  kInvalidNirKeys,
  kNotFoundShare,
  kMachineRegularity,
  kUnusualHour,
  kNewIpForAccount,
  kNewNetworkForAccount,
  kNewUserAgentForAccount,
  kIpSwitchWithoutLogin,
  kFailuresOnAccount,
  kSuccessAfterFailures,
  kFailingAccountsPerIp,
  kUnknownAccountsPerIp,
  kAccountsPerIp,
  kExportedRecords,
  kPeerDistance,          // observed: distance, baseline: peers' p99.9.
  kPeerDominantFeature,   // observed: a PeerFeature index.
  kUnusualOrigin,         // observed: login likelihood ratio (log10).
  kNewCountryForAccount,  // observed: ISO country code as two chars.
  kNewAsForAccount,       // observed: autonomous system number.
  kImpossibleTravel,      // observed: km/h, baseline: the limit.
  // A session continuing from another address (ObserveSessionActivity).
  kSessionMovedKnown,     // To a network the account has used.
  kSessionMovedProvider,  // observed: AS it moved to (0: unknown).
  kSessionMovedRare,      // observed: that AS's share of logins.
  kSessionMovedCountry,   // observed: ISO country code as two chars.
  // observed: accounts failing from the login's address, baseline: limit.
  kLoginFromAttackingAddress,
  kRiskySession,  // observed: the session's login score, baseline: limit.
  // A lookup in a session whose login was unlikely for the account.
  kUnlikelySession,
  kHostingNetwork,  // observed: the AS (hosting provider or proxy).
};

// Dimensions of the peer-group model's feature vector (family 6), in order.
enum PeerFeature : int {
  kLogLookupsPerHour,
  kLogNewPerHour,
  kNewShareHour,
  kSequentialShare,
  kNotFoundShare,
  kHourSurprise,
  kPeerFeatureCount,
};
// In words, e.g. "share of new people".
const char* PeerFeatureWords(int feature);

// Machine name, e.g. "new_subjects_per_minute".
const char* FeatureName(Feature feature);

enum class Family : uint8_t {
  kLookupEnumeration,
  kLoginRisk,
  kCredentialAttack,
  kSharedInfrastructure,
  kBulkExport,
  kPeerGroup,
};
constexpr int kFamilyCount = 6;
// rule.name in alerts, e.g. "lookup_enumeration".
const char* FamilyName(Family family);

struct Evidence {
  Feature feature;
  double observed;
  double baseline;
  int64_t window_ms;  // 0: over the entity's history.
};

struct SignalScore {
  static constexpr int kMaxEvidence = 6;
  double score = 0;
  int count = 0;
  std::array<Evidence, kMaxEvidence> evidence;

  SignalScore() = default;
  // Copies only the evidence in use: the engine copies each family's score
  // into its fusion every event, and most events have none (208 bytes
  // copied whole, three times a lookup).
  SignalScore(const SignalScore& other)
      : score(other.score), count(other.count) {
    std::copy_n(other.evidence.begin(), count, evidence.begin());
  }
  SignalScore& operator=(const SignalScore& other) {
    score = other.score;
    count = other.count;
    std::copy_n(other.evidence.begin(), count, evidence.begin());
    return *this;
  }

  void Add(double points, Evidence e) {
    score = std::min(100.0, score + points);
    if (count < kMaxEvidence) evidence[count++] = e;
  }
};

}  // namespace vigie

#endif  // VIGIE_DETECTOR_SIGNALS_EVIDENCE_H_
