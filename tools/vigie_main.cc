// vigie: the command-line tool. This file only parses flags and calls the
// library functions (RunReplay, RunConvert, simulate::Simulate, ...), each of
// which has its own tests; it prints any error and exits non-zero.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "detector/ingest/pseudonymizer.h"
#include "detector/internal/status_macros.h"
#include "tools/command_line.h"
#include "tools/config.h"
#include "tools/convert.h"
#include "tools/parse_command.h"
#include "tools/replay.h"
#include "tools/eval/evaluator.h"
#include "tools/output_file.h"
#include "tools/simulate_command.h"

namespace vigie {
namespace {

constexpr char kUsage[] =
    R"(vigie: detects anomalous access to professional portals.

Usage: vigie COMMAND [FLAGS] [ARGS]

Commands:
  replay    run the detector over access logs and print alerts
  convert   convert an access log between CSV, JSON Lines and binary
  parse     show how a log reads: its first records as events or refusals
  simulate  write a realistic, labelled portal access log
  eval      measure alerts against the labels of a simulated log
  keygen    create a pseudonymisation key file
  config    print the configuration with every default
  help      this text; `vigie COMMAND --help` for one command

Exit status: 0 success, 1 error (message on standard error), 2 bad usage.
)";

constexpr char kReplayUsage[] =
    R"(Usage: vigie replay [FLAGS] INPUT...

Reads access logs (CSV, ECS JSON Lines or binary; .gz read transparently;
- for standard input), merges them in time order, runs the detector, and
writes alerts as ECS JSON Lines. A summary goes to standard error.

Flags:
  --format auto|csv|jsonl|binary   input format (default auto: from the file
                                   extension, else from the first bytes)
  --config FILE      text-format vigie.v1.DetectorConfig (see vigie config
                     --print-defaults)
  --mapping FILE     how the portal's own log reads: its columns, its
                     spellings of actions and outcomes, its times
                     (text-format vigie.v1.InputMapping; docs/cli.md)
  --alerts FILE      where to write alerts (default - : standard output)
  --key-file FILE    pseudonymisation key (overrides the configuration and
                     $VIGIE_PSEUDONYM_KEY_FILE)
  --strict           stop at the first rejected record (default: count,
                     report and skip it)
  --scores FILE      write every account's peak risk (account,max_risk) for
                     ROC curves in vigie eval --scores
  --report FILE      write a self-contained HTML report at the end (events
                     and alerts over time, riskiest accounts and addresses,
                     risk distribution, incident table); opens offline,
                     prints; replaced atomically, and only when the run
                     gets to the end
  --memory-limit SIZE  hard cap on per-entity memory, e.g. 256M or 2G
                     (default: the configuration's, 1G); least recently
                     active accounts are forgotten first, and counted
  --mode vigie|baseline   which detection runs (default: the configuration's
                     mode, vigie): baseline is the Sigma/fail2ban-style rules
                     yardstick that `vigie eval` compares Vigie with
  --max-errors-shown N   rejected records listed in the summary (default 10)
  --no-progress      no progress line (there is none anyway when standard
                     error is not a terminal)
  --threads N        detection threads, at most the engine's shards (default
                     1; reading runs on its own thread). The alerts are
                     identical for any N
  --parse-threads N  threads parsing each JSON Lines file, in chunks of
                     whole lines (default 2; 1 to 64). The alerts are
                     identical for any N

Checkpoints (a killed replay resumes and writes exactly what an
uninterrupted run would; needs --alerts FILE, input files and a key file):
  --checkpoint FILE  save the replay's state to FILE (replaced atomically)
                     every --checkpoint-every and at the end of the input
  --checkpoint-every DURATION   wall-clock time between checkpoints, e.g.
                     30s, 5m, 1h (default 1m)
  --checkpoint-every-events N   also after every N events (for tests)
  --resume FILE      continue the replay that wrote FILE: same inputs,
                     configuration, flags and key (refused otherwise, with
                     what differs); the alerts file is cut back to its
                     length at the checkpoint and appended to. With
                     --checkpoint, the resumed run keeps checkpointing
)";

