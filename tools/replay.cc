#include "tools/replay.h"

#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <deque>
#include <memory>
#include <optional>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/strings/str_format.h"
#include "detector/alerts/alert_json.h"
#include "detector/alerts/alert_sink.h"
#include "detector/ingest/event_encoder.h"
#include "detector/input_mapping.h"
#include "detector/ingest/read_ahead_reader.h"
#include "detector/ingest/pseudonymizer.h"
#include "detector/internal/status_macros.h"
#include "detector/detector.h"
#include "detector/signals/lookup_burst.h"
#include "detector/signals/rules_baseline.h"
#include "detector/stats/state_codec.h"
#include "proto/replay_checkpoint.pb.h"
#include "tools/config.h"
#include "tools/output_file.h"
#include "tools/progress_line.h"
#include "tools/replay_checkpoint.h"
#include "tools/replay_report.h"

namespace vigie {
namespace {

// Writes each alert as one ECS JSON line, counts them by rule, and hands
// them to the report (if any).
class JsonLinesAlertSink : public AlertSink {
 public:
  // `report` may be null.
  JsonLinesAlertSink(OutputFile* out, ReplaySummary* summary,
                     ReplayReport* report)
      : out_(out), summary_(summary), report_(report) {}
  void Emit(const v1::Alert& alert) override {
    std::string line = AlertToEcsJson(alert);
    line.push_back('\n');
    if (status_.ok()) status_ = out_->Write(line);
    ++summary_->alerts;
    ++summary_->alerts_by_rule[alert.rule_name()];
    if (alert.incident_state() == v1::INCIDENT_OPENED) ++summary_->incidents;
    if (report_ != nullptr) report_->AddAlert(alert);
  }
  const absl::Status& status() const { return status_; }

 private:
  OutputFile* out_;
  ReplaySummary* summary_;
  ReplayReport* report_;
  absl::Status status_;
};

struct Input {
  std::unique_ptr<RecordReader> reader;
  AccessRecord record;
  bool has_record = false;
  // Where `record` starts (while has_record): a checkpoint resumes the
  // input there, since the record itself (its raw subject) is never saved.
  ReadPosition record_position;
  // Read to its end or to a fatal error (in this run or before the
  // checkpoint resumed from): nothing more is read from it.
  bool exhausted = false;
};

void CountError(const RecordError& error, const ReplayOptions& options,
                ReplaySummary* summary) {
  ++summary->rejected;
  std::string line = error.ToString();
  ReplaySummary::ErrorKind& kind =
      ErrorKindSlot(summary->rejected_by_kind, error);
  if (kind.count++ == 0) kind.first = line;
  if (static_cast<int>(summary->errors_shown.size()) <
      options.max_errors_shown) {
    summary->errors_shown.push_back(line);
  }
  if (error.fatal) summary->inputs_cut_short.push_back(line);
}

// Advances `input` to its next accepted record. Returns a non-OK status
// only in strict mode.
absl::Status Advance(Input& input, const ReplayOptions& options,
                     ReplaySummary* summary) {
  RecordError error;
  while (true) {
    const ReadPosition position = input.reader->position();
    switch (input.reader->Next(&input.record, &error)) {
      case RecordReader::Result::kRecord:
        input.has_record = true;
        input.record_position = position;
        return absl::OkStatus();
      case RecordReader::Result::kEnd:
        input.has_record = false;
        input.exhausted = true;
        return absl::OkStatus();
      case RecordReader::Result::kError:
        CountError(error, options, summary);
        if (options.strict) return error.ToStatus();
        if (error.fatal) {
          input.has_record = false;
          input.exhausted = true;
          return absl::OkStatus();
        }
        break;
    }
  }
}

// Widens the summary's event-time span to `time_ms`. REQUIRES: called
// before summary->events counts the event.
void NoteEventTime(int64_t time_ms, ReplaySummary* summary) {
  if (summary->events == 0 || time_ms < summary->first_event_ms) {
    summary->first_event_ms = time_ms;
  }
  if (summary->events == 0 || time_ms > summary->last_event_ms) {
    summary->last_event_ms = time_ms;
  }
}

// One account id taking a name (or, with an empty name, losing it), at
// the event of the batch where it happened; `recycled` when the id named
// another (idle) account until then, whose state is forgotten.
struct NameChange {
  size_t index;
  uint32_t id;
  bool recycled;
  std::string name;
};

// The reading thread's own state besides the inputs and the encoder.
struct ReadState {
  int64_t watermark_ms = 0;  // Newest event time merged so far.
  bool watermark_set = false;
};

// The reading side of a checkpoint, taken between two events of the
// merged stream: where every input stands, the encoder's dictionaries and
// what the reading thread counted. It travels at the end of the batch it
// closes; the detection thread completes the checkpoint once it has
// detected that batch, so encoder, positions and detector describe one
// cut.
struct ReadCut {
  std::vector<v1::ReplayInput> inputs;
  std::string encoder_state;
  ReplaySummary counts;  // The reading side's fields only.
  ReadState state;
};

struct Batch {
  std::vector<Event> events;
  std::vector<NameChange> names;
  size_t name_bytes = 0;    // Of names' characters.
  uint64_t bytes_read = 0;  // By all inputs when the batch was handed out.
  std::unique_ptr<ReadCut> cut;  // Set when a checkpoint follows the batch.
};

uint64_t BytesRead(const std::vector<Input>& inputs) {
  uint64_t bytes = 0;
  for (const Input& input : inputs) bytes += input.reader->raw_bytes_read();
  return bytes;
}

// A bounded hand-off of batches between the reading thread and the
// detection thread.
class BatchQueue {
 public:
  explicit BatchQueue(size_t capacity) : capacity_(capacity) {}

