#include "tools/eval/evaluator.h"

#include <simdjson.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "detector/ingest/time_format.h"
#include "detector/internal/json_writer.h"
#include "detector/record_reader.h"

namespace vigie {
namespace eval {
namespace {

constexpr int64_t kGraceMs = 60 * 60 * 1000;

namespace dom = simdjson::dom;

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Str(simdjson::simdjson_result<dom::element> e) {
  std::string_view v;
  if (e.get_string().get(v)) return "";
  return std::string(v);
}

std::string Str(dom::element e) {
  std::string_view v;
  if (e.get_string().get(v)) return "";
  return std::string(v);
}

absl::StatusOr<int64_t> TimeOf(simdjson::simdjson_result<dom::element> e,
                               absl::string_view what) {
  std::string text = Str(e);
  absl::StatusOr<int64_t> ms = ParseEventTime(text);
  if (!ms.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": \"", text, "\": ", ms.status().message()));
  }
  return *ms;
}

bool Matches(const LabeledCampaign& c, const AlertLine& a) {
  if (a.time_ms < c.start_ms || a.time_ms > c.end_ms + kGraceMs) return false;
  // The accounts of a spray or stuffing campaign are its targets, hundreds
  // of ordinary users: an alert on one of them is the campaign's only if it
  // names one of the campaign's addresses.
  if ((c.kind == "password_spray" || c.kind == "credential_stuffing") &&
      !a.ip.empty()) {
    return c.ips.count(a.ip) > 0;
  }
  return (!a.account.empty() && c.accounts.count(a.account)) ||
         (!a.ip.empty() && c.ips.count(a.ip));
}

double Median(std::vector<int64_t> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  if (n == 0) return 0;
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2.0;
}

std::string Duration(int64_t ms) {
  if (ms < 60000) return absl::StrFormat("%.1fs", ms / 1000.0);
  if (ms < 3600000) return absl::StrFormat("%dm%02ds", ms / 60000, ms / 1000 % 60);
  return absl::StrFormat("%dh%02dm", ms / 3600000, ms / 60000 % 60);
}

}  // namespace

absl::StatusOr<Labels> ParseLabels(const std::string& json) {
  dom::parser parser;
  dom::element root;
  if (auto error = parser.parse(json).get(root)) {
    return absl::InvalidArgumentError(
        absl::StrCat("labels: invalid JSON: ", simdjson::error_message(error)));
  }
  Labels labels;
  int64_t value;
  if (root["accounts"].get_int64().get(value) == simdjson::SUCCESS) {
    labels.accounts = value;
  }
  if (root["days"].get_int64().get(value) == simdjson::SUCCESS) {
    labels.days = value;
  }
  dom::array campaigns;
  if (root["campaigns"].get_array().get(campaigns) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError("labels: no \"campaigns\" array");
  }
  for (dom::element c : campaigns) {
    LabeledCampaign campaign;
    campaign.id = Str(c["id"]);
    campaign.kind = Str(c["kind"]);
    dom::array list;
    if (c["accounts"].get_array().get(list) == simdjson::SUCCESS) {
      for (dom::element a : list) campaign.accounts.insert(Str(a));
    }
    if (c["ips"].get_array().get(list) == simdjson::SUCCESS) {
      for (dom::element a : list) campaign.ips.insert(Str(a));
    }
    absl::StatusOr<int64_t> start = TimeOf(c["start"], "labels: start");
    absl::StatusOr<int64_t> end = TimeOf(c["end"], "labels: end");
    if (!start.ok()) return start.status();
    if (!end.ok()) return end.status();
    campaign.start_ms = *start;
    campaign.end_ms = *end;
    labels.campaigns.push_back(std::move(campaign));
  }
  dom::array traps;
  if (root["benign_traps"].get_array().get(traps) == simdjson::SUCCESS) {
    for (dom::element t : traps) {
      labels.traps[Str(t["entity"])].insert(Str(t["kind"]));
    }
  }
  return labels;
}

absl::StatusOr<Labels> LoadLabels(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  absl::StatusOr<Labels> labels = ParseLabels(*text);
  if (!labels.ok()) {
    return absl::Status(labels.status().code(),
                        absl::StrCat(path, ": ", labels.status().message()));
  }
  return labels;
}