constexpr char kConvertUsage[] =
    R"(Usage: vigie convert [FLAGS] IN OUT

Converts an access log between CSV, ECS JSON Lines and binary
(length-delimited vigie.v1.AccessEvent). Every field is kept exactly; the
output holds raw subjects, so protect it like the input. An OUT ending in
.gz is compressed; - is standard input/output.

Flags:
  --from auto|csv|jsonl|binary   input format (default auto)
  --to csv|jsonl|binary          output format (default: from OUT's name)
  --strict                       stop at the first rejected record
  --max-record-bytes N           longest accepted record (default 65536)
  --mapping FILE                 how the portal's own log reads (see
                                 vigie replay --help)
)";

constexpr char kParseUsage[] =
    R"(Usage: vigie parse [FLAGS] INPUT

Shows how a log reads, before any replay: its first records as the events
they become (subjects masked), or why each was refused, then the counts by
reason over the whole input. Exit status 1 when no record reads.

Flags:
  --mapping FILE                 how the portal's own log reads (see
                                 docs/cli.md, "A portal's own columns")
  --format auto|csv|jsonl|binary input format (default auto)
  --show N                       records shown from the top (default 20)
)";

constexpr char kSimulateUsage[] =
    R"(Usage: vigie simulate [FLAGS] --out DIR

Writes a realistic, labelled portal access log: DIR/events.<ext> and
DIR/labels.json (planted attack campaigns and benign traps). Deterministic:
the same flags give the same bytes.

Flags:
  --accounts N       benign accounts (default 2000)
  --days D           days of traffic (default 2)
  --seed S           random seed (default 1)
  --format csv|jsonl|binary   event file format (default csv)
  --gzip             compress the event file (.gz)
  --no-campaigns     benign traffic only
  --world NAME       network conditions: mixed (default), city_fibre,
                     rural_mobile, hospital_group, ipv6_heavy
  --set K=V[,K=V]    override the world's parameters (e.g.
                     --set roaming_session=0,vpn_share=0.05); see
                     docs/simulator.md for each one
  --out DIR          output directory (created if missing)
)";

constexpr char kEvalUsage[] =
    R"(Usage: vigie eval --labels LABELS.json [--events EVENTS] [--json OUT]
                  [--table-row CELLS] ALERTS...

Measures alert streams (ECS JSON Lines from vigie replay) against the labels
of a simulated log: per planted campaign, detected or not, time to the first
alert and records exposed before it (needs --events); false incidents per
10,000 account-days by benign trap; entity ROC AUC of the risk scores.
Each ALERTS argument is FILE or NAME=FILE (e.g. vigie=a.jsonl
baseline=b.jsonl), so several detectors are compared on the same labels.

Flags:
  --labels FILE      labels.json written by vigie simulate (required)
  --events FILE      the simulated events, for exposure counts
  --json FILE        also write the results as JSON
  --scores FILE      per-account peak risks from vigie replay --scores, for
                     the AUC of the first ALERTS argument
  --table-row CELLS  print one markdown table row per ALERTS instead of the
                     report, after the given leading cells (e.g. "| 2000×2 | 1 ")
)";

constexpr char kKeygenUsage[] =
    R"(Usage: vigie keygen --out FILE [--force]

Writes a new random 32-byte pseudonymisation key as 64 hexadecimal
characters, readable by its owner only (mode 0600). Keep it like a
database password: the same key must be used for every run whose state or
alerts are compared, and anyone holding it can test guesses of a subject's
identifier against the pseudonyms.
)";

constexpr char kConfigUsage[] =
    R"(Usage: vigie config --print-defaults

Prints the detector configuration (text-format vigie.v1.DetectorConfig)
with every field at its default.
)";

bool WantsHelp(int argc, char** argv) {
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") return true;
  }
  return false;
}