  // False when the consumer gave up (the batch is dropped).
  bool Push(Batch batch) {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](BatchQueue* q) ABSL_EXCLUSIVE_LOCKS_REQUIRED(q->mu_) {
          return q->abandoned_ || q->batches_.size() < q->capacity_;
        },
        this));
    if (abandoned_) return false;
    batches_.push_back(std::move(batch));
    return true;
  }
  // False once the queue is closed and drained.
  bool Pop(Batch* batch) {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](BatchQueue* q) ABSL_EXCLUSIVE_LOCKS_REQUIRED(q->mu_) {
          return q->closed_ || !q->batches_.empty();
        },
        this));
    if (batches_.empty()) return false;
    *batch = std::move(batches_.front());
    batches_.pop_front();
    return true;
  }
  void Close() {
    absl::MutexLock lock(&mu_);
    closed_ = true;
  }
  void Abandon() {
    absl::MutexLock lock(&mu_);
    abandoned_ = true;
  }

 private:
  absl::Mutex mu_;
  std::deque<Batch> batches_ ABSL_GUARDED_BY(mu_);
  size_t capacity_;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool abandoned_ ABSL_GUARDED_BY(mu_) = false;
};

// When the reading thread cuts the next checkpoint: `every` of wall-clock
// time after the previous cut, but never while the previous checkpoint is
// still being written (so at most one encoder state waits in the queue);
// or, when `every_events` is set, also after that many events.
class CheckpointSchedule {
 public:
  CheckpointSchedule(absl::Duration every, int64_t every_events,
                     int64_t events_so_far)
      : every_(absl::ToChronoNanoseconds(
            std::min(every, absl::Hours(24 * 365 * 100)))),
        every_events_(every_events),
        last_events_(events_so_far),
        next_time_(Clock::now() + every_) {}

  // Called by the reading thread before each event.
  bool Due(int64_t events) {
    // Counted cuts land exactly every `every_events_` events (what tests
    // rely on), even while earlier checkpoints wait to be written.
    if (every_events_ > 0 && events - last_events_ >= every_events_) {
      return true;
    }
    if (in_flight_.load(std::memory_order_acquire)) return false;
    // The clock is read once per 1,024 events: cheap, and precise enough.
    return ++calls_ % 1024 == 0 && Clock::now() >= next_time_;
  }
  void Cut(int64_t events) {
    in_flight_.store(true, std::memory_order_release);
    last_events_ = events;
    next_time_ = Clock::now() + every_;
  }
  // Called by the detection thread once the checkpoint is on disk.
  void Written() { in_flight_.store(false, std::memory_order_release); }

 private:
  using Clock = std::chrono::steady_clock;
  const std::chrono::nanoseconds every_;
  const int64_t every_events_;
  // The reading thread's alone.
  int64_t last_events_;
  Clock::time_point next_time_;
  uint64_t calls_ = 0;
  std::atomic<bool> in_flight_{false};
};

// Where checkpoints go and what each one repeats.
struct Checkpointing {
  std::string path;
  v1::ReplayFingerprint fingerprint;
  std::vector<v1::ReplayInput> inputs;  // Path, size and format of each.
  std::unique_ptr<CheckpointSchedule> schedule;
};

// The reading side's part of a checkpoint at this point of the merge,
// where every input not exhausted holds its next record, not yet encoded.
std::unique_ptr<ReadCut> CutHere(const std::vector<Input>& inputs,
                                 const Checkpointing& checkpointing,
                                 const EventEncoder& encoder,
                                 const ReplaySummary& counts,
                                 const ReadState& state) {
  auto cut = std::make_unique<ReadCut>();
  cut->inputs = checkpointing.inputs;
  for (size_t i = 0; i < inputs.size(); ++i) {
    v1::ReplayInput& saved = cut->inputs[i];
    saved.set_finished(!inputs[i].has_record);
    if (inputs[i].has_record) {
      saved.set_byte_offset(inputs[i].record_position.byte_offset);
      saved.set_line_or_record(inputs[i].record_position.line_or_record);
    }
  }
  StateWriter writer;
  encoder.Encode(writer);
  cut->encoder_state = writer.data();
  cut->counts = counts;
  cut->state = state;
  return cut;
}

