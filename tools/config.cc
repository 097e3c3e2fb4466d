#include "tools/config.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "detector/alerts/severity.h"
#include "detector/input_mapping.h"
#include "detector/internal/status_macros.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"

namespace vigie {
namespace {

class CollectingErrors : public google::protobuf::io::ErrorCollector {
 public:
  explicit CollectingErrors(std::string name) : name_(std::move(name)) {}
  void AddError(int line, int column, const std::string& message) override {
    if (first_.empty()) {
      first_ = absl::StrCat(name_, ":", line + 1, ":", column + 1, ": ",
                            message);
    }
  }
  void AddWarning(int line, int column, const std::string& message) override {
  }
  const std::string& first() const { return first_; }

 private:
  std::string name_;
  std::string first_;
};

constexpr int64_t kMaxSeconds = int64_t{366} * 24 * 3600;

}  // namespace

namespace {

absl::Status ParseTextProto(const std::string& text, const std::string& name,
                            google::protobuf::Message* message) {
  google::protobuf::TextFormat::Parser parser;
  CollectingErrors errors(name);
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(text, message)) {
    return absl::InvalidArgumentError(
        errors.first().empty() ? absl::StrCat(name, ": cannot parse")
                               : errors.first());
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadText(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

absl::StatusOr<v1::DetectorConfig> ParseDetectorConfig(
    const std::string& text, const std::string& name) {
  v1::DetectorConfig config;
  VIGIE_RETURN_IF_ERROR(ParseTextProto(text, name, &config));
  return config;
}

absl::StatusOr<v1::DetectorConfig> LoadDetectorConfig(const std::string& path) {
  VIGIE_ASSIGN_OR_RETURN(std::string text, ReadText(path));
  return ParseDetectorConfig(text, path);
}

absl::StatusOr<v1::InputMapping> LoadInputMapping(const std::string& path) {
  VIGIE_ASSIGN_OR_RETURN(std::string text, ReadText(path));
  v1::InputMapping mapping;
  VIGIE_RETURN_IF_ERROR(ParseTextProto(text, path, &mapping));
  return mapping;
}

namespace {

// The mapping `proto` read from `path` describes; errors name the file.
absl::StatusOr<std::shared_ptr<const InputMapping>> MappingOfFile(
    const std::string& path, const v1::InputMapping& proto) {
  absl::StatusOr<std::shared_ptr<const InputMapping>> mapping =
      InputMappingFromProto(proto);
  if (!mapping.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", mapping.status().message()));
  }
  return mapping;
}

}  // namespace

absl::StatusOr<v1::InputMapping> LoadMappingFile(const std::string& path) {
  VIGIE_ASSIGN_OR_RETURN(v1::InputMapping mapping, LoadInputMapping(path));
  VIGIE_RETURN_IF_ERROR(MappingOfFile(path, mapping).status());
  return mapping;
}

absl::Status SetMappingFromFile(const std::string& path,
                                ReaderOptions* options) {
  if (path.empty()) return absl::OkStatus();
  VIGIE_ASSIGN_OR_RETURN(v1::InputMapping mapping, LoadInputMapping(path));
  VIGIE_ASSIGN_OR_RETURN(options->mapping, MappingOfFile(path, mapping));
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const InputMapping>> InputMappingFromProto(
    const v1::InputMapping& proto) {
  InputMapping mapping;
  const std::pair<const char*, const std::string*> columns[] = {
      {"time", &proto.time()},
      {"account", &proto.account()},
      {"ip", &proto.ip()},
      {"action", &proto.action()},
      {"outcome", &proto.outcome()},
      {"subject", &proto.subject()},
      {"records", &proto.records()},
      {"user_agent", &proto.user_agent()},
      {"service", &proto.service()},
      {"profession", &proto.profession()}};
  for (const auto& [field, column] : columns) {
    if (!column->empty()) {
      VIGIE_RETURN_IF_ERROR(mapping.SetColumn(field, *column));
    }
  }
  // Sorted, so that the same file always builds the same mapping.
  std::map<std::string, std::string> actions(proto.actions().begin(),
                                             proto.actions().end());
  for (const auto& [spelling, action] : actions) {
    VIGIE_RETURN_IF_ERROR(mapping.AddActionSpelling(spelling, action));
  }
  std::map<std::string, std::string> outcomes(proto.outcomes().begin(),
                                              proto.outcomes().end());
  for (const auto& [spelling, outcome] : outcomes) {
    VIGIE_RETURN_IF_ERROR(mapping.AddOutcomeSpelling(spelling, outcome));
  }
  VIGIE_ASSIGN_OR_RETURN(
      mapping.time, TimeFormat::Parse(proto.time_format(), proto.time_zone()));
  return std::make_shared<const InputMapping>(std::move(mapping));
}

absl::StatusOr<LookupBurstOptions> LookupBurstFromConfig(
    const v1::DetectorConfig& config) {
  LookupBurstOptions options;
  const v1::LookupBurstConfig& c = config.lookup_burst();
  if (c.has_window_seconds()) {
    if (c.window_seconds() <= 0 || c.window_seconds() > kMaxSeconds) {
      return absl::InvalidArgumentError(
          "lookup_burst.window_seconds must be in 1..31622400");
    }
    options.window = absl::Seconds(c.window_seconds());
  }
  if (c.has_distinct_subjects_threshold()) {
    options.distinct_subjects_threshold = c.distinct_subjects_threshold();
  }
  if (c.has_quiet_seconds_to_close()) {
    if (c.quiet_seconds_to_close() < 0 ||
        c.quiet_seconds_to_close() > kMaxSeconds) {
      return absl::InvalidArgumentError(
          "lookup_burst.quiet_seconds_to_close must be in 0..31622400");
    }
    options.quiet_to_close = absl::Seconds(c.quiet_seconds_to_close());
  }
  if (c.has_max_tracked_lookups_per_account()) {
    options.max_tracked_lookups_per_account =
        c.max_tracked_lookups_per_account();
  }
  absl::Status valid = ValidateLookupBurstOptions(options);
  if (!valid.ok()) return valid;
  return options;
}

bool ResolveLocationDatabase(v1::EngineConfig* engine,
                             const char* default_path) {
  if (engine->has_location_database()) {
    if (engine->location_database() == "none") {
      engine->set_location_database("");
    }
    return true;
  }
  if (access(default_path, R_OK) != 0) return false;
  engine->set_location_database(default_path);
  return true;
}

absl::StatusOr<DetectorOptions> DetectorOptionsFromConfig(
    const v1::DetectorConfig& config) {
  DetectorOptions o;
  const v1::EngineConfig& c = config.engine();
  auto positive = [](double v, const char* name) -> absl::Status {
    if (v > 0) return absl::OkStatus();
    return absl::InvalidArgumentError(
        absl::StrCat("engine.", name, " must be positive"));
  };
#define VIGIE_DOUBLE_FIELD(name)                          \
  if (c.has_##name()) {                                   \
    absl::Status s = positive(c.name(), #name);           \
    if (!s.ok()) return s;                                \
    o.name = c.name();                                    \
  }
  VIGIE_DOUBLE_FIELD(min_new_subjects_per_minute)
  VIGIE_DOUBLE_FIELD(min_new_subjects_per_hour)
  VIGIE_DOUBLE_FIELD(min_new_subjects_per_day)
  VIGIE_DOUBLE_FIELD(cold_start_new_per_minute)
  VIGIE_DOUBLE_FIELD(cold_start_new_per_hour)
  VIGIE_DOUBLE_FIELD(cold_start_new_per_day)
  VIGIE_DOUBLE_FIELD(min_exported_records_per_day)
#undef VIGIE_DOUBLE_FIELD
  if (c.has_incident_tier()) {
    if (c.has_alert_threshold()) {
      return absl::InvalidArgumentError(
          "engine: set incident_tier or alert_threshold, not both");
    }
    const std::string& tier = c.incident_tier();
    if (tier == "high") {
      o.alert_threshold = kHighTierRisk;
    } else if (tier == "medium") {
      o.alert_threshold = kMediumTierRisk;
    } else if (tier == "low") {
      o.alert_threshold = kLowTierRisk;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "engine.incident_tier must be high, medium or low, not \"", tier,
          "\""));
    }
  }
  if (c.has_alert_threshold()) {
    if (!(c.alert_threshold() > 0 && c.alert_threshold() <= 100)) {
      return absl::InvalidArgumentError(
          "engine.alert_threshold must be in (0, 100]");
    }
    o.alert_threshold = c.alert_threshold();
  }
  if (c.has_update_step()) {
    if (c.update_step() < 0) {
      return absl::InvalidArgumentError("engine.update_step must be >= 0");
    }
    o.update_step = c.update_step();
  }
  if (c.has_quiet_seconds_to_close()) {
    if (c.quiet_seconds_to_close() < 0 ||
        c.quiet_seconds_to_close() > kMaxSeconds) {
      return absl::InvalidArgumentError(
          "engine.quiet_seconds_to_close must be in 0..31622400");
    }
    o.quiet_to_close = absl::Seconds(c.quiet_seconds_to_close());
  }
  if (c.has_account_learning_seconds()) {
    if (c.account_learning_seconds() < 0 ||
        c.account_learning_seconds() > kMaxSeconds) {
      return absl::InvalidArgumentError(
          "engine.account_learning_seconds must be in 0..31622400");
    }
    o.account_learning_period = absl::Seconds(c.account_learning_seconds());
  }
#define VIGIE_COUNT_FIELD(name)                                        \
  if (c.has_##name()) {                                                \
    if (c.name() < 1) {                                                \
      return absl::InvalidArgumentError(                               \
          absl::StrCat("engine.", #name, " must be at least 1"));      \
    }                                                                  \
    o.name = c.name();                                                 \
  }
  VIGIE_COUNT_FIELD(account_failures_per_hour)
  VIGIE_COUNT_FIELD(failing_accounts_per_ip_hour)
  VIGIE_COUNT_FIELD(failing_accounts_per_ip_day)
#undef VIGIE_COUNT_FIELD
  if (c.has_logins_before_novelty()) {
    if (c.logins_before_novelty() < 0) {
      return absl::InvalidArgumentError(
          "engine.logins_before_novelty must be >= 0");
    }
    o.logins_before_novelty = c.logins_before_novelty();
  }
  if (c.has_shards()) {
    if (c.shards() < 1 || c.shards() > 256) {
      return absl::InvalidArgumentError("engine.shards must be in 1..256");
    }
    o.shards = c.shards();
  }
  if (c.has_peer_sample_one_in()) {
    if (c.peer_sample_one_in() < 1 || c.peer_sample_one_in() > 1024) {
      return absl::InvalidArgumentError(
          "engine.peer_sample_one_in must be in 1..1024");
    }
    o.peer_sample_one_in = static_cast<uint32_t>(c.peer_sample_one_in());
  }
  o.location_database = c.location_database();
  if (c.has_max_travel_kmh()) {
    if (!(c.max_travel_kmh() > 0)) {
      return absl::InvalidArgumentError("engine.max_travel_kmh must be > 0");
    }
    o.max_travel_kmh = c.max_travel_kmh();
  }
  for (uint32_t asn : c.hosting_asns()) {
    if (asn == 0) {
      return absl::InvalidArgumentError(
          "engine.hosting_asns: 0 is not an autonomous system number");
    }
    o.hosting_asns.push_back(asn);
  }
  for (const std::string& account : c.allowlisted_accounts()) {
    o.allowlisted_accounts.push_back(account);
  }
  for (const std::string& cidr : c.allowlisted_networks()) {
    const size_t slash = cidr.find('/');
    absl::StatusOr<IpAddress> address =
        IpAddress::Parse(cidr.substr(0, slash));
    int prefix = -1;
    if (address.ok()) {
      const int max = address->is_v4() ? 32 : 128;
      prefix = max;
      if (slash != std::string::npos &&
          (!absl::SimpleAtoi(cidr.substr(slash + 1), &prefix) || prefix < 0 ||
           prefix > max)) {
        prefix = -1;
      }
    }
    if (prefix < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "engine.allowlisted_networks: \"", cidr,
          "\" is not a network (e.g. 193.48.0.0/16 or 2001:db8::/32)"));
    }
    o.allowlisted_networks.push_back({*address, prefix});
  }
  return o;
}

absl::StatusOr<RulesBaselineOptions> RulesBaselineFromConfig(
    const v1::DetectorConfig& config) {
  RulesBaselineOptions options;
  const v1::RulesBaselineConfig& c = config.rules_baseline();
  auto positive = [](int64_t value, const char* name) {
    return value >= 1 ? absl::OkStatus()
                      : absl::InvalidArgumentError(
                            absl::StrCat("rules_baseline.", name,
                                         " must be at least 1"));
  };
  if (c.has_distinct_subjects_per_hour()) {
    absl::Status s = positive(c.distinct_subjects_per_hour(),
                              "distinct_subjects_per_hour");
    if (!s.ok()) return s;
    options.distinct_subjects_per_hour = c.distinct_subjects_per_hour();
  }
  if (c.has_failures_per_ip_10min()) {
    absl::Status s = positive(c.failures_per_ip_10min(), "failures_per_ip_10min");
    if (!s.ok()) return s;
    options.failures_per_ip_10min = c.failures_per_ip_10min();
  }
  if (c.has_failing_accounts_per_ip_hour()) {
    absl::Status s = positive(c.failing_accounts_per_ip_hour(),
                              "failing_accounts_per_ip_hour");
    if (!s.ok()) return s;
    options.failing_accounts_per_ip_hour = c.failing_accounts_per_ip_hour();
  }
  if (c.has_new_ip_learning_seconds()) {
    if (c.new_ip_learning_seconds() < 0 ||
        c.new_ip_learning_seconds() > kMaxSeconds) {
      return absl::InvalidArgumentError(
          "rules_baseline.new_ip_learning_seconds must be in 0..31622400");
    }
    options.new_ip_learning = absl::Seconds(c.new_ip_learning_seconds());
  }
  if (c.has_export_records_per_day()) {
    absl::Status s = positive(c.export_records_per_day(),
                              "export_records_per_day");
    if (!s.ok()) return s;
    options.export_records_per_day = c.export_records_per_day();
  }
  return options;
}

absl::StatusOr<ReaderOptions> ReaderOptionsFromConfig(
    const v1::DetectorConfig& config) {
  ReaderOptions options;
  if (config.ingest().has_max_record_bytes()) {
    int64_t bytes = config.ingest().max_record_bytes();
    if (bytes < 256 || bytes > (int64_t{1} << 30)) {
      return absl::InvalidArgumentError(
          "ingest.max_record_bytes must be in 256..1073741824");
    }
    options.max_record_bytes = static_cast<size_t>(bytes);
  }
  if (config.ingest().has_mapping()) {
    absl::StatusOr<std::shared_ptr<const InputMapping>> mapping =
        InputMappingFromProto(config.ingest().mapping());
    if (!mapping.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("ingest.", mapping.status().message()));
    }
    options.mapping = *std::move(mapping);
  }
  return options;
}

std::string DefaultConfigText() {
  LookupBurstOptions burst;
  ReaderOptions reader;
  v1::DetectorConfig config;
  config.mutable_ingest()->set_max_record_bytes(reader.max_record_bytes);
  (void)burst;  // lookup_burst is superseded by the engine: not printed.
  config.set_mode(v1::DETECTION_MODE_VIGIE);
  DetectorOptions engine;
  v1::EngineConfig* e = config.mutable_engine();
  // The default threshold is the high tier's: printed as the tier, the
  // form an operator changes.
  e->set_incident_tier(TierName(TierOf(engine.alert_threshold)));
  e->set_update_step(engine.update_step);
  e->set_quiet_seconds_to_close(absl::ToInt64Seconds(engine.quiet_to_close));
  e->set_account_learning_seconds(
      absl::ToInt64Seconds(engine.account_learning_period));
  e->set_min_new_subjects_per_minute(engine.min_new_subjects_per_minute);
  e->set_min_new_subjects_per_hour(engine.min_new_subjects_per_hour);
  e->set_min_new_subjects_per_day(engine.min_new_subjects_per_day);
  e->set_cold_start_new_per_minute(engine.cold_start_new_per_minute);
  e->set_cold_start_new_per_hour(engine.cold_start_new_per_hour);
  e->set_cold_start_new_per_day(engine.cold_start_new_per_day);
  e->set_min_exported_records_per_day(engine.min_exported_records_per_day);
  e->set_account_failures_per_hour(engine.account_failures_per_hour);
  e->set_failing_accounts_per_ip_hour(engine.failing_accounts_per_ip_hour);
  e->set_failing_accounts_per_ip_day(engine.failing_accounts_per_ip_day);
  e->set_logins_before_novelty(engine.logins_before_novelty);
  e->set_shards(engine.shards);
  e->set_location_database(engine.location_database);
  e->set_max_travel_kmh(engine.max_travel_kmh);
  e->set_peer_sample_one_in(static_cast<int32_t>(engine.peer_sample_one_in));
  config.set_memory_limit_bytes(int64_t{1} << 30);

  RulesBaselineOptions rules;
  v1::RulesBaselineConfig* r = config.mutable_rules_baseline();
  r->set_distinct_subjects_per_hour(rules.distinct_subjects_per_hour);
  r->set_failures_per_ip_10min(rules.failures_per_ip_10min);
  r->set_failing_accounts_per_ip_hour(rules.failing_accounts_per_ip_hour);
  r->set_new_ip_learning_seconds(absl::ToInt64Seconds(rules.new_ip_learning));
  r->set_export_records_per_day(rules.export_records_per_day);
  std::string text;
  google::protobuf::TextFormat::PrintToString(config, &text);
  return absl::StrCat(
      "# Vigie detector configuration with every default (text format of\n"
      "# vigie.v1.DetectorConfig, proto/detector_config.proto).\n"
      "# pseudonym_key_file: \"/etc/vigie/pseudonym.key\"\n"
      "# Allowlists go in the engine section, e.g.\n"
      "#   engine { allowlisted_accounts: \"svc.batch\"\n"
      "#            allowlisted_networks: \"193.48.0.0/16\" }\n",
      text);
}

absl::StatusOr<int64_t> ParseByteSize(absl::string_view text) {
  const std::string original(text);
  text = absl::StripAsciiWhitespace(text);
  size_t digits = 0;
  while (digits < text.size() && absl::ascii_isdigit(text[digits])) ++digits;
  int64_t value = 0;
  if (digits == 0 || digits > 15 ||
      !absl::SimpleAtoi(text.substr(0, digits), &value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", original, "\" is not a size (e.g. 256M, 1G)"));
  }
  std::string suffix = absl::AsciiStrToUpper(text.substr(digits));
  if (absl::EndsWith(suffix, "IB")) suffix.resize(suffix.size() - 2);
  else if (absl::EndsWith(suffix, "B")) suffix.resize(suffix.size() - 1);
  int shift = 0;
  if (suffix == "K") shift = 10;
  else if (suffix == "M") shift = 20;
  else if (suffix == "G") shift = 30;
  else if (suffix == "T") shift = 40;
  else if (!suffix.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", original, "\" is not a size (e.g. 256M, 1G)"));
  }
  if (value > (INT64_MAX >> shift)) {
    return absl::InvalidArgumentError(absl::StrCat("\"", original, "\" is too large"));
  }
  return value << shift;
}

