#include "detector/alerts/explain.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "detector/geo/country_code.h"

namespace vigie {

std::string WindowWords(int64_t ms) {
  if (ms <= 0) return "history";
  if (ms % 86400000 == 0) {
    return ms == 86400000 ? "1 day" : absl::StrCat(ms / 86400000, " days");
  }
  if (ms % 3600000 == 0) {
    return ms == 3600000 ? "1 hour" : absl::StrCat(ms / 3600000, " hours");
  }
  if (ms % 60000 == 0) return absl::StrCat(ms / 60000, " min");
  return absl::StrCat(ms / 1000, " s");
}

std::string WindowCode(int64_t ms) {
  if (ms <= 0) return "history";
  if (ms % 86400000 == 0) return absl::StrCat(ms / 86400000, "d");
  if (ms % 3600000 == 0) return absl::StrCat(ms / 3600000, "h");
  if (ms % 60000 == 0) return absl::StrCat(ms / 60000, "m");
  return absl::StrCat(ms / 1000, "s");
}

std::string Explain(const Evidence& e) {
  const std::string in = WindowWords(e.window_ms);
  const double o = e.observed;
  const double b = e.baseline;
  switch (e.feature) {
    case Feature::kNewSubjectsPerMinute:
    case Feature::kNewSubjectsPerHour:
    case Feature::kNewSubjectsPerDay:
      return absl::StrFormat(
          "looked up %.0f people new to this account in %s (usual at most "
          "%.0f)",
          o, in, b);
    case Feature::kNewSubjectShare:
      return absl::StrFormat("%.0f%% of the people looked up in %s were new",
                             100 * o, in);
    case Feature::kSequentialNirShare:
      return absl::StrFormat(
          "%.0f%% of lookups in %s followed the previous NIR in sequence",
          100 * o, in);
    case Feature::kInvalidNirKeys:
      return absl::StrFormat("%.0f NIRs with an invalid control key in %s", o,
                             in);
    case Feature::kNotFoundShare:
      return absl::StrFormat("%.0f%% of lookups in %s answered \"not found\"",
                             100 * o, in);
    case Feature::kMachineRegularity:
      return absl::StrFormat(
          "lookups machine-regular: one every %.1f s with variation %.2f "
          "(people: above %.1f)",
          b, o, 0.5);
    case Feature::kUnusualHour:
      return absl::StrFormat(
          "active at an hour this account is almost never active (%.1f bits "
          "of surprise)",
          o);
    case Feature::kNewIpForAccount:
      return "from an address this account never used";
    case Feature::kNewNetworkForAccount:
      return "from a network this account never used";
    case Feature::kNewUserAgentForAccount:
      return "with a user agent this account never used";
    case Feature::kIpSwitchWithoutLogin:
      return "lookups from an address other than the session's login "
             "address, without a login";
    case Feature::kFailuresOnAccount:
      return absl::StrFormat("%.0f failed logins on this account in %s "
                             "(threshold %.0f)",
                             o, in, b);
    case Feature::kSuccessAfterFailures:
      return absl::StrFormat("successful login after %.0f failures", o);
    case Feature::kFailingAccountsPerIp:
      return absl::StrFormat(
          "%.0f different accounts failed to log in from this address in %s "
          "(threshold %.0f)",
          o, in, b);
    case Feature::kUnknownAccountsPerIp:
      return absl::StrFormat(
          "%.0f of them are names never seen logging in successfully", o);
    case Feature::kAccountsPerIp:
      return absl::StrFormat("%.0f accounts used this address in %s", o, in);
    case Feature::kExportedRecords:
      return absl::StrFormat(
          "exported %.0f records in %s (usual at most %.0f)", o, in, b);
    case Feature::kPeerDistance:
      return absl::StrFormat(
          "several features together far from the profession's accounts: "
          "distance %.1f over %s (peers at most %.1f)",
          o, in, b);
    case Feature::kPeerDominantFeature:
      return absl::StrCat("mostly in ",
                          PeerFeatureWords(static_cast<int>(o)));
    case Feature::kUnusualOrigin:
      return absl::StrFormat(
          "login origin %.0fx more likely for an attacker than for this "
          "account (address, network, AS, country, user agent)",
          std::pow(10.0, o));
    case Feature::kNewCountryForAccount:
      return absl::StrCat("from a country this account never used (",
                          CountryString(static_cast<uint16_t>(o)), ")");
    case Feature::kNewAsForAccount:
      return absl::StrFormat(
          "from an autonomous system this account never used (AS%.0f)", o);
    case Feature::kImpossibleTravel:
      return absl::StrFormat(
          "impossible travel: the previous login's country is %.0f km/h "
          "away (limit %.0f km/h)",
          o, b);
    case Feature::kSessionMovedKnown:
      return "to a network this account has used before";
    case Feature::kSessionMovedProvider:
      return o > 0 ? absl::StrFormat(
                         "to a provider this account never used (AS%.0f)", o)
                   : "to a network this account never used";
    case Feature::kSessionMovedRare:
      return o > 0 ? absl::StrFormat(
                         "a network only %.2g%% of the portal's logins come "
                         "from",
                         100 * o)
                   : "a network none of the portal's logins came from";
    case Feature::kHostingNetwork:
      return absl::StrFormat(
          "from a hosting provider's or anonymising network (AS%.0f), not "
          "where people browse from",
          o);
    case Feature::kRiskySession:
      return absl::StrFormat(
          "in a session whose login was already risky (score %.0f)", o);
    case Feature::kLoginFromAttackingAddress:
      return absl::StrFormat(
          "logged in successfully from an address where %.0f different "
          "accounts failed to log in in %s (threshold %.0f): a stolen "
          "password that worked",
          o, in, b);
    case Feature::kSessionMovedCountry:
      return absl::StrCat("in another country (",
                          CountryString(static_cast<uint16_t>(o)), ")");
    case Feature::kUnlikelySession:
      return "in a session whose login came from where this account is "
             "unlikely to be (less likely than 99% of the portal's logins "
             "are for theirs)";
  }
  return FeatureName(e.feature);
}

}  // namespace vigie