// The reading thread: merges the inputs by time, encodes records into
// Events (noting account-name changes in order) and hands out batches;
// with `checkpointing`, cuts a checkpoint when one is due and at the end.
absl::Status ReadAndEncode(std::vector<Input>& inputs,
                           const ReplayOptions& options, EventEncoder& encoder,
                           BatchQueue& queue, ReplaySummary* summary,
                           ReadState& state, Checkpointing* checkpointing) {
  // A batch closes at 4,096 events or 1 MiB of new account names (an
  // input inventing long names would otherwise queue 16 × 4,096 of them).
  constexpr size_t kBatchEvents = 4096;
  constexpr size_t kBatchNameBytes = size_t{1} << 20;
  // Default WindowSpec lateness: events later than this are out of order
  // beyond what the windows accept.
  constexpr int64_t kLatenessMs = 5000;
  for (Input& input : inputs) {
    if (input.exhausted) continue;
    VIGIE_RETURN_IF_ERROR(Advance(input, options, summary));
  }
  Batch batch;
  batch.events.reserve(kBatchEvents);
  // False when the detection thread gave up.
  auto hand_out = [&]() {
    batch.bytes_read = BytesRead(inputs);
    const bool taken = queue.Push(std::move(batch));
    batch = Batch();
    batch.events.reserve(kBatchEvents);
    return taken;
  };
  while (true) {
    // A cut between two events (the batch may be empty: the previous one
    // was just handed out full).
    if (checkpointing != nullptr &&
        checkpointing->schedule->Due(summary->events)) {
      checkpointing->schedule->Cut(summary->events);
      batch.cut = CutHere(inputs, *checkpointing, encoder, *summary, state);
      if (!hand_out()) return absl::OkStatus();
    }
    // Earliest pending record; ties go to the input listed first. A linear
    // scan: the number of inputs is small.
    Input* next = nullptr;
    for (Input& input : inputs) {
      if (input.has_record &&
          (next == nullptr || input.record.time_ms < next->record.time_ms)) {
        next = &input;
      }
    }
    if (next == nullptr) break;
    if (state.watermark_set &&
        next->record.time_ms < state.watermark_ms - kLatenessMs) {
      ++summary->late_events;
    }
    if (!state.watermark_set || next->record.time_ms > state.watermark_ms) {
      state.watermark_ms = next->record.time_ms;
      state.watermark_set = true;
    }
    NoteEventTime(next->record.time_ms, summary);
    const size_t known = encoder.num_accounts();
    Event& event = batch.events.emplace_back();
    encoder.Encode(next->record, &event);
    const std::vector<uint32_t>& recycled = encoder.recycled_accounts();
    if (!recycled.empty() || encoder.num_accounts() > known) {
      // Ids whose names were dropped to make room are forgotten before
      // the event, then the event's account takes its name (an id of
      // either kind, or a new one).
      const size_t index = batch.events.size() - 1;
      bool reused = false;
      for (uint32_t id : recycled) {
        if (id == event.account) {
          reused = true;
        } else {
          batch.names.push_back(NameChange{index, id, true, std::string()});
        }
      }
      batch.names.push_back(
          NameChange{index, event.account, reused,
                     std::string(encoder.AccountName(event.account))});
      batch.name_bytes += batch.names.back().name.size();
      encoder.ClearRecycledAccounts();
    }
    ++summary->events;
    if ((batch.events.size() == kBatchEvents ||
         batch.name_bytes >= kBatchNameBytes) &&
        !hand_out()) {
      return absl::OkStatus();
    }
    VIGIE_RETURN_IF_ERROR(Advance(*next, options, summary));
  }
  // The end of the input is a cut too: a run killed while it finishes
  // (closing incidents, writing scores) resumes from there.
  if (checkpointing != nullptr) {
    checkpointing->schedule->Cut(summary->events);
    batch.cut = CutHere(inputs, *checkpointing, encoder, *summary, state);
  }
  if (!batch.events.empty() || batch.cut != nullptr) hand_out();
  return absl::OkStatus();
}

// Adds what the reading thread counted to the run's summary.
void MergeReadSummary(const ReplaySummary& read, ReplaySummary* summary) {
  if (read.events > 0 && summary->events == 0) {
    summary->first_event_ms = read.first_event_ms;
    summary->last_event_ms = read.last_event_ms;
  } else if (read.events > 0) {
    summary->first_event_ms =
        std::min(summary->first_event_ms, read.first_event_ms);
    summary->last_event_ms = std::max(summary->last_event_ms, read.last_event_ms);
  }
  summary->events += read.events;
  summary->rejected += read.rejected;
  summary->late_events += read.late_events;
  for (const auto& [kind, info] : read.rejected_by_kind) {
    ReplaySummary::ErrorKind& merged = summary->rejected_by_kind[kind];
    if (merged.count == 0) merged.first = info.first;
    merged.count += info.count;
  }
  summary->errors_shown.insert(summary->errors_shown.end(),
                               read.errors_shown.begin(),
                               read.errors_shown.end());
  summary->inputs_cut_short.insert(summary->inputs_cut_short.end(),
                                   read.inputs_cut_short.begin(),
                                   read.inputs_cut_short.end());
}

// The summary's counts as a checkpoint keeps them: the reading side's
// from `read`, the detection side's (alerts) from `detected`.
void SaveCounters(const ReplaySummary& read, const ReplaySummary& detected,
                  v1::ReplayCounters* counters) {
  counters->set_events(read.events);
  counters->set_rejected(read.rejected);
  counters->set_late_events(read.late_events);
  counters->set_first_event_ms(read.first_event_ms);
  counters->set_last_event_ms(read.last_event_ms);
  for (const auto& [kind, info] : read.rejected_by_kind) {
    v1::ReplayErrorKind* saved = counters->add_rejected_by_kind();
    saved->set_kind(kind);
    saved->set_count(info.count);
    saved->set_first(info.first);
  }
  for (const std::string& line : read.errors_shown) {
    counters->add_errors_shown(line);
  }
  for (const std::string& line : read.inputs_cut_short) {
    counters->add_inputs_cut_short(line);
  }
  counters->set_alerts(detected.alerts);
  counters->set_incidents(detected.incidents);
  for (const auto& [rule, count] : detected.alerts_by_rule) {
    v1::ReplayRuleCount* saved = counters->add_alerts_by_rule();
    saved->set_rule(rule);
    saved->set_alerts(count);
  }
}