absl::StatusOr<std::vector<AlertLine>> LoadAlerts(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::vector<AlertLine> alerts;
  dom::parser parser;
  std::string line;
  int64_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    dom::element a;
    if (auto error = parser.parse(line).get(a)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", number, ": invalid JSON: ",
                       simdjson::error_message(error)));
    }
    AlertLine alert;
    absl::StatusOr<int64_t> time = TimeOf(a["@timestamp"], "@timestamp");
    if (!time.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", number, ": ", time.status().message()));
    }
    alert.time_ms = *time;
    alert.rule = Str(a["rule"]["name"]);
    alert.account = Str(a["user"]["name"]);
    alert.ip = Str(a["source"]["ip"]);
    double risk = 0;
    if (a["event"]["risk_score"].get_double().get(risk) == simdjson::SUCCESS) {
      alert.risk = risk;
    }
    alert.incident_id = Str(a["vigie"]["incident"]["id"]);
    if (alert.incident_id.empty()) {
      alert.incident_id = absl::StrCat(alert.rule, "|", alert.account, "|",
                                       alert.ip);
    }
    alerts.push_back(std::move(alert));
  }
  return alerts;
}

absl::StatusOr<std::vector<EventFacts>> LoadEventFacts(
    const std::string& path) {
  absl::StatusOr<std::unique_ptr<RecordReader>> reader =
      OpenRecordReader(path, ReaderOptions());
  if (!reader.ok()) return reader.status();
  std::vector<EventFacts> facts;
  AccessRecord record;
  RecordError error;
  while (true) {
    RecordReader::Result result = (*reader)->Next(&record, &error);
    if (result == RecordReader::Result::kEnd) break;
    if (result == RecordReader::Result::kError) {
      if (error.fatal) return error.ToStatus();
      continue;
    }
    facts.push_back(EventFacts{
        record.time_ms, std::string(record.account), record.ip.ToString(),
        record.action == Action::kLookup && record.outcome == Outcome::kSuccess,
        record.action == Action::kExport ? record.records : 0,
        record.action == Action::kLogin && record.outcome == Outcome::kSuccess});
  }
  return facts;
}

absl::StatusOr<std::map<std::string, double>> LoadScores(
    const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::map<std::string, double> scores;
  std::string line;
  int64_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (number == 1) {
      if (line != "account,max_risk") {
        return absl::InvalidArgumentError(absl::StrCat(
            path, ":1: expected the header \"account,max_risk\""));
      }
      continue;
    }
    if (line.empty()) continue;
    const size_t comma = line.rfind(',');
    double risk = 0;
    if (comma == std::string::npos ||
        !absl::SimpleAtod(line.substr(comma + 1), &risk)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", number, ": expected account,max_risk"));
    }
    scores[line.substr(0, comma)] = risk;
  }
  return scores;
}

namespace {

void CountTakenOver(const Labels& labels, const std::vector<AlertLine>& alerts,
                    const std::vector<EventFacts>& events, Evaluation* e) {
  // Each account a credential attack logged into, and the span of the
  // campaign that did (an incident the campaign opened on the account
  // before the login, as brute force does, names it too).
  std::map<std::string, std::pair<int64_t, int64_t>> taken;
  for (const LabeledCampaign& c : labels.campaigns) {
    if (c.kind != "credential_stuffing" && c.kind != "password_spray" &&
        c.kind != "brute_force") {
      continue;
    }
    for (const EventFacts& f : events) {
      if (!f.successful_login || f.time_ms < c.start_ms ||
          f.time_ms > c.end_ms || !c.accounts.count(f.account) ||
          !c.ips.count(f.ip)) {
        continue;
      }
      taken.emplace(f.account, std::make_pair(c.start_ms, c.end_ms));
    }
  }
  e->taken_over = static_cast<int64_t>(taken.size());
  for (const auto& [account, span] : taken) {
    for (const AlertLine& a : alerts) {
      if (a.account == account && a.time_ms >= span.first &&
          a.time_ms <= span.second + 3600000) {
        ++e->taken_over_named;
        break;
      }
    }
  }
}

}  // namespace