absl::StatusOr<int64_t> MemoryLimitFromConfig(const std::string& flag,
                                              const v1::DetectorConfig& config) {
  int64_t limit = int64_t{1} << 30;
  if (!flag.empty()) {
    absl::StatusOr<int64_t> parsed = ParseByteSize(flag);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--memory-limit: ", parsed.status().message()));
    }
    limit = *parsed;
  } else if (config.has_memory_limit_bytes()) {
    limit = config.memory_limit_bytes();
  }
  if (limit < (int64_t{1} << 20)) {
    return absl::InvalidArgumentError(
        "memory limit must be at least 1 MiB");
  }
  return limit;
}

absl::StatusOr<ResolvedKey> ResolvePseudonymKey(
    const std::string& flag_path, const v1::DetectorConfig& config) {
  std::string path = flag_path;
  if (path.empty() && config.has_pseudonym_key_file()) {
    path = config.pseudonym_key_file();
  }
  if (path.empty()) {
    const char* env = std::getenv("VIGIE_PSEUDONYM_KEY_FILE");
    if (env != nullptr) path = env;
  }
  ResolvedKey resolved;
  if (path.empty()) {
    resolved.key = GeneratePseudonymKey();
    resolved.origin = "random (this run only)";
    resolved.ephemeral = true;
    return resolved;
  }
  absl::StatusOr<PseudonymKey> key = LoadPseudonymKey(path);
  if (!key.ok()) return key.status();
  resolved.key = *key;
  resolved.origin = path;
  return resolved;
}

}  // namespace vigie