void RestoreCounters(const v1::ReplayCounters& counters, ReplaySummary* read,
                     ReplaySummary* detected) {
  read->events = counters.events();
  read->rejected = counters.rejected();
  read->late_events = counters.late_events();
  read->first_event_ms = counters.first_event_ms();
  read->last_event_ms = counters.last_event_ms();
  for (const v1::ReplayErrorKind& saved : counters.rejected_by_kind()) {
    read->rejected_by_kind[saved.kind()] = {saved.count(), saved.first()};
  }
  read->errors_shown.assign(counters.errors_shown().begin(),
                            counters.errors_shown().end());
  read->inputs_cut_short.assign(counters.inputs_cut_short().begin(),
                                counters.inputs_cut_short().end());
  detected->alerts = counters.alerts();
  detected->incidents = counters.incidents();
  for (const v1::ReplayRuleCount& saved : counters.alerts_by_rule()) {
    detected->alerts_by_rule[saved.rule()] = saved.alerts();
  }
}

// Completes the checkpoint of `cut` once its batch is detected, and
// writes it. The alerts are synced first, so the length recorded is on
// disk before the checkpoint that names it.
absl::Status WriteCheckpoint(const Checkpointing& checkpointing, ReadCut& cut,
                             const Detector& detector,
                             const ReplayReport& report,
                             const ReplaySummary& detected,
                             OutputFile& alerts) {
  VIGIE_RETURN_IF_ERROR(alerts.Sync());
  v1::ReplayCheckpoint checkpoint;
  *checkpoint.mutable_fingerprint() = checkpointing.fingerprint;
  for (v1::ReplayInput& input : cut.inputs) {
    *checkpoint.add_inputs() = std::move(input);
  }
  checkpoint.set_watermark_ms(cut.state.watermark_ms);
  checkpoint.set_watermark_set(cut.state.watermark_set);
  SaveCounters(cut.counts, detected, checkpoint.mutable_counters());
  checkpoint.set_encoder_state(std::move(cut.encoder_state));
  checkpoint.set_detector_state(detector.SaveState());
  checkpoint.set_alerts_bytes(alerts.length());
  // The report holds the per-account peak risks (--scores) as well.
  StateWriter report_state;
  report.Encode(report_state);
  checkpoint.set_report_state(report_state.data());
  return WriteReplayCheckpoint(checkpointing.path, std::move(checkpoint));
}

absl::Status WithContext(const absl::Status& status, absl::string_view what) {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat(what, ": ", status.message()));
}

// Puts the run back at the cut of `saved`: dictionaries, account names,
// detector, input positions, counts, the report (with the peak risks).
// The caller has checked that the checkpoint fits this replay
// (CheckSameReplay).
absl::Status RestoreFromCheckpoint(const v1::ReplayCheckpoint& saved,
                                   const std::string& path,
                                   std::vector<Input>& inputs,
                                   EventEncoder& encoder, Detector& detector,
                                   std::vector<std::string>& names,
                                   ReplayReport& report,
                                   ReplaySummary* read, ReadState* state,
                                   ReplaySummary* detected) {
  StateReader reader(saved.encoder_state());
  absl::Status status = encoder.Restore(reader);
  if (status.ok() && !reader.at_end()) {
    status = absl::DataLossError("event encoder: trailing bytes");
  }
  VIGIE_RETURN_IF_ERROR(WithContext(status, path));
  // The detection side's table equals the dictionary at the cut: every
  // name change before it has been applied.
  names.assign(encoder.account_ids() + 1, std::string());
  for (uint32_t id = 1; id < names.size(); ++id) {
    names[id] = std::string(encoder.AccountName(id));
  }
  VIGIE_RETURN_IF_ERROR(
      WithContext(detector.RestoreState(saved.detector_state()), path));
  for (size_t i = 0; i < inputs.size(); ++i) {
    const v1::ReplayInput& position = saved.inputs(static_cast<int>(i));
    if (position.finished()) {
      inputs[i].exhausted = true;
      continue;
    }
    VIGIE_RETURN_IF_ERROR(inputs[i].reader->SeekTo(
        ReadPosition{position.byte_offset(), position.line_or_record()}));
  }
  RestoreCounters(saved.counters(), read, detected);
  state->watermark_ms = saved.watermark_ms();
  state->watermark_set = saved.watermark_set();
  StateReader report_state(saved.report_state());
  return WithContext(report.Decode(report_state), path);
}

// Size of a regular file; nothing for standard input, pipes and devices.
std::optional<uint64_t> RegularFileSize(const std::string& path) {
  struct stat info;
  if (path == "-" || stat(path.c_str(), &info) != 0 ||
      !S_ISREG(info.st_mode)) {
    return std::nullopt;
  }
  return static_cast<uint64_t>(info.st_size);
}

// What checkpointing and resuming need; InvalidArgument saying why not.
absl::Status CheckCheckpointable(const ReplayOptions& options,
                                 const ResolvedKey& key,
                                 v1::DetectionMode mode) {
  const bool both =
      !options.resume_path.empty() && !options.checkpoint_path.empty();
  const std::string flags =
      both ? "--checkpoint and --resume"
           : (options.resume_path.empty() ? "--checkpoint" : "--resume");
  const char* need = both ? " need" : " needs";
  if (options.alerts_path == "-") {
    return absl::InvalidArgumentError(absl::StrCat(
        flags, need,
        " --alerts FILE: alerts on standard output cannot be cut back to a "
        "checkpoint"));
  }
  for (const std::string& path : options.inputs) {
    if (path == "-") {
      return absl::InvalidArgumentError(absl::StrCat(
          flags, ": standard input cannot be resumed (it cannot be read "
                 "again); give the inputs as files"));
    }
    struct stat info;
    // A missing file is left to the reader to report (NotFound).
    if (stat(path.c_str(), &info) == 0 && !S_ISREG(info.st_mode)) {
      return absl::InvalidArgumentError(absl::StrCat(
          flags, ": ", path, " is not a regular file (it could not be read "
                             "again to resume)"));
    }
  }
  if (key.ephemeral) {
    return absl::InvalidArgumentError(absl::StrCat(
        flags, need,
        " a pseudonymisation key file (--key-file, the configuration's "
        "pseudonym_key_file or $VIGIE_PSEUDONYM_KEY_FILE): a random key for "
        "this run could not be found again to resume"));
  }
  if (mode == v1::DETECTION_MODE_RULES_BASELINE) {
    return absl::InvalidArgumentError(absl::StrCat(
        flags, " cannot be used with --mode baseline: the rules baseline "
               "keeps no savable state (it is an evaluation yardstick; "
               "replay it whole)"));
  }
  if (options.checkpoint_every <= absl::ZeroDuration() ||
      options.checkpoint_every_events < 0) {
    return absl::InvalidArgumentError(
        "the checkpoint interval must be positive");
  }
  return absl::OkStatus();
}

