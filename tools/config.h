// Loading and validating the text-format DetectorConfig
// (proto/detector_config.proto) that `vigie replay --config FILE` reads,
// and resolving the pseudonymisation key.
//
// Example:
//   VIGIE_ASSIGN_OR_RETURN(v1::DetectorConfig config,
//                          LoadDetectorConfig("vigie.conf"));
//   VIGIE_ASSIGN_OR_RETURN(LookupBurstOptions burst, LookupBurstFromConfig(config));
#ifndef VIGIE_TOOLS_CONFIG_H_
#define VIGIE_TOOLS_CONFIG_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "detector/detector_options.h"
#include "detector/input_mapping.h"
#include "detector/ingest/pseudonymizer.h"
#include "detector/record_reader.h"
#include "detector/signals/lookup_burst.h"
#include "detector/signals/rules_baseline.h"
#include "proto/detector_config.pb.h"

namespace vigie {

// Parses a text-format DetectorConfig. NotFound if the file is missing,
// InvalidArgument (with file:line:column) if it does not parse.
absl::StatusOr<v1::DetectorConfig> LoadDetectorConfig(const std::string& path);

// Parses text-format config from a string; `name` appears in errors.
absl::StatusOr<v1::DetectorConfig> ParseDetectorConfig(
    const std::string& text, const std::string& name);

// Parses a text-format InputMapping file (`--mapping FILE`); errors as
// LoadDetectorConfig's.
absl::StatusOr<v1::InputMapping> LoadInputMapping(const std::string& path);
// LoadInputMapping, then validated (InputMappingFromProto): errors name
// the file.
absl::StatusOr<v1::InputMapping> LoadMappingFile(const std::string& path);
// Reads `path` with LoadMappingFile into options->mapping; nothing when
// `path` is empty.
absl::Status SetMappingFromFile(const std::string& path,
                                ReaderOptions* options);
// Validates a mapping: InvalidArgument naming the unknown field, the
// column given twice, the spelling of no action or outcome, the unknown
// time format or zone.
absl::StatusOr<std::shared_ptr<const InputMapping>> InputMappingFromProto(
    const v1::InputMapping& proto);

// The full configuration with every default filled in, as text format:
// what `vigie config --print-defaults` prints.
std::string DefaultConfigText();

absl::StatusOr<LookupBurstOptions> LookupBurstFromConfig(
    const v1::DetectorConfig& config);
// The engine's options from the configuration (defaults for absent
// fields). InvalidArgument naming the field for bad values (e.g. a CIDR).
// The libloc database used when the configuration names none.
inline constexpr char kDefaultLocationDatabase[] =
    "/var/lib/location/database.db";
// Settles engine.location_database: unset means `default_path` when that
// file can be read (else none), "none" or "" means none, anything else is
// the path. Returns false when it was unset and the default is missing,
// for the caller to say so once.
bool ResolveLocationDatabase(
    v1::EngineConfig* engine,
    const char* default_path = kDefaultLocationDatabase);

absl::StatusOr<DetectorOptions> DetectorOptionsFromConfig(
    const v1::DetectorConfig& config);

absl::StatusOr<RulesBaselineOptions> RulesBaselineFromConfig(
    const v1::DetectorConfig& config);
absl::StatusOr<ReaderOptions> ReaderOptionsFromConfig(
    const v1::DetectorConfig& config);

// Parses a size such as "256M", "1G", "512KiB" or "1048576" (bytes).
// Suffixes K, M, G, T are powers of 1024, with optional "iB" or "B".
absl::StatusOr<int64_t> ParseByteSize(absl::string_view text);

// The memory limit in bytes: the flag when non-empty, else the
// configuration, else 1 GiB. InvalidArgument below 1 MiB.
absl::StatusOr<int64_t> MemoryLimitFromConfig(const std::string& flag,
                                              const v1::DetectorConfig& config);

struct ResolvedKey {
  PseudonymKey key;
  // Where it came from: a path, or "random (this run only)".
  std::string origin;
  bool ephemeral = false;
};
// Key file from `flag_path` if set, else config.pseudonym_key_file, else
// $VIGIE_PSEUDONYM_KEY_FILE, else a random key (ephemeral).
absl::StatusOr<ResolvedKey> ResolvePseudonymKey(
    const std::string& flag_path, const v1::DetectorConfig& config);

}  // namespace vigie

#endif  // VIGIE_TOOLS_CONFIG_H_