int Fail(const absl::Status& status) {
  std::cerr << "vigie: " << status.message() << "\n";
  return 1;
}

int Usage(const std::string& message, const char* usage) {
  std::cerr << "vigie: " << message << "\n\n" << usage;
  return 2;
}

absl::StatusOr<InputFormat> FormatFlag(const CommandLine& cl,
                                       const std::string& name) {
  return ParseInputFormat(cl.Get(name, "auto"));
}

int Replay(int argc, char** argv) {
  CommandLine cl("replay", {{"format", true},
                            {"config", true},
                            {"mapping", true},
                            {"alerts", true},
                            {"key-file", true},
                            {"strict", false},
                            {"mode", true},
                            {"memory-limit", true},
                            {"scores", true},
                            {"report", true},
                            {"max-errors-shown", true},
                            {"threads", true},
                            {"parse-threads", true},
                            {"no-progress", false},
                            {"checkpoint", true},
                            {"checkpoint-every", true},
                            {"checkpoint-every-events", true},
                            {"resume", true}});
  absl::Status parsed = cl.Parse(argc, argv, 2);
  if (!parsed.ok()) return Usage(std::string(parsed.message()), kReplayUsage);
  if (cl.positional().empty()) {
    return Usage("replay needs at least one INPUT", kReplayUsage);
  }
  ReplayOptions options;
  options.inputs = cl.positional();
  absl::StatusOr<InputFormat> format = FormatFlag(cl, "format");
  if (!format.ok()) return Usage(std::string(format.status().message()), kReplayUsage);
  options.format = *format;
  options.config_path = cl.Get("config", "");
  options.mapping_path = cl.Get("mapping", "");
  options.alerts_path = cl.Get("alerts", "-");
  options.pseudonym_key_file = cl.Get("key-file", "");
  options.strict = cl.Has("strict");
  options.mode = cl.Get("mode", "");
  options.memory_limit = cl.Get("memory-limit", "");
  options.scores_path = cl.Get("scores", "");
  options.report_path = cl.Get("report", "");
  absl::StatusOr<int64_t> shown = cl.GetInt("max-errors-shown", 10);
  if (!shown.ok()) return Usage(std::string(shown.status().message()), kReplayUsage);
  options.max_errors_shown = static_cast<int>(*shown);
  absl::StatusOr<int64_t> threads = cl.GetIntInRange("threads", 1, 1, 256);
  if (!threads.ok()) {
    return Usage(std::string(threads.status().message()), kReplayUsage);
  }
  options.threads = static_cast<int>(*threads);
  absl::StatusOr<int64_t> parse_threads =
      cl.GetIntInRange("parse-threads", 2, 1, 64);
  if (!parse_threads.ok()) {
    return Usage(std::string(parse_threads.status().message()), kReplayUsage);
  }
  options.parse_threads = static_cast<int>(*parse_threads);
  options.progress = !cl.Has("no-progress");
  options.checkpoint_path = cl.Get("checkpoint", "");
  options.resume_path = cl.Get("resume", "");
  if (cl.Has("checkpoint-every") || cl.Has("checkpoint-every-events")) {
    if (!cl.Has("checkpoint")) {
      return Usage("--checkpoint-every needs --checkpoint FILE", kReplayUsage);
    }
  }
  if (cl.Has("checkpoint-every") &&
      (!absl::ParseDuration(cl.Get("checkpoint-every", ""),
                            &options.checkpoint_every) ||
       options.checkpoint_every <= absl::ZeroDuration())) {
    return Usage("--checkpoint-every must be a positive duration such as 30s, "
                 "5m or 1h",
                 kReplayUsage);
  }
  absl::StatusOr<int64_t> every_events = cl.GetInt("checkpoint-every-events", 0);
  if (!every_events.ok() || *every_events < 0) {
    return Usage("--checkpoint-every-events must be a positive integer",
                 kReplayUsage);
  }
  options.checkpoint_every_events = *every_events;
  ReplaySummary summary;
  absl::Status status = RunReplay(options, &summary);
  if (summary.key_ephemeral) {
    std::cerr << "vigie: warning: no pseudonymisation key configured; using a "
                 "random key for this run (see vigie keygen)\n";
  }
  std::cerr << FormatReplaySummary(summary);
  if (!status.ok()) return Fail(status);
  return 0;
}