// What every checkpoint of this replay repeats: the fingerprint of what
// must not change (the effective configuration, with the mode and memory
// limit resolved and the key file's path left out: the key is compared
// through its keyed fingerprint) and each input's path, size and format.
std::unique_ptr<Checkpointing> NewCheckpointing(
    const ReplayOptions& options, const v1::DetectorConfig& config,
    v1::DetectionMode mode, int64_t memory_limit,
    const Pseudonymizer& pseudonymizer, const std::vector<Input>& inputs) {
  auto checkpointing = std::make_unique<Checkpointing>();
  checkpointing->path = options.checkpoint_path;
  v1::ReplayFingerprint& fingerprint = checkpointing->fingerprint;
  *fingerprint.mutable_config() = config;
  fingerprint.mutable_config()->clear_pseudonym_key_file();
  fingerprint.mutable_config()->set_mode(mode);
  fingerprint.mutable_config()->set_memory_limit_bytes(memory_limit);
  fingerprint.set_format(std::string(InputFormatName(options.format)));
  fingerprint.set_strict(options.strict);
  fingerprint.set_max_errors_shown(options.max_errors_shown);
  fingerprint.set_pseudonym_key_fingerprint(pseudonymizer.KeyFingerprint());
  if (!config.engine().location_database().empty()) {
    const std::string& database = config.engine().location_database();
    fingerprint.set_location_database_size(
        RegularFileSize(database).value_or(0));
    fingerprint.set_location_database_crc(ContentSampleCrc(database));
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    v1::ReplayInput& input = checkpointing->inputs.emplace_back();
    input.set_path(options.inputs[i]);
    input.set_size_bytes(RegularFileSize(options.inputs[i]).value_or(0));
    if (options.inputs[i] != "-") {
      input.set_content_sample_crc(ContentSampleCrc(options.inputs[i]));
    }
    input.set_format(std::string(InputFormatName(inputs[i].reader->format())));
  }
  return checkpointing;
}

}  // namespace

