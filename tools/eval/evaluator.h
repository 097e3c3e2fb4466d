// Evaluate: measures an alert stream against the labels of a simulated log
// (`vigie simulate`), in the three numbers a portal security team judges a
// detector by: records exposed before the first alert, false incidents per
// 10,000 account-days, and how well risk scores separate attackers.
//
// Matching. An alert belongs to a campaign when its user.name is one of the
// campaign's accounts or its source.ip one of its addresses, and its
// @timestamp lies between the campaign's start and one hour after its end.
// For password_spray and credential_stuffing, whose accounts are the
// targets (hundreds of ordinary users), an alert that names an address must
// name one of the campaign's.
// An incident (alerts sharing vigie.incident.id) is a false incident when
// none of its alerts belongs to any campaign; it is attributed to each
// benign phenomenon its entity (the first alert's account, else address)
// is labelled with (roaming_session, vpn, hospital_nat, pharmacist, ...;
// see tools/simulate/world.h), so the attributions may add up to more
// than the false incidents, or to "other" when it has none.
//
// Accounts taken over (needs the events): those a credential_stuffing,
// password_spray or brute_force campaign logged into successfully from
// one of its addresses; each is named when an alert names its account
// between the campaign's start and one hour after its end.
//
// Exposure (needs the events): the campaign's events are those whose
// account and address both belong to the campaign, within its time span.
// Records exposed = successful lookups + exported records. "Before the first
// alert" counts events strictly earlier than the campaign's first alert (all
// of them when it was never detected).
//
// Entity ROC AUC: every account in the events (or named in labels and
// alerts when no events are given) scored by its highest risk: from the
// per-account scores file of `vigie replay --scores` when given (every
// account's peak fused risk, alerted or not), else from its alerts (0
// without alerts); positives are the campaigns' accounts, except the
// targets of sprays and stuffing (ordinary users), which are left out. Ties
// count half (Mann-Whitney).
//
// Example:
//   VIGIE_ASSIGN_OR_RETURN(Labels labels, LoadLabels("sim/labels.json"));
//   VIGIE_ASSIGN_OR_RETURN(std::vector<AlertLine> alerts,
//                          LoadAlerts("alerts.jsonl"));
//   Evaluation e = Evaluate(labels, alerts, &events_or_null);
#ifndef VIGIE_TOOLS_EVAL_EVALUATOR_H_
#define VIGIE_TOOLS_EVAL_EVALUATOR_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace vigie {
namespace eval {

struct LabeledCampaign {
  std::string id;
  std::string kind;
  std::set<std::string> accounts;
  std::set<std::string> ips;
  int64_t start_ms = 0;
  int64_t end_ms = 0;
};

struct Labels {
  int64_t accounts = 0;
  int64_t days = 0;
  std::vector<LabeledCampaign> campaigns;
  // entity -> the phenomena it took part in (several for one entity).
  std::map<std::string, std::set<std::string>> traps;
};

struct AlertLine {
  int64_t time_ms = 0;
  std::string rule;
  std::string account;
  std::string ip;
  double risk = 0;
  std::string incident_id;
};

// What the evaluator needs of one event (no subject).
struct EventFacts {
  int64_t time_ms;
  std::string account;
  std::string ip;
  bool successful_lookup;
  uint64_t exported_records;
  bool successful_login = false;
};

absl::StatusOr<Labels> LoadLabels(const std::string& path);
absl::StatusOr<Labels> ParseLabels(const std::string& json);
// InvalidArgument naming file:line for a malformed line.
absl::StatusOr<std::vector<AlertLine>> LoadAlerts(const std::string& path);
// Reads events through RecordReader (any format).
absl::StatusOr<std::vector<EventFacts>> LoadEventFacts(const std::string& path);
// Reads "account,max_risk" lines (with that header) as written by
// `vigie replay --scores`. InvalidArgument naming file:line.
absl::StatusOr<std::map<std::string, double>> LoadScores(
    const std::string& path);

struct CampaignResult {
  std::string id;
  std::string kind;
  bool detected = false;
  int64_t first_alert_ms = 0;
  int64_t time_to_first_alert_ms = 0;
  std::optional<int64_t> exposed_before_alert;  // Needs events.
  std::optional<int64_t> exposed_total;
};

struct Evaluation {
  std::vector<CampaignResult> campaigns;
  int64_t incidents = 0;
  int64_t false_incidents = 0;
  std::map<std::string, int64_t> false_by_trap;
  double account_days = 0;
  double false_per_10k_account_days = 0;
  std::optional<double> auc;
  // Median exposure before the first alert, per campaign kind.
  std::map<std::string, double> median_exposed_by_kind;
  // Accounts a credential attack (stuffing, spray, brute force) logged
  // into, and how many of them an alert naming the account reported
  // between the campaign's start and an hour after its end. Needs events.
  std::optional<int64_t> taken_over;
  int64_t taken_over_named = 0;
};

Evaluation Evaluate(const Labels& labels, const std::vector<AlertLine>& alerts,
                    const std::vector<EventFacts>* events,
                    const std::map<std::string, double>* scores = nullptr);

// Human-readable report, several lines.
std::string FormatEvaluation(const std::string& name, const Evaluation& e);
// One markdown table row: | name | detected | median records exposed before
// the first alert for chained_lookup, low_and_slow | kinds missed | taken-
// over accounts named (named/taken over) | false incidents per 10,000
// account-days | AUC |, after the given leading cells.
std::string FormatTableRow(const std::string& leading_cells,
                           const std::string& name, const Evaluation& e);
std::string TableHeader();

// JSON object for one evaluation.
std::string EvaluationToJson(const std::string& name, const Evaluation& e);

}  // namespace eval
}  // namespace vigie

#endif  // VIGIE_TOOLS_EVAL_EVALUATOR_H_
