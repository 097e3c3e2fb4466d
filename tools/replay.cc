#include "tools/replay.h"

#include <sys/stat.h>

#include <chrono>
#include <deque>
#include <thread>
#include <memory>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/strings/str_format.h"
#include "detector/alerts/alert_json.h"
#include "detector/alerts/alert_sink.h"
#include "detector/ingest/event_encoder.h"
#include "detector/ingest/pseudonymizer.h"
#include "detector/internal/status_macros.h"
#include "detector/detector.h"
#include "detector/signals/lookup_burst.h"
#include "detector/signals/rules_baseline.h"
#include "tools/config.h"
#include "tools/output_file.h"
#include "tools/progress_line.h"
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
};

void CountError(const RecordError& error, const ReplayOptions& options,
                ReplaySummary* summary) {
  ++summary->rejected;
  std::string line = error.ToString();
  ReplaySummary::ErrorKind& kind = summary->rejected_by_kind[error.Kind()];
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
    switch (input.reader->Next(&input.record, &error)) {
      case RecordReader::Result::kRecord:
        input.has_record = true;
        return absl::OkStatus();
      case RecordReader::Result::kEnd:
        input.has_record = false;
        return absl::OkStatus();
      case RecordReader::Result::kError:
        CountError(error, options, summary);
        if (options.strict) return error.ToStatus();
        if (error.fatal) {
          input.has_record = false;
          return absl::OkStatus();
        }
        break;
    }
  }
}

// One account id taking a name, at the event of the batch where it
// happened; `recycled` when the id named another (idle) account before.
struct NameChange {
  size_t index;
  uint32_t id;
  bool recycled;
  std::string name;
};