absl::Status RunReplay(const ReplayOptions& options, ReplaySummary* summary) {
  const auto started = std::chrono::steady_clock::now();
  if (options.inputs.empty()) {
    return absl::InvalidArgumentError("no input files (use - for stdin)");
  }
  v1::DetectorConfig config;
  if (!options.config_path.empty()) {
    VIGIE_ASSIGN_OR_RETURN(config, LoadDetectorConfig(options.config_path));
  }
  if (!options.mapping_path.empty()) {
    // Part of the effective configuration from here on (checkpoints
    // compare it).
    VIGIE_ASSIGN_OR_RETURN(*config.mutable_ingest()->mutable_mapping(),
                           LoadMappingFile(options.mapping_path));
  }
  if (!ResolveLocationDatabase(config.mutable_engine())) {
    std::fprintf(stderr,
                 "vigie: no location database at %s (Debian package "
                 "libloc-database): addresses are judged by their prefixes "
                 "only, without autonomous system or country\n",
                 kDefaultLocationDatabase);
  }
  VIGIE_ASSIGN_OR_RETURN(ReaderOptions reader_options,
                         ReaderOptionsFromConfig(config));
  reader_options.format = options.format;
  VIGIE_ASSIGN_OR_RETURN(LookupBurstOptions burst_options,
                         LookupBurstFromConfig(config));
  VIGIE_ASSIGN_OR_RETURN(ResolvedKey key,
                         ResolvePseudonymKey(options.pseudonym_key_file, config));
  summary->key_origin = key.origin;
  summary->key_ephemeral = key.ephemeral;

  v1::DetectionMode mode = config.mode();
  if (options.mode == "baseline") {
    mode = v1::DETECTION_MODE_RULES_BASELINE;
  } else if (options.mode == "vigie") {
    mode = v1::DETECTION_MODE_VIGIE;
  } else if (!options.mode.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown mode \"", options.mode, "\" (expected vigie or baseline)"));
  }
  if (mode == v1::DETECTION_MODE_UNSPECIFIED) mode = v1::DETECTION_MODE_VIGIE;
  const bool resuming = !options.resume_path.empty();
  const bool checkpointing_wanted =
      resuming || !options.checkpoint_path.empty();
  // Before any input is opened: standard input would be read to sniff it.
  if (checkpointing_wanted) {
    VIGIE_RETURN_IF_ERROR(CheckCheckpointable(options, key, mode));
  }
  // JSON Lines, the costliest to parse, in chunks on several threads
  // (standard input excepted: OpenRecordReader reads it on one).
  reader_options.parse_threads = options.pipeline ? options.parse_threads : 1;
  std::vector<Input> inputs;
  for (const std::string& path : options.inputs) {
    VIGIE_ASSIGN_OR_RETURN(std::unique_ptr<RecordReader> reader,
                           OpenRecordReader(path, reader_options));
    // Text logs are parsed on threads of their own, ahead of the merge:
    // parsing them costs more than detection. Binary records are cheap to
    // decode, and an extra thread would only compete for the cores; a
    // pipe is left alone, as a reading thread could block on it forever.
    // JSON Lines parsed in chunks has its threads already.
    const bool parsed_in_chunks = reader->format() == InputFormat::kJsonLines &&
                                  reader_options.parse_threads > 1;
    if (options.pipeline && path != "-" &&
        reader->format() != InputFormat::kBinary && !parsed_in_chunks) {
      reader = NewReadAheadReader(std::move(reader));
    }
    Input input;
    input.reader = std::move(reader);
    inputs.push_back(std::move(input));
  }

  VIGIE_ASSIGN_OR_RETURN(RulesBaselineOptions baseline_options,
                         RulesBaselineFromConfig(config));
  VIGIE_ASSIGN_OR_RETURN(int64_t memory_limit,
                         MemoryLimitFromConfig(options.memory_limit, config));
  summary->memory_limit_bytes = memory_limit;
  // One eighth for the account-name dictionary, the rest for detection
  // state. Of the eighth, a name's 43 bytes (~96 with the growth of its
  // arrays) for each of 1/96 names and half for the names longer than 23
  // bytes, however long an input makes them.
  EncoderOptions encoder_options;
  encoder_options.max_accounts = static_cast<uint32_t>(std::min<int64_t>(
      std::max<int64_t>(1024, memory_limit / 8 / 96), 1u << 30));
  encoder_options.max_account_name_bytes =
      static_cast<uint64_t>(memory_limit / 16);
  VIGIE_ASSIGN_OR_RETURN(DetectorOptions detector_options,
                         DetectorOptionsFromConfig(config));
  Pseudonymizer pseudonymizer(key.key);

  // Checkpoints: what every one repeats, and the checkpoint resumed from.
  std::unique_ptr<Checkpointing> checkpointing;
  v1::ReplayCheckpoint resumed;
  if (checkpointing_wanted) {
    checkpointing = NewCheckpointing(options, config, mode, memory_limit,
                                     pseudonymizer, inputs);
    if (resuming) {
      VIGIE_ASSIGN_OR_RETURN(resumed, ReadReplayCheckpoint(options.resume_path));
      VIGIE_RETURN_IF_ERROR(WithContext(
          CheckSameReplay(resumed, checkpointing->fingerprint,
                          checkpointing->inputs),
          options.resume_path));
    }
  }
  // Resuming cuts the alerts back to the checkpoint's length: what a run
  // killed after it wrote is written again.
  VIGIE_ASSIGN_OR_RETURN(
      std::unique_ptr<OutputFile> alerts_out,
      resuming ? OutputFile::OpenAt(options.alerts_path, resumed.alerts_bytes())
               : OutputFile::Open(options.alerts_path));
  if (checkpointing != nullptr && !alerts_out->is_regular_file()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--checkpoint and --resume need --alerts to be a regular file; ",
        options.alerts_path, " is not"));
  }
  // Opened now, so that a bad path fails before hours of replay; discarded
  // unless the run gets to the end.
  std::unique_ptr<OutputFile> report_out;
  if (!options.report_path.empty()) {
    VIGIE_ASSIGN_OR_RETURN(report_out,
                           OutputFile::OpenAtomically(options.report_path));
  }

  EventEncoder encoder(&pseudonymizer, encoder_options);
  // Per-account peak risks for --scores and everything --report shows; a
  // checkpointed run keeps them too, so that its resumption can write both.
  std::unique_ptr<ReplayReport> report;
  if (!options.report_path.empty() || !options.scores_path.empty() ||
      checkpointing != nullptr) {
    report = std::make_unique<ReplayReport>();
  }
  JsonLinesAlertSink sink(alerts_out.get(), summary, report.get());
  // Account names as the detection thread knows them, changed in event
  // order (see NameChange), so alerts name exactly what a single-threaded
  // run would.
  std::vector<std::string> names(1);
  auto namer = [&names](uint32_t account) {
    return account < names.size() ? names[account] : std::string();
  };
  // Exactly one detection runs: Vigie's engine, or the rules baseline.
  std::unique_ptr<Detector> detector;
  std::unique_ptr<RulesBaseline> baseline;
  if (mode == v1::DETECTION_MODE_RULES_BASELINE) {
    baseline = std::make_unique<RulesBaseline>(baseline_options, namer, &sink);
  } else {
    VIGIE_ASSIGN_OR_RETURN(detector_options.windows, WindowSpec::Create(
        {absl::Minutes(1), absl::Minutes(10), absl::Hours(1), absl::Hours(24)},
        absl::Seconds(5)));
    detector_options.max_state_bytes =
        static_cast<size_t>(memory_limit - memory_limit / 8);
    if (options.threads < 1 || options.threads > detector_options.shards) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--threads must be between 1 and the engine's shard count (",
          detector_options.shards, ")"));
    }
    detector_options.threads = options.threads;
    VIGIE_ASSIGN_OR_RETURN(detector,
                           Detector::Create(detector_options, namer, &sink));
  }

  ReplaySummary read_summary;  // Written by the reading thread only.
  ReadState read_state;        // Likewise.
  if (resuming) {
    VIGIE_RETURN_IF_ERROR(RestoreFromCheckpoint(
        resumed, options.resume_path, inputs, encoder, *detector, names,
        *report, &read_summary, &read_state, summary));
    summary->resumed_events = read_summary.events;
    summary->resumed_bytes = BytesRead(inputs);
    resumed = v1::ReplayCheckpoint();  // Its states are no longer needed.
  }
  if (checkpointing != nullptr && options.checkpoint_path.empty()) {
    checkpointing.reset();  // Resuming without writing new checkpoints.
  }
  if (checkpointing != nullptr) {
    checkpointing->schedule = std::make_unique<CheckpointSchedule>(
        options.checkpoint_every, options.checkpoint_every_events,
        read_summary.events);
  }

  // Reading, merging and encoding run on one thread, detection on this
  // one; batches keep the event order, so the output does not depend on
  // the split.
  // Without a second thread the whole input is queued before detection.
  // With one, 16 batches of 4,096 events (or 1 MiB of names) absorb the
  // threads' scheduling on two cores: with 4 the cores were 5-8% less
  // busy.
  BatchQueue queue(options.pipeline ? 16 : SIZE_MAX);
  absl::Status read_status;
  auto read = [&]() {
    read_status = ReadAndEncode(inputs, options, encoder, queue, &read_summary,
                                read_state, checkpointing.get());
    queue.Close();
  };
  std::thread reader;
  if (options.pipeline) {
    reader = std::thread(read);
  } else {
    read();
  }
  std::vector<double> risks;
  uint64_t total_bytes = 0;  // 0 when any input's size is unknown.
  for (const std::string& path : options.inputs) {
    const std::optional<uint64_t> size = RegularFileSize(path);
    if (!size.has_value()) {
      total_bytes = 0;
      break;
    }
    total_bytes += *size;
  }
  // This run's share: a resumed run shows what is left.
  ProgressLine progress(total_bytes - std::min(total_bytes, summary->resumed_bytes),
                        options.progress && ProgressLine::StderrIsTerminal());
  uint64_t events_done = 0;
  Batch batch;
  absl::Status detect_status;
  while (detect_status.ok() && queue.Pop(&batch)) {
    const absl::Span<const Event> events(batch.events);
    risks.resize(events.size());
    size_t change = 0;
    size_t begin = 0;
    while (begin < events.size()) {
      // Name changes at `begin` take effect before its event; the events
      // up to the next change go to the detector as one batch.
      for (; change < batch.names.size() && batch.names[change].index == begin;
           ++change) {
        NameChange& c = batch.names[change];
        if (c.recycled && detector) detector->ForgetAccount(c.id);
        if (c.recycled && report && c.id < names.size()) {
          report->RetireAccount(c.id, names[c.id]);
        }
        if (c.id >= names.size()) names.resize(c.id + 1);
        // Moved, not copied: the table keeps no longer name's buffer.
        names[c.id] = std::move(c.name);
      }
      const size_t end = change < batch.names.size()
                             ? std::min(batch.names[change].index, events.size())
                             : events.size();
      const absl::Span<const Event> part = events.subspan(begin, end - begin);
      if (detector) {
        detector->ObserveBatch(part, absl::MakeSpan(risks).subspan(begin, part.size()));
      }
      if (baseline) {
        for (const Event& event : part) baseline->Observe(event);
      }
      // Before the next name change, which may give an id to another
      // account.
      if (report) {
        for (size_t i = begin; i < end; ++i) {
          report->AddEvent(events[i].time_ms, events[i].account,
                           detector ? static_cast<float>(risks[i]) : 0.0f);
        }
      }
      begin = end;
    }
    events_done += events.size();
    progress.Update(events_done, batch.bytes_read - summary->resumed_bytes);
    detect_status = sink.status();
    if (detect_status.ok() && batch.cut != nullptr) {
      detect_status = WriteCheckpoint(*checkpointing, *batch.cut, *detector,
                                      *report, *summary, *alerts_out);
      checkpointing->schedule->Written();
      if (detect_status.ok() &&
          ++summary->checkpoints_written ==
              options.testing_abort_after_checkpoints) {
        detect_status = absl::AbortedError(absl::StrCat(
            "stopped after ", summary->checkpoints_written,
            " checkpoint(s) (testing_abort_after_checkpoints)"));
      }
    }
  }
  progress.Finish();
  if (!detect_status.ok()) queue.Abandon();
  if (reader.joinable()) reader.join();
  MergeReadSummary(read_summary, summary);
  VIGIE_RETURN_IF_ERROR(read_status);
  VIGIE_RETURN_IF_ERROR(detect_status);
  if (detector) detector->Flush();
  if (baseline) baseline->Flush();
  VIGIE_RETURN_IF_ERROR(sink.status());
  VIGIE_RETURN_IF_ERROR(alerts_out->Close());
  if (!options.scores_path.empty()) {
    VIGIE_ASSIGN_OR_RETURN(std::unique_ptr<OutputFile> scores,
                           OutputFile::Open(options.scores_path));
    VIGIE_RETURN_IF_ERROR(scores->Write("account,max_risk\n"));
    // The rules baseline scores no event: no rows.
    const uint32_t ids = detector ? report->account_id_limit() : 0;
    for (uint32_t id = 1; id < ids; ++id) {
      const std::string name = namer(id);
      if (name.empty()) continue;
      VIGIE_RETURN_IF_ERROR(scores->Write(
          absl::StrFormat("%s,%.1f\n", name, report->peak_risk(id))));
    }
    VIGIE_RETURN_IF_ERROR(scores->Close());
  }
  if (report_out) {
    ReportContext context;
    context.inputs = options.inputs;
    context.mode = baseline ? "baseline" : "vigie";
    context.alert_threshold = detector_options.alert_threshold;
    context.rejected = summary->rejected;
    for (const auto& [kind, info] : summary->rejected_by_kind) {
      context.rejected_by_reason[kind] = info.count;
    }
    context.late_events = summary->late_events;
    context.inputs_cut_short = summary->inputs_cut_short;
    context.account_name = namer;
    VIGIE_RETURN_IF_ERROR(report_out->Write(report->RenderHtml(context)));
    VIGIE_RETURN_IF_ERROR(report_out->Close());
    summary->report_written = options.report_path;
  }
  summary->bytes_read = BytesRead(inputs);
  summary->accounts = static_cast<int64_t>(encoder.num_accounts());
  summary->overflowed_account_names = encoder.recycled_accounts_total();
  if (detector) {
    const Detector::Stats stats = detector->stats();
    summary->state_bytes = static_cast<int64_t>(stats.state_bytes);
    summary->evicted_accounts = stats.evicted_accounts;
  }
  summary->seconds = std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - started)
                         .count();
  if (!summary->inputs_cut_short.empty()) {
    return absl::DataLossError(absl::StrCat(
        summary->inputs_cut_short.size(),
        " input(s) could not be read to the end: ",
        summary->inputs_cut_short.front()));
  }
  if (summary->events == 0 && summary->rejected > 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "no record accepted: all ", summary->rejected,
        " were rejected (see the reasons above)"));
  }
  return absl::OkStatus();
}