Evaluation Evaluate(const Labels& labels, const std::vector<AlertLine>& alerts,
                    const std::vector<EventFacts>* events,
                    const std::map<std::string, double>* scores) {
  Evaluation e;
  std::map<std::string, std::vector<int64_t>> exposures_by_kind;
  for (const LabeledCampaign& c : labels.campaigns) {
    CampaignResult r;
    r.id = c.id;
    r.kind = c.kind;
    for (const AlertLine& a : alerts) {
      if (Matches(c, a) && (!r.detected || a.time_ms < r.first_alert_ms)) {
        r.detected = true;
        r.first_alert_ms = a.time_ms;
      }
    }
    if (r.detected) r.time_to_first_alert_ms = r.first_alert_ms - c.start_ms;
    if (events != nullptr) {
      int64_t before = 0;
      int64_t total = 0;
      for (const EventFacts& f : *events) {
        if (f.time_ms < c.start_ms || f.time_ms > c.end_ms) continue;
        if (!c.accounts.count(f.account) || !c.ips.count(f.ip)) continue;
        const int64_t exposed =
            (f.successful_lookup ? 1 : 0) + static_cast<int64_t>(f.exported_records);
        total += exposed;
        if (!r.detected || f.time_ms < r.first_alert_ms) before += exposed;
      }
      r.exposed_before_alert = before;
      r.exposed_total = total;
      exposures_by_kind[c.kind].push_back(before);
    }
    e.campaigns.push_back(r);
  }
  for (const auto& [kind, values] : exposures_by_kind) {
    e.median_exposed_by_kind[kind] = Median(values);
  }
  if (events != nullptr) CountTakenOver(labels, alerts, *events, &e);
  // Incidents.
  std::map<std::string, std::vector<const AlertLine*>> incidents;
  for (const AlertLine& a : alerts) incidents[a.incident_id].push_back(&a);
  e.incidents = static_cast<int64_t>(incidents.size());
  for (const auto& [id, lines] : incidents) {
    bool true_positive = false;
    for (const AlertLine* a : lines) {
      for (const LabeledCampaign& c : labels.campaigns) {
        if (Matches(c, *a)) true_positive = true;
      }
    }
    if (true_positive) continue;
    ++e.false_incidents;
    const AlertLine& first = *lines.front();
    // Counted once for each phenomenon its entity took part in.
    auto it = labels.traps.find(first.account);
    if (it == labels.traps.end()) it = labels.traps.find(first.ip);
    if (it == labels.traps.end()) {
      ++e.false_by_trap["other"];
    } else {
      for (const std::string& kind : it->second) ++e.false_by_trap[kind];
    }
  }
  e.account_days = static_cast<double>(labels.accounts) * labels.days;
  e.false_per_10k_account_days =
      e.account_days > 0 ? e.false_incidents * 1e4 / e.account_days : 0;
  // Entity ROC AUC over accounts.
  std::map<std::string, double> score;
  if (events != nullptr) {
    for (const EventFacts& f : *events) score.emplace(f.account, 0.0);
  }
  // Positives: accounts a campaign used. The account lists of sprays and
  // stuffing are their targets (ordinary users, most never compromised):
  // neither positive nor negative.
  std::set<std::string> positives;
  std::set<std::string> targets;
  for (const LabeledCampaign& c : labels.campaigns) {
    const bool targets_only =
        c.kind == "password_spray" || c.kind == "credential_stuffing";
    for (const std::string& a : c.accounts) {
      (targets_only ? targets : positives).insert(a);
      score.emplace(a, 0.0);
    }
  }
  for (const std::string& a : positives) targets.erase(a);
  if (scores != nullptr) {
    for (const auto& [account, risk] : *scores) {
      double& s = score[account];
      s = std::max(s, risk);
    }
  } else {
    for (const AlertLine& a : alerts) {
      if (a.account.empty()) continue;
      double& s = score[a.account];
      s = std::max(s, a.risk);
    }
  }
  std::vector<double> pos, neg;
  for (const auto& [account, s] : score) {
    if (targets.count(account)) continue;
    (positives.count(account) ? pos : neg).push_back(s);
  }
  if (!pos.empty() && !neg.empty()) {
    std::sort(neg.begin(), neg.end());
    double wins = 0;
    for (double p : pos) {
      auto lo = std::lower_bound(neg.begin(), neg.end(), p);
      auto hi = std::upper_bound(neg.begin(), neg.end(), p);
      wins += (lo - neg.begin()) + 0.5 * (hi - lo);
    }
    e.auc = wins / (static_cast<double>(pos.size()) * neg.size());
  }
  return e;
}

std::string FormatEvaluation(const std::string& name, const Evaluation& e) {
  std::string out = absl::StrCat("== ", name, "\n");
  absl::StrAppendFormat(&out, "  %-24s %-20s %-9s %-12s %s\n", "campaign",
                        "kind", "detected", "first alert", "records exposed before it");
  int detected = 0;
  for (const CampaignResult& c : e.campaigns) {
    detected += c.detected;
    std::string exposed = "n/a (no --events)";
    if (c.exposed_before_alert.has_value()) {
      exposed = absl::StrCat(*c.exposed_before_alert, " of ", *c.exposed_total);
    }
    absl::StrAppendFormat(&out, "  %-24s %-20s %-9s %-12s %s\n", c.id, c.kind,
                          c.detected ? "yes" : "NO",
                          c.detected ? "+" + Duration(c.time_to_first_alert_ms)
                                     : "-",
                          exposed);
  }
  absl::StrAppendFormat(&out, "  detected %d of %d campaigns\n", detected,
                        e.campaigns.size());
  if (e.taken_over.has_value()) {
    absl::StrAppendFormat(
        &out, "  accounts taken over by credential attacks: %d, named by an "
              "alert: %d\n",
        *e.taken_over, e.taken_over_named);
  }
  absl::StrAppendFormat(
      &out,
      "  incidents: %d; false: %d = %.2f per 10,000 account-days (%.0f "
      "account-days)",
      e.incidents, e.false_incidents, e.false_per_10k_account_days,
      e.account_days);
  if (!e.false_by_trap.empty()) {
    out.append(": ");
    bool first = true;
    for (const auto& [trap, n] : e.false_by_trap) {
      absl::StrAppend(&out, first ? "" : ", ", trap, " ", n);
      first = false;
    }
  }
  out.append("\n");
  if (e.auc.has_value()) {
    absl::StrAppendFormat(&out, "  entity ROC AUC (accounts): %.3f\n", *e.auc);
  }
  return out;
}