int Convert(int argc, char** argv) {
  CommandLine cl("convert", {{"from", true},
                             {"to", true},
                             {"strict", false},
                             {"max-record-bytes", true},
                             {"mapping", true}});
  absl::Status parsed = cl.Parse(argc, argv, 2);
  if (!parsed.ok()) return Usage(std::string(parsed.message()), kConvertUsage);
  if (cl.positional().size() != 2) {
    return Usage("convert needs IN and OUT", kConvertUsage);
  }
  ConvertOptions options;
  options.input = cl.positional()[0];
  options.output = cl.positional()[1];
  absl::StatusOr<InputFormat> from = FormatFlag(cl, "from");
  absl::StatusOr<InputFormat> to = FormatFlag(cl, "to");
  if (!from.ok()) return Usage(std::string(from.status().message()), kConvertUsage);
  if (!to.ok()) return Usage(std::string(to.status().message()), kConvertUsage);
  options.input_format = *from;
  options.output_format = *to;
  options.strict = cl.Has("strict");
  absl::StatusOr<int64_t> max_bytes =
      cl.GetInt("max-record-bytes", 64 * 1024);
  if (!max_bytes.ok() || *max_bytes < 256) {
    return Usage("--max-record-bytes must be an integer >= 256", kConvertUsage);
  }
  options.max_record_bytes = static_cast<size_t>(*max_bytes);
  options.mapping_path = cl.Get("mapping", "");
  ConvertSummary summary;
  absl::Status status = RunConvert(options, &summary);
  std::cerr << "vigie convert: " << summary.records << " records written, "
            << summary.rejected << " rejected\n";
  for (const std::string& line : summary.errors_shown) {
    std::cerr << "  " << line << "\n";
  }
  for (const auto& [kind, count] : summary.rejected_by_kind) {
    std::cerr << "  " << count << "  " << kind << "\n";
  }
  if (!status.ok()) return Fail(status);
  return 0;
}

int Parse(int argc, char** argv) {
  CommandLine cl("parse", {{"mapping", true}, {"format", true}, {"show", true}});
  absl::Status parsed = cl.Parse(argc, argv, 2);
  if (!parsed.ok()) return Usage(std::string(parsed.message()), kParseUsage);
  if (cl.positional().size() != 1) {
    return Usage("parse needs one INPUT", kParseUsage);
  }
  ParseOptions options;
  options.input = cl.positional()[0];
  options.mapping_path = cl.Get("mapping", "");
  absl::StatusOr<InputFormat> format = FormatFlag(cl, "format");
  if (!format.ok()) {
    return Usage(std::string(format.status().message()), kParseUsage);
  }
  options.format = *format;
  absl::StatusOr<int64_t> show = cl.GetInt("show", 20);
  if (!show.ok() || *show < 0) {
    return Usage("--show must be a non-negative integer", kParseUsage);
  }
  options.show = *show;
  ParseSummary summary;
  absl::Status status = RunParse(options, std::cout, &summary);
  std::cout.flush();
  if (!status.ok()) return Fail(status);
  return 0;
}