struct Batch {
  std::vector<Event> events;
  std::vector<NameChange> names;
  uint64_t bytes_read = 0;  // By all inputs when the batch was handed out.
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

// The reading thread: merges the inputs by time, encodes records into
// Events (noting account-name changes in order) and hands out batches.
absl::Status ReadAndEncode(std::vector<Input>& inputs,
                           const ReplayOptions& options, EventEncoder& encoder,
                           BatchQueue& queue, ReplaySummary* summary) {
  constexpr size_t kBatchEvents = 4096;
  // Default WindowSpec lateness: events later than this are out of order
  // beyond what the windows accept.
  constexpr int64_t kLatenessMs = 5000;
  for (Input& input : inputs) {
    VIGIE_RETURN_IF_ERROR(Advance(input, options, summary));
  }
  int64_t watermark_ms = 0;
  bool event_time_seen = false;
  Batch batch;
  batch.events.reserve(kBatchEvents);
  while (true) {
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
    if (event_time_seen && next->record.time_ms < watermark_ms - kLatenessMs) {
      ++summary->late_events;
    }
    if (!event_time_seen || next->record.time_ms > watermark_ms) {
      watermark_ms = next->record.time_ms;
      event_time_seen = true;
    }
    const size_t known = encoder.num_accounts();
    Event& event = batch.events.emplace_back();
    encoder.Encode(next->record, &event);
    const bool recycled = !encoder.recycled_accounts().empty();
    if (recycled || encoder.num_accounts() > known) {
      batch.names.push_back(NameChange{
          batch.events.size() - 1, event.account, recycled,
          std::string(encoder.AccountName(event.account))});
      encoder.ClearRecycledAccounts();
    }
    ++summary->events;
    if (batch.events.size() == kBatchEvents) {
      batch.bytes_read = BytesRead(inputs);
      if (!queue.Push(std::move(batch))) return absl::OkStatus();
      batch = Batch();
      batch.events.reserve(kBatchEvents);
    }
    VIGIE_RETURN_IF_ERROR(Advance(*next, options, summary));
  }
  if (!batch.events.empty()) {
    batch.bytes_read = BytesRead(inputs);
    queue.Push(std::move(batch));
  }
  return absl::OkStatus();
}

// Adds what the reading thread counted to the run's summary.
void MergeReadSummary(const ReplaySummary& read, ReplaySummary* summary) {
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
  VIGIE_ASSIGN_OR_RETURN(ReaderOptions reader_options,
                         ReaderOptionsFromConfig(config));
  reader_options.format = options.format;
  VIGIE_ASSIGN_OR_RETURN(LookupBurstOptions burst_options,
                         LookupBurstFromConfig(config));
  VIGIE_ASSIGN_OR_RETURN(ResolvedKey key,
                         ResolvePseudonymKey(options.pseudonym_key_file, config));
  summary->key_origin = key.origin;
  summary->key_ephemeral = key.ephemeral;

  std::vector<Input> inputs;
  for (const std::string& path : options.inputs) {
    VIGIE_ASSIGN_OR_RETURN(std::unique_ptr<RecordReader> reader,
                           OpenRecordReader(path, reader_options));
    Input input;
    input.reader = std::move(reader);
    inputs.push_back(std::move(input));
  }
  VIGIE_ASSIGN_OR_RETURN(std::unique_ptr<OutputFile> alerts_out,
                         OutputFile::Open(options.alerts_path));
  // Opened now, so that a bad path fails before hours of replay; discarded
  // unless the run gets to the end.
  std::unique_ptr<OutputFile> report_out;
  if (!options.report_path.empty()) {
    VIGIE_ASSIGN_OR_RETURN(report_out,
                           OutputFile::OpenAtomically(options.report_path));
  }

  v1::DetectionMode mode = config.mode();
  if (options.mode == "baseline") {
    mode = v1::DETECTION_MODE_RULES_BASELINE;
  } else if (options.mode == "vigie") {
    mode = v1::DETECTION_MODE_VIGIE;
  } else if (!options.mode.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown mode \"", options.mode, "\" (expected vigie or baseline)"));
  }
  VIGIE_ASSIGN_OR_RETURN(RulesBaselineOptions baseline_options,
                         RulesBaselineFromConfig(config));
  VIGIE_ASSIGN_OR_RETURN(int64_t memory_limit,
                         MemoryLimitFromConfig(options.memory_limit, config));
  summary->memory_limit_bytes = memory_limit;
  // One eighth for the account-name dictionary (~96 bytes a name), the rest
  // for detection state.
  EncoderOptions encoder_options;
  encoder_options.max_accounts = static_cast<uint32_t>(std::min<int64_t>(
      std::max<int64_t>(1024, memory_limit / 8 / 96), 1u << 30));
  VIGIE_ASSIGN_OR_RETURN(DetectorOptions detector_options,
                         DetectorOptionsFromConfig(config));

  Pseudonymizer pseudonymizer(key.key);
  EventEncoder encoder(&pseudonymizer, encoder_options);
  // Per-account peak risks for --scores and everything --report shows.
  std::unique_ptr<ReplayReport> report;
  if (!options.report_path.empty() || !options.scores_path.empty()) {
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

  // Reading, merging and encoding run on one thread, detection on this
  // one; batches keep the event order, so the output does not depend on
  // the split.
  // Without a second thread the whole input is queued before detection.
  BatchQueue queue(options.pipeline ? 4 : SIZE_MAX);
  ReplaySummary read_summary;  // Written by the reading thread only.
  absl::Status read_status;
  auto read = [&]() {
    read_status = ReadAndEncode(inputs, options, encoder, queue, &read_summary);
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
    struct stat info;
    if (path == "-" || stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) {
      total_bytes = 0;
      break;
    }
    total_bytes += static_cast<uint64_t>(info.st_size);
  }
  ProgressLine progress(total_bytes,
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
        const NameChange& c = batch.names[change];
        if (c.recycled && detector) detector->ForgetAccount(c.id);
        if (c.recycled && report && c.id < names.size()) {
          report->RetireAccount(c.id, names[c.id]);
        }
        if (c.id >= names.size()) names.resize(c.id + 1);
        names[c.id] = c.name;
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
    progress.Update(events_done, batch.bytes_read);
    detect_status = sink.status();
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
  for (const Input& input : inputs) {
    summary->bytes_read += input.reader->raw_bytes_read();
  }
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
  return absl::OkStatus();
}

std::string FormatReplaySummary(const ReplaySummary& s) {
  std::string out;
  const double rate = s.seconds > 0 ? s.events / s.seconds : 0;
  const double mb = s.bytes_read / 1e6;
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
  return out;
}

}  // namespace vigie