namespace {

std::string FormatEventTime(int64_t time_ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixMillis(time_ms),
                          absl::UTCTimeZone());
}

// " (3.2 days)", " (5 h)", " (40 min)", "" under a minute.
std::string SpanWords(int64_t span_ms) {
  const double minutes = span_ms / 60000.0;
  if (minutes < 1) return "";
  if (minutes < 120) return absl::StrFormat(" (%.0f min)", minutes);
  if (minutes < 48 * 60) return absl::StrFormat(" (%.1f h)", minutes / 60);
  return absl::StrFormat(" (%.1f days)", minutes / 1440);
}

}  // namespace

std::string FormatReplaySummary(const ReplaySummary& s) {
  std::string out;
  // The throughput is this run's: a resumed run counts from its cut.
  const double rate =
      s.seconds > 0 ? (s.events - s.resumed_events) / s.seconds : 0;
  const double mb = (s.bytes_read - std::min(s.bytes_read, s.resumed_bytes)) / 1e6;
  absl::StrAppendFormat(
      &out,
      "vigie replay: %d events (%d accounts) read in %.2f s: %.2f M events/s, "
      "%.1f MB/s\n",
      s.events, s.accounts, s.seconds, rate / 1e6,
      s.seconds > 0 ? mb / s.seconds : 0.0);
  if (s.rejected == 0) {
    out.append("  rejected: 0\n");
  } else {
    absl::StrAppendFormat(&out, "  rejected: %d\n", s.rejected);
    for (const std::string& line : s.errors_shown) {
      absl::StrAppend(&out, "    ", line, "\n");
    }
    if (s.rejected > static_cast<int64_t>(s.errors_shown.size())) {
      absl::StrAppend(&out, "    ...\n");
    }
    out.append("  rejected by reason:\n");
    for (const auto& [kind, info] : s.rejected_by_kind) {
      absl::StrAppendFormat(&out, "    %8d  %s\n", info.count, kind);
    }
  }
  if (s.events > 0) {
    absl::StrAppend(&out, "  event time: ", FormatEventTime(s.first_event_ms),
                    " to ", FormatEventTime(s.last_event_ms),
                    SpanWords(s.last_event_ms - s.first_event_ms), "\n");
    if (s.last_event_ms < kPlausibleFromMs) {
      out.append(
          "  note: every event is before 1990: times in epoch seconds read "
          "as milliseconds? (a mapping says time_format: \"epoch_s\", "
          "docs/cli.md)\n");
    }
  } else {
    out.append("  event time: none (no record accepted)\n");
  }
  if (s.late_events > 0) {
    absl::StrAppendFormat(&out,
                          "  late: %d events more than 5 s older than an "
                          "event already replayed (out of order)\n",
                          s.late_events);
  }
  for (const std::string& cut : s.inputs_cut_short) {
    absl::StrAppend(&out, "  INPUT CUT SHORT: ", cut, "\n");
  }
  absl::StrAppendFormat(&out, "  alerts: %d in %d incidents", s.alerts,
                        s.incidents);
  if (!s.alerts_by_rule.empty()) {
    out.append(" (");
    bool first = true;
    for (const auto& [rule, count] : s.alerts_by_rule) {
      absl::StrAppendFormat(&out, "%s%s: %d", first ? "" : ", ", rule, count);
      first = false;
    }
    out.append(")");
  }
  out.append("\n");
  absl::StrAppendFormat(
      &out,
      "  memory: limit %.0f MiB, account state %.1f MiB, %d accounts' state "
      "evicted, %d account names recycled in the dictionary\n",
      s.memory_limit_bytes / 1048576.0, s.state_bytes / 1048576.0,
      s.evicted_accounts, s.overflowed_account_names);
  absl::StrAppend(&out, "  pseudonym key: ", s.key_origin, "\n");
  if (!s.report_written.empty()) {
    absl::StrAppend(&out, "  report: ", s.report_written, "\n");
  }
  if (s.resumed_events > 0 || s.checkpoints_written > 0) {
    absl::StrAppendFormat(&out,
                          "  checkpoints: resumed after event %d, %d written\n",
                          s.resumed_events, s.checkpoints_written);
  }
  return out;
}

}  // namespace vigie
