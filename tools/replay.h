// RunReplay: the library behind `vigie replay`. Reads access logs in time
// order, encodes them into Events (pseudonymising subjects), runs the
// detection rules, writes alerts as ECS JSON Lines, and reports a summary.
//
// Inputs are merged by event time (each input is expected to be in time
// order; ties go to the input listed first). In lenient mode (default) a
// rejected record is counted by reason, reported, and skipped; in strict
// mode the first rejected record stops the run with its error. An input
// that cannot be read to its end (corrupt gzip, truncated binary record) is
// reported in both modes and makes the run return DataLoss after the other
// inputs are processed, so the exit status says that data was lost. A
// run whose records were all rejected returns InvalidArgument (its outputs
// written): a log in a format Vigie was not told about must not pass for
// a quiet one. The summary states the event-time span read, so that times
// in the wrong unit (epoch seconds read as milliseconds land in 1970) show.
//
// Checkpoints (options.checkpoint_path, README "Checkpoints"): the replay
// saves everything it needs to continue (encoder dictionaries, input
// positions, detector state, counts, peak risks, the alerts file's length)
// at one cut in the event stream, atomically, every checkpoint_every of
// wall-clock time and at the end of the input. A run killed at any point
// and resumed (options.resume_path, same inputs, configuration, flags and
// key) writes exactly the alerts, scores and summary counts of an
// uninterrupted run.
//
// Thread-compatible (one run per call). Example:
//   ReplayOptions options;
//   options.inputs = {"events.csv.gz"};
//   ReplaySummary summary;
//   absl::Status status = RunReplay(options, &summary);
//   std::cerr << FormatReplaySummary(summary);
#ifndef VIGIE_TOOLS_REPLAY_H_
#define VIGIE_TOOLS_REPLAY_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "detector/record_reader.h"

namespace vigie {

struct ReplayOptions {
  std::vector<std::string> inputs;  // Paths; "-" is standard input.
  InputFormat format = InputFormat::kAuto;
  std::string config_path;          // Empty: defaults.
  // A text-format vigie.v1.InputMapping: how the portal's own log reads
  // (in place of the configuration's ingest.mapping). Empty: none.
  std::string mapping_path;
  std::string alerts_path = "-";    // "-": standard output.
  std::string pseudonym_key_file;   // Overrides the configuration.
  bool strict = false;
  // Overrides the configuration's mode when set: "vigie" or "baseline".
  std::string mode;
  // Overrides the configuration's memory limit when set, e.g. "256M".
  std::string memory_limit;
  // Read and encode on a second thread while detection runs on this one,
  // and parse each text input (CSV, JSON Lines; not standard input) on a
  // thread of its own ahead of that. The output is the same either way;
  // without it the whole input is encoded before detection starts, so
  // memory grows with the input (for tests). Default: true.
  bool pipeline = true;
  // Detection threads (the engine's shards spread over them); the output is
  // identical for any count. Default: 1.
  int threads = 1;
  // With `pipeline`, each JSON Lines input file is parsed on this many
  // threads, in chunks of whole lines (1: on one thread of its own, as
  // CSV). The output is identical for any count. Default: 2.
  int parse_threads = 2;
  // A progress line on standard error while it is a terminal. Default: true.
  bool progress = true;
  // When set, writes "account,max_risk" for every account: its peak fused
  // risk over the run (for ROC curves in vigie eval).
  std::string scores_path;
  // When set, writes the run's HTML report there at the end (see
  // tools/replay_report.h), atomically: a temporary file beside it renamed
  // over it. Written when every input was processed, also when one was cut
  // short (the page says so); not when the run stops on an error.
  std::string report_path;
  // Individual rejected records printed in the summary (the rest are only
  // counted). Default: 10.
  int max_errors_shown = 10;

  // When set, checkpoints go to this file (replaced atomically; FILE.tmp
  // beside it while writing) every `checkpoint_every` of wall-clock time
  // and at the end of the input. Needs alerts_path to be a regular file,
  // input files (not standard input), a key file (not a random key) and
  // Vigie's detection (the rules baseline keeps no savable state):
  // InvalidArgument otherwise.
  std::string checkpoint_path;
  // Wall-clock time between checkpoints. Each one costs a pause of the
  // detection thread (see README "Checkpoints"). Default: 1 minute.
  absl::Duration checkpoint_every = absl::Minutes(1);
  // For tests: also a checkpoint after every this many events, so that
  // cuts land at the same events whatever the machine's speed (each cut
  // then waits in the queue with its encoder state, however many are not
  // written yet). 0: by time only.
  int64_t checkpoint_every_events = 0;
  // When set, continues the replay that wrote this checkpoint: the alerts
  // file is cut back to its length at the checkpoint and appended to; the
  // inputs continue where the checkpoint left them. FailedPrecondition
  // naming the difference when the inputs (paths, sizes), the effective
  // configuration and mode, the flags that shape the output or the key
  // differ; DataLoss for a truncated or damaged checkpoint. With
  // checkpoint_path too, the resumed run keeps checkpointing.
  std::string resume_path;
  // For tests: stop with Aborted right after writing this many
  // checkpoints, as if killed then. 0: never.
  int testing_abort_after_checkpoints = 0;
};

struct ReplaySummary {
  int64_t events = 0;     // Accepted records.
  // Event times of the oldest and newest accepted record (ms since the
  // epoch, UTC); meaningful when events > 0.
  int64_t first_event_ms = 0;
  int64_t last_event_ms = 0;
  int64_t rejected = 0;   // Rejected records (and fatal input errors).
  // Accepted events older than the newest event already replayed by more
  // than the windows' allowed lateness (5 s): the statistics core will not
  // put them in a window.
  int64_t late_events = 0;
  struct ErrorKind {
    int64_t count = 0;
    std::string first;    // The first occurrence, as a full error line.
  };
  std::map<std::string, ErrorKind> rejected_by_kind;
  std::vector<std::string> errors_shown;
  std::vector<std::string> inputs_cut_short;  // Fatal errors, one line each.
  std::map<std::string, int64_t> alerts_by_rule;
  int64_t alerts = 0;
  int64_t incidents = 0;
  int64_t accounts = 0;
  int64_t memory_limit_bytes = 0;
  int64_t state_bytes = 0;          // Estimated, at the end of the run.
  uint64_t evicted_accounts = 0;    // Account state forgotten for memory.
  uint64_t overflowed_account_names = 0;  // Dictionary ids recycled.
  uint64_t bytes_read = 0;
  double seconds = 0;
  std::string key_origin;
  bool key_ephemeral = false;
  std::string report_written;  // The report's path, once it is in place.
  int64_t checkpoints_written = 0;
  // With resume_path: events and input bytes replayed before the
  // checkpoint (the throughput counts only this run's).
  int64_t resumed_events = 0;
  uint64_t resumed_bytes = 0;
};

absl::Status RunReplay(const ReplayOptions& options, ReplaySummary* summary);

// Human-readable summary, several lines, for standard error.
std::string FormatReplaySummary(const ReplaySummary& summary);

}  // namespace vigie

#endif  // VIGIE_TOOLS_REPLAY_H_