int Simulate(int argc, char** argv) {
  CommandLine cl("simulate", {{"accounts", true},
                              {"days", true},
                              {"seed", true},
                              {"format", true},
                              {"gzip", false},
                              {"no-campaigns", false},
                              {"world", true},
                              {"set", true},
                              {"out", true}});
  absl::Status parsed = cl.Parse(argc, argv, 2);
  if (!parsed.ok()) return Usage(std::string(parsed.message()), kSimulateUsage);
  if (!cl.positional().empty()) {
    return Usage("simulate takes no positional arguments", kSimulateUsage);
  }
  if (!cl.Has("out")) return Usage("simulate needs --out DIR", kSimulateUsage);
  SimulateCommandOptions options;
  absl::StatusOr<int64_t> accounts = cl.GetInt("accounts", options.accounts);
  absl::StatusOr<int64_t> days = cl.GetInt("days", options.days);
  absl::StatusOr<int64_t> seed = cl.GetInt("seed", 1);
  for (const auto* v : {&accounts, &days, &seed}) {
    if (!v->ok()) return Usage(std::string(v->status().message()), kSimulateUsage);
  }
  options.accounts = *accounts;
  options.days = *days;
  options.seed = static_cast<uint64_t>(*seed);
  absl::StatusOr<InputFormat> format = ParseInputFormat(cl.Get("format", "csv"));
  if (!format.ok() || *format == InputFormat::kAuto) {
    return Usage("--format must be csv, jsonl or binary", kSimulateUsage);
  }
  options.format = *format;
  options.gzip = cl.Has("gzip");
  options.campaigns = !cl.Has("no-campaigns");
  absl::StatusOr<simulate::World> world =
      simulate::NamedWorld(cl.Get("world", "mixed"));
  if (!world.ok()) return Usage(std::string(world.status().message()), kSimulateUsage);
  for (absl::string_view setting :
       absl::StrSplit(cl.Get("set", ""), ',', absl::SkipEmpty())) {
    const size_t eq = setting.find('=');
    absl::Status set =
        eq == absl::string_view::npos
            ? absl::InvalidArgumentError(absl::StrCat(
                  "--set: expected KEY=VALUE, got '", setting, "'"))
            : simulate::SetWorldParameter(setting.substr(0, eq),
                                          setting.substr(eq + 1), &*world);
    if (!set.ok()) return Usage(std::string(set.message()), kSimulateUsage);
  }
  options.world = *world;
  options.out_dir = cl.Get("out", "");
  SimulateCommandSummary summary;
  absl::Status status = RunSimulateCommand(options, &summary);
  if (!status.ok()) return Fail(status);
  std::cerr << FormatSimulateSummary(summary);
  return 0;
}

int Eval(int argc, char** argv) {
  CommandLine cl("eval", {{"labels", true},
                          {"events", true},
                          {"scores", true},
                          {"json", true},
                          {"table-row", true}});
  absl::Status parsed = cl.Parse(argc, argv, 2);
  if (!parsed.ok()) return Usage(std::string(parsed.message()), kEvalUsage);
  if (!cl.Has("labels") || cl.positional().empty()) {
    return Usage("eval needs --labels and at least one ALERTS file", kEvalUsage);
  }
  absl::StatusOr<eval::Labels> labels = eval::LoadLabels(cl.Get("labels", ""));
  if (!labels.ok()) return Fail(labels.status());
  std::vector<eval::EventFacts> events;
  const bool have_events = cl.Has("events");
  if (have_events) {
    absl::StatusOr<std::vector<eval::EventFacts>> loaded =
        eval::LoadEventFacts(cl.Get("events", ""));
    if (!loaded.ok()) return Fail(loaded.status());
    events = std::move(loaded).value();
  }
  std::map<std::string, double> scores;
  const bool have_scores = cl.Has("scores");
  if (have_scores) {
    absl::StatusOr<std::map<std::string, double>> loaded =
        eval::LoadScores(cl.Get("scores", ""));
    if (!loaded.ok()) return Fail(loaded.status());
    scores = std::move(loaded).value();
  }
  std::string json = "{\"evaluations\":[";
  for (size_t i = 0; i < cl.positional().size(); ++i) {
    std::string arg = cl.positional()[i];
    std::string name = arg;
    std::string path = arg;
    size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      name = arg.substr(0, eq);
      path = arg.substr(eq + 1);
    }
    absl::StatusOr<std::vector<eval::AlertLine>> alerts = eval::LoadAlerts(path);
    if (!alerts.ok()) return Fail(alerts.status());
    // NAME=FILE[:SCORES] is not supported; one --scores file applies to
    // the first ALERTS argument only.
    const std::map<std::string, double>* scores_for_this =
        i == 0 && have_scores ? &scores : nullptr;
    eval::Evaluation e = eval::Evaluate(
        *labels, *alerts, have_events ? &events : nullptr, scores_for_this);
    if (cl.Has("table-row")) {
      std::cout << eval::FormatTableRow(cl.Get("table-row", ""), name, e);
    } else {
      std::cout << eval::FormatEvaluation(name, e);
    }
    if (i > 0) json.push_back(',');
    json += eval::EvaluationToJson(name, e);
  }
  json += "]}\n";
  if (cl.Has("json")) {
    absl::StatusOr<std::unique_ptr<OutputFile>> out =
        OutputFile::Open(cl.Get("json", ""));
    if (!out.ok()) return Fail(out.status());
    absl::Status written = (*out)->Write(json);
    if (written.ok()) written = (*out)->Close();
    if (!written.ok()) return Fail(written);
  }
  return 0;
}