std::string TableHeader() {
  return "| accounts × days | seed | detector | campaigns detected | chained "
         "lookups: records exposed before 1st alert (median) | low-and-slow: "
         "records exposed | undetected kinds | taken-over accounts named | "
         "false incidents / 10k account-days | entity AUC |\n"
         "|---|---|---|---|---|---|---|---|---|---|\n";
}

std::string FormatTableRow(const std::string& leading_cells,
                           const std::string& name, const Evaluation& e) {
  int detected = 0;
  std::set<std::string> missed;
  for (const CampaignResult& c : e.campaigns) {
    detected += c.detected;
    if (!c.detected) missed.insert(c.kind);
  }
  auto median = [&e](const std::string& kind) {
    auto it = e.median_exposed_by_kind.find(kind);
    return it == e.median_exposed_by_kind.end() ? std::string("n/a")
                                                : absl::StrCat(it->second);
  };
  std::string missed_text;
  for (const std::string& kind : missed) {
    absl::StrAppend(&missed_text, missed_text.empty() ? "" : ", ", kind);
  }
  const std::string named =
      e.taken_over.has_value()
          ? absl::StrCat(e.taken_over_named, "/", *e.taken_over)
          : std::string("n/a");
  return absl::StrFormat("%s| %s | %d/%d | %s | %s | %s | %s | %.2f | %s |\n",
                         leading_cells, name, detected, e.campaigns.size(),
                         median("chained_lookup"), median("low_and_slow"),
                         missed_text.empty() ? "none" : missed_text, named,
                         e.false_per_10k_account_days,
                         e.auc.has_value() ? absl::StrFormat("%.3f", *e.auc)
                                           : std::string("n/a"));
}

std::string EvaluationToJson(const std::string& name, const Evaluation& e) {
  std::string out = "{\"name\":";
  internal::AppendJsonString(name, &out);
  out.append(",\"campaigns\":[");
  for (size_t i = 0; i < e.campaigns.size(); ++i) {
    const CampaignResult& c = e.campaigns[i];
    if (i > 0) out.push_back(',');
    out.append("{\"id\":");
    internal::AppendJsonString(c.id, &out);
    out.append(",\"kind\":");
    internal::AppendJsonString(c.kind, &out);
    absl::StrAppend(&out, ",\"detected\":", c.detected ? "true" : "false");
    if (c.detected) {
      absl::StrAppend(&out, ",\"first_alert\":\"", FormatEventTime(c.first_alert_ms),
                      "\",\"seconds_to_first_alert\":",
                      c.time_to_first_alert_ms / 1000.0);
    }
    if (c.exposed_before_alert.has_value()) {
      absl::StrAppend(&out, ",\"records_exposed_before_first_alert\":",
                      *c.exposed_before_alert, ",\"records_exposed_total\":",
                      *c.exposed_total);
    }
    out.push_back('}');
  }
  absl::StrAppend(&out, "],\"incidents\":", e.incidents,
                  ",\"false_incidents\":", e.false_incidents,
                  ",\"account_days\":", e.account_days,
                  ",\"false_incidents_per_10k_account_days\":",
                  e.false_per_10k_account_days, ",\"false_by_trap\":{");
  bool first = true;
  for (const auto& [trap, n] : e.false_by_trap) {
    out.append(first ? "" : ",");
    internal::AppendJsonString(trap, &out);
    absl::StrAppend(&out, ":", n);
    first = false;
  }
  out.append("}");
  if (e.taken_over.has_value()) {
    absl::StrAppend(&out, ",\"taken_over_accounts\":", *e.taken_over,
                    ",\"taken_over_accounts_named\":", e.taken_over_named);
  }
  out.append(",\"median_records_exposed_by_kind\":{");
  first = true;
  for (const auto& [kind, m] : e.median_exposed_by_kind) {
    out.append(first ? "" : ",");
    internal::AppendJsonString(kind, &out);
    absl::StrAppend(&out, ":", m);
    first = false;
  }
  out.append("}");
  if (e.auc.has_value()) absl::StrAppend(&out, ",\"entity_roc_auc\":", *e.auc);
  out.append("}");
  return out;
}

}  // namespace eval
}  // namespace vigie
