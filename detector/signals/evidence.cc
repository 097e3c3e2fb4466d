#include "detector/signals/evidence.h"

namespace vigie {

const char* FeatureName(Feature feature) {
  switch (feature) {
    case Feature::kNewSubjectsPerMinute: return "new_subjects_per_minute";
    case Feature::kNewSubjectsPerHour: return "new_subjects_per_hour";
    case Feature::kNewSubjectsPerDay: return "new_subjects_per_day";
    case Feature::kNewSubjectShare: return "new_subject_share";
    case Feature::kSequentialNirShare: return "sequential_nir_share";
    case Feature::kInvalidNirKeys: return "invalid_nir_keys";
    case Feature::kNotFoundShare: return "not_found_share";
    case Feature::kMachineRegularity: return "inter_arrival_cv";
    case Feature::kUnusualHour: return "unusual_hour_bits";
    case Feature::kNewIpForAccount: return "new_ip_for_account";
    case Feature::kNewNetworkForAccount: return "new_network_for_account";
    case Feature::kNewUserAgentForAccount: return "new_user_agent_for_account";
    case Feature::kIpSwitchWithoutLogin: return "ip_switch_without_login";
    case Feature::kFailuresOnAccount: return "login_failures_on_account";
    case Feature::kSuccessAfterFailures: return "success_after_failures";
    case Feature::kFailingAccountsPerIp: return "failing_accounts_per_ip";
    case Feature::kUnknownAccountsPerIp: return "unknown_accounts_per_ip";
    case Feature::kAccountsPerIp: return "accounts_per_ip";
    case Feature::kExportedRecords: return "exported_records";
    case Feature::kPeerDistance: return "peer_group_distance";
    case Feature::kPeerDominantFeature: return "peer_group_dominant_feature";
    case Feature::kUnusualOrigin: return "login_origin_likelihood_ratio";
    case Feature::kNewCountryForAccount: return "new_country_for_account";
    case Feature::kNewAsForAccount: return "new_as_for_account";
    case Feature::kImpossibleTravel: return "impossible_travel_kmh";
    case Feature::kSessionMovedKnown: return "session_moved_known_network";
    case Feature::kSessionMovedProvider: return "session_moved_new_provider";
    case Feature::kSessionMovedRare: return "session_moved_rare_network";
    case Feature::kSessionMovedCountry: return "session_moved_country";
    case Feature::kUnlikelySession: return "unlikely_session";
    case Feature::kLoginFromAttackingAddress:
      return "login_from_attacking_address";
    case Feature::kRiskySession: return "risky_session_login_score";
    case Feature::kHostingNetwork: return "hosting_network";
  }
  return "unknown";
}

const char* FamilyName(Family family) {
  switch (family) {
    case Family::kLookupEnumeration: return "lookup_enumeration";
    case Family::kLoginRisk: return "login_risk";
    case Family::kCredentialAttack: return "credential_attack";
    case Family::kSharedInfrastructure: return "shared_infrastructure";
    case Family::kBulkExport: return "bulk_export";
    case Family::kPeerGroup: return "peer_group";
  }
  return "unknown";
}

const char* PeerFeatureWords(int feature) {
  switch (feature) {
    case kLogLookupsPerHour: return "lookups per hour";
    case kLogNewPerHour: return "new people per hour";
    case kNewShareHour: return "share of new people";
    case kSequentialShare: return "share of sequential NIRs";
    case kNotFoundShare: return "share of \"not found\" answers";
    case kHourSurprise: return "hour of activity";
  }
  return "features";
}

}  // namespace vigie