int Keygen(int argc, char** argv) {
  CommandLine cl("keygen", {{"out", true}, {"force", false}});
  absl::Status parsed = cl.Parse(argc, argv, 2);
  if (!parsed.ok()) return Usage(std::string(parsed.message()), kKeygenUsage);
  if (!cl.Has("out") || !cl.positional().empty()) {
    return Usage("keygen needs --out FILE", kKeygenUsage);
  }
  const std::string path = cl.Get("out", "");
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC |
              (cl.Has("force") ? O_TRUNC : O_EXCL);
  int fd = open(path.c_str(), flags, 0600);
  if (fd < 0) {
    int err = errno;
    return Fail(absl::UnavailableError(absl::StrCat(
        path, ": ", strerror(err),
        err == EEXIST ? " (use --force to replace it; the old key's "
                        "pseudonyms will no longer match)"
                      : "")));
  }
  fchmod(fd, 0600);
  std::string text = FormatPseudonymKey(GeneratePseudonymKey()) + "\n";
  bool ok = write(fd, text.data(), text.size()) ==
            static_cast<ssize_t>(text.size());
  ok = (close(fd) == 0) && ok;
  if (!ok) return Fail(absl::UnavailableError(path + ": write failed"));
  std::cerr << "vigie keygen: wrote a new key to " << path << " (mode 0600)\n";
  return 0;
}

int Config(int argc, char** argv) {
  CommandLine cl("config", {{"print-defaults", false}});
  absl::Status parsed = cl.Parse(argc, argv, 2);
  if (!parsed.ok()) return Usage(std::string(parsed.message()), kConfigUsage);
  if (!cl.Has("print-defaults")) {
    return Usage("config needs --print-defaults", kConfigUsage);
  }
  std::cout << DefaultConfigText();
  return 0;
}

int Main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  const std::string command = argv[1];
  if (command == "help" || command == "--help" || command == "-h") {
    std::cout << kUsage;
    return 0;
  }
  struct Command {
    const char* name;
    int (*run)(int, char**);
    const char* usage;
  };
  const Command commands[] = {
      {"replay", Replay, kReplayUsage},
      {"convert", Convert, kConvertUsage},
      {"parse", Parse, kParseUsage},
      {"simulate", Simulate, kSimulateUsage},
      {"eval", Eval, kEvalUsage},
      {"keygen", Keygen, kKeygenUsage},
      {"config", Config, kConfigUsage},
  };
  for (const Command& c : commands) {
    if (command == c.name) {
      if (WantsHelp(argc, argv)) {
        std::cout << c.usage;
        return 0;
      }
      return c.run(argc, argv);
    }
  }
  std::cerr << "vigie: unknown command \"" << command << "\"\n\n" << kUsage;
  return 2;
}

}  // namespace
}  // namespace vigie

int main(int argc, char** argv) { return vigie::Main(argc, argv); }
