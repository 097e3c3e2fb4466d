// vigie replay --checkpoint / --resume, in process: a replay stopped right
// after a checkpoint (testing_abort_after_checkpoints) and resumed writes
// exactly the alerts, scores, report and summary counts of an uninterrupted
// run, from any checkpoint, the one at the very end, after two interruptions,
// over merged inputs of every format (plain and gzip), with another thread
// count, with a recycling account dictionary. Refusals: what cannot be
// resumed (InvalidArgument), a checkpoint of another replay
// (FailedPrecondition naming the difference), a damaged one (DataLoss).
// Privacy: no raw subject and no key in a checkpoint. The kill -9 test is
// replay_kill_test.
#include <zlib.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/replay_checkpoint.pb.h"
#include "tools/atomic_file.h"
#include "tools/replay.h"
#include "tools/replay_checkpoint.h"
#include "tools/simulate_command.h"
#include "tests/test_files.h"

namespace vigie {
namespace {

using ::testing::HasSubstr;

using testing_files::AppendFile;
using testing_files::ReadFile;
using testing_files::TmpPath;
using testing_files::WriteFile;

// A simulated portal log (with planted attacks) in `format`.
std::string Simulate(int accounts, uint64_t seed, InputFormat format,
                     bool gzip) {
  SimulateCommandOptions options;
  options.accounts = accounts;
  options.days = 2;
  options.seed = seed;
  options.format = format;
  options.gzip = gzip;
  options.out_dir = TmpPath(absl::StrCat("sim_", accounts, "_", seed, "_",
                                         InputFormatName(format), gzip));
  SimulateCommandSummary summary;
  absl::Status status = RunSimulateCommand(options, &summary);
  EXPECT_TRUE(status.ok()) << status;
  return summary.events_path;
}

// The simulated CSV with bad records and late events mixed in, so that
// error counts, the errors shown and late events cross checkpoints too.
const std::string& DamagedCsv() {
  static const std::string* path = [] {
    const std::string csv = ReadFile(Simulate(300, 3, InputFormat::kCsv, false));
    std::vector<std::string> lines = absl::StrSplit(csv, '\n');
    std::string out = lines[0] + "\n";
    for (size_t i = 1; i < lines.size(); ++i) {
      if (lines[i].empty()) continue;
      if (i % 1000 == 500) {
        out += "2022-13-01T00:00:00Z" + lines[i].substr(lines[i].find(',')) + "\n";
        continue;
      }
      out += lines[i] + "\n";
      if (i % 1777 == 0 && i > 300) out += lines[i - 300] + "\n";  // Late.
    }
    auto* p = new std::string(TmpPath("damaged.csv"));
    WriteFile(*p, out);
    EXPECT_TRUE(testing_files::WriteGzipFile(*p + ".gz", out));
    return p;
  }();
  return *path;
}

const std::string& KeyFile() {
  static const std::string* path = [] {
    auto* p = new std::string(TmpPath("pseudonym.key"));
    WriteFile(*p, std::string(64, 'a') + "\n");
    return p;
  }();
  return *path;
}

// The summary's counts (not its timings), one line each.
std::string Counts(const ReplaySummary& s) {
  std::string out = absl::StrCat(
      "events ", s.events, " rejected ", s.rejected, " late ", s.late_events,
      " alerts ", s.alerts, " incidents ", s.incidents, " accounts ",
      s.accounts, " recycled names ", s.overflowed_account_names,
      " evicted ", s.evicted_accounts, " event time ", s.first_event_ms,
      " to ", s.last_event_ms, "\n");
  for (const auto& [kind, info] : s.rejected_by_kind) {
    absl::StrAppend(&out, "kind ", kind, ": ", info.count, " first ",
                    info.first, "\n");
  }
  for (const std::string& line : s.errors_shown) {
    absl::StrAppend(&out, "shown ", line, "\n");
  }
  for (const std::string& line : s.inputs_cut_short) {
    absl::StrAppend(&out, "cut short ", line, "\n");
  }
  for (const auto& [rule, count] : s.alerts_by_rule) {
    absl::StrAppend(&out, "rule ", rule, ": ", count, "\n");
  }
  return out;
}

struct Outcome {
  absl::Status status;
  ReplaySummary summary;
  std::string alerts;
  std::string scores;
  std::string report;
};

ReplayOptions Options(std::vector<std::string> inputs, const std::string& tag) {
  ReplayOptions options;
  options.inputs = std::move(inputs);
  options.alerts_path = TmpPath(tag + "_alerts.jsonl");
  options.scores_path = TmpPath(tag + "_scores.csv");
  options.report_path = TmpPath(tag + "_report.html");
  options.pseudonym_key_file = KeyFile();
  options.memory_limit = "16M";  // Keeps checkpoints small (~5 MB).
  options.progress = false;
  return options;
}

Outcome Replay(const ReplayOptions& options) {
  Outcome outcome;
  outcome.status = RunReplay(options, &outcome.summary);
  outcome.alerts = ReadFile(options.alerts_path);
  outcome.scores = ReadFile(options.scores_path);
  outcome.report = ReadFile(options.report_path);
  return outcome;
}

// Checkpoints every `every_events` events, by count only.
ReplayOptions Checkpointed(ReplayOptions options, const std::string& checkpoint,
                           int64_t every_events) {
  options.checkpoint_path = checkpoint;
  options.checkpoint_every = absl::InfiniteDuration();
  options.checkpoint_every_events = every_events;
  return options;
}

// Runs `options` (which checkpoint) until they stop right after their
// `checkpoints`-th checkpoint, as if killed then; returns the options that
// resume from it (checkpointing on). `stopped`, if set, gets the outcome.
ReplayOptions Interrupted(ReplayOptions options, int checkpoints,
                          Outcome* stopped = nullptr) {
  options.testing_abort_after_checkpoints = checkpoints;
  Outcome outcome = Replay(options);
  EXPECT_EQ(outcome.status.code(), absl::StatusCode::kAborted)
      << "stopping after " << checkpoints << ": " << outcome.status;
  if (stopped != nullptr) *stopped = std::move(outcome);
  options.testing_abort_after_checkpoints = 0;
  options.resume_path = options.checkpoint_path;
  return options;
}

void ExpectSameOutput(const Outcome& got, const Outcome& want) {
  ASSERT_TRUE(got.status.ok()) << got.status;
  ASSERT_FALSE(want.alerts.empty());
  EXPECT_TRUE(got.alerts == want.alerts)
      << "alerts differ: " << got.alerts.size() << " bytes vs "
      << want.alerts.size();
  EXPECT_TRUE(got.scores == want.scores) << "scores differ";
  ASSERT_FALSE(want.report.empty());
  EXPECT_TRUE(got.report == want.report) << "reports differ";
  EXPECT_EQ(Counts(got.summary), Counts(want.summary));
}

// What the fuzzer feeds the checkpoint reader (fuzz/state_fuzzer.cc): a
// body sealed as a file is read back whole, and a changed byte, a missing
// checksum or a body that is no checkpoint is DataLoss.
TEST(ReplayCheckpoint, ASealedBodyParsesAndADamagedOneIsDataLoss) {
  v1::ReplayCheckpoint checkpoint;
  checkpoint.set_format_version(kReplayCheckpointVersion);
  checkpoint.set_encoder_state("dictionaries");
  checkpoint.set_alerts_bytes(42);
  const std::string sealed =
      SealReplayCheckpointBody(checkpoint.SerializeAsString());
  absl::StatusOr<v1::ReplayCheckpoint> read =
      ParseReplayCheckpoint(sealed, "x.ckpt");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->encoder_state(), "dictionaries");
  EXPECT_EQ(read->alerts_bytes(), 42u);

  std::string damaged = sealed;
  damaged[2] ^= 1;
  EXPECT_EQ(ParseReplayCheckpoint(damaged, "x.ckpt").status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(ParseReplayCheckpoint(sealed.substr(0, sealed.size() - 1),
                                  "x.ckpt")
                .status()
                .code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(ParseReplayCheckpoint(SealReplayCheckpointBody("\xff\xff"),
                                  "x.ckpt")
                .status()
                .code(),
            absl::StatusCode::kDataLoss);
}

TEST(ReplayCheckpoint, AResumedReplayWritesWhatAnUninterruptedOneWrites) {
  for (const std::string& input : {DamagedCsv(), DamagedCsv() + ".gz"}) {
    SCOPED_TRACE(input);
    const Outcome reference = Replay(Options({input}, "reference"));
    ASSERT_TRUE(reference.status.ok()) << reference.status;
    ASSERT_GT(reference.summary.rejected, 0);
    ASSERT_GT(reference.summary.late_events, 0);
    ASSERT_GT(reference.summary.alerts, 10);
    // 62,000 events, a checkpoint every 8,000: 7 in the run, 1 at the end.
    for (int stop_after : {1, 4, 7}) {
      SCOPED_TRACE(stop_after);
      Outcome stopped;
      const ReplayOptions resume = Interrupted(
          Checkpointed(Options({input}, "interrupted"), TmpPath("resume.ckpt"),
                       8000),
          stop_after, &stopped);
      ASSERT_LT(stopped.alerts.size(), reference.alerts.size());
      // What a killed run may leave after its last checkpoint: cut away.
      AppendFile(resume.alerts_path, "{\"@timestamp\":\"torn wri");
      const Outcome resumed = Replay(resume);
      ExpectSameOutput(resumed, reference);
      EXPECT_EQ(resumed.summary.resumed_events, 8000 * stop_after);
      EXPECT_EQ(resumed.summary.checkpoints_written, 8 - stop_after);
    }
  }
}

TEST(ReplayCheckpoint, ResumesFromTheCheckpointTakenAtTheVeryEnd) {
  const Outcome reference = Replay(Options({DamagedCsv()}, "reference"));
  const std::string checkpoint = TmpPath("end.ckpt");
  ReplayOptions options =
      Checkpointed(Options({DamagedCsv()}, "end"), checkpoint, 0);
  options.checkpoint_every = absl::Hours(1);  // Only the one at the end.
  const Outcome complete = Replay(options);
  ExpectSameOutput(complete, reference);
  EXPECT_EQ(complete.summary.checkpoints_written, 1);
  // Killed while closing incidents or writing scores: resumed from the end.
  options.checkpoint_path.clear();
  options.resume_path = checkpoint;
  const Outcome resumed = Replay(options);
  ExpectSameOutput(resumed, reference);
  EXPECT_EQ(resumed.summary.resumed_events, reference.summary.events);
}

TEST(ReplayCheckpoint, TwoInterruptionsInARow) {
  const Outcome reference = Replay(Options({DamagedCsv()}, "reference"));
  const ReplayOptions once = Interrupted(
      Checkpointed(Options({DamagedCsv()}, "twice"), TmpPath("twice.ckpt"),
                   10000),
      2);
  Outcome again;
  const ReplayOptions twice = Interrupted(once, 2, &again);
  EXPECT_EQ(again.summary.resumed_events, 20000);
  const Outcome resumed = Replay(twice);
  ExpectSameOutput(resumed, reference);
  EXPECT_EQ(resumed.summary.resumed_events, 40000);
}

TEST(ReplayCheckpoint, MergedInputsOfEveryFormatPlainAndGzip) {
  const std::vector<std::string> inputs = {
      Simulate(100, 4, InputFormat::kCsv, false),
      Simulate(100, 5, InputFormat::kJsonLines, true),
      Simulate(100, 6, InputFormat::kBinary, false),
      Simulate(100, 7, InputFormat::kBinary, true),
  };
  const Outcome reference = Replay(Options(inputs, "merged_reference"));
  ASSERT_TRUE(reference.status.ok()) << reference.status;
  for (int stop_after : {1, 5}) {
    ExpectSameOutput(
        Replay(Interrupted(Checkpointed(Options(inputs, "merged"),
                                        TmpPath("merged.ckpt"), 9000),
                           stop_after)),
        reference);
  }
}

TEST(ReplayCheckpoint, TheThreadCountMayChangeOnResume) {
  const Outcome reference = Replay(Options({DamagedCsv()}, "reference"));
  ReplayOptions options =
      Checkpointed(Options({DamagedCsv()}, "threads"), TmpPath("threads.ckpt"),
                   12000);
  options.threads = 2;
  ReplayOptions resume = Interrupted(options, 2);
  resume.threads = 1;
  ExpectSameOutput(Replay(resume), reference);
}

TEST(ReplayCheckpoint, ARecyclingAccountDictionaryResumesItsLruOrder) {
  // More accounts than the dictionary holds at a 1 MiB limit (1,365
  // names): ids are recycled in LRU order before and after the cut.
  std::string csv = "time,account,ip,action,outcome,subject,user_agent\n";
  for (int i = 0; i < 30000; ++i) {
    csv += absl::StrCat(1646880000000 + i * 300, ",user", (i * 7919) % 5000,
                        ",192.0.2.", i % 200, ",lookup,success,1850578",
                        100000 + i % 7000, ",Mozilla/5.0\n");
  }
  WriteFile(TmpPath("recycling.csv"), csv);
  ReplayOptions base = Options({TmpPath("recycling.csv")}, "recycling");
  base.memory_limit = "1M";
  const Outcome reference = Replay(base);
  ASSERT_TRUE(reference.status.ok());
  ASSERT_GT(reference.summary.overflowed_account_names, 0u);
  const Outcome resumed = Replay(
      Interrupted(Checkpointed(base, TmpPath("recycling.ckpt"), 11111), 1));
  ASSERT_TRUE(resumed.status.ok()) << resumed.status;
  EXPECT_EQ(resumed.scores, reference.scores);
  EXPECT_EQ(resumed.alerts, reference.alerts);
  EXPECT_EQ(Counts(resumed.summary), Counts(reference.summary));
}

TEST(ReplayCheckpoint, EveryCutOfASmallMergeResumesItsCountsExactly) {
  // A checkpoint after every event: cuts fall while the other input holds
  // its next record (read, with the bad lines before it, not yet merged),
  // right before a late event, and after the last bad line.
  WriteFile(TmpPath("cut_a.csv"),
            "time,account,ip,action\n"
            "1000,a,192.0.2.1,login\n"
            "4000,a,192.0.2.1,logout\n"
            "9000,a,192.0.2.1,login\n");
  WriteFile(TmpPath("cut_b.jsonl"),
            "{\"@timestamp\": broken\n"
            "{\"@timestamp\":2000,\"user.name\":\"b\",\"source.ip\":\"192.0.2.2\",\"event.action\":\"login\"}\n"
            "{\"@timestamp\":2500,\"user.name\":\"b\",\"source.ip\":\"192.0.2.300\",\"event.action\":\"login\"}\n"
            "{\"@timestamp\":8000,\"user.name\":\"b\",\"source.ip\":\"192.0.2.2\",\"event.action\":\"logout\"}\n"
            "{\"@timestamp\":1500,\"user.name\":\"c\",\"source.ip\":\"192.0.2.3\",\"event.action\":\"login\"}\n"
            "not json at all\n");
  const std::vector<std::string> inputs = {TmpPath("cut_a.csv"),
                                           TmpPath("cut_b.jsonl")};
  ReplayOptions base = Options(inputs, "cuts");
  base.max_errors_shown = 2;  // The third error is counted, not shown.
  const Outcome reference = Replay(base);
  ASSERT_TRUE(reference.status.ok()) << reference.status;
  ASSERT_EQ(reference.summary.events, 6);
  ASSERT_EQ(reference.summary.rejected, 3);
  ASSERT_EQ(reference.summary.late_events, 1);
  for (int stop_after = 1; stop_after <= 7; ++stop_after) {
    const Outcome resumed = Replay(
        Interrupted(Checkpointed(base, TmpPath("cuts.ckpt"), 1), stop_after));
    ASSERT_TRUE(resumed.status.ok()) << resumed.status;
    EXPECT_EQ(Counts(resumed.summary), Counts(reference.summary))
        << "stopped after " << stop_after;
    EXPECT_EQ(resumed.scores, reference.scores);
  }
}

TEST(ReplayCheckpoint, WhatCannotBeResumedIsRefusedWithInvalidArgument) {
  const ReplayOptions good =
      Checkpointed(Options({DamagedCsv()}, "refused"), TmpPath("no.ckpt"), 0);
  struct Case {
    const char* what;
    ReplayOptions options;
    const char* message;
  };
  std::vector<Case> cases;
  cases.push_back({"alerts on stdout", good, "--checkpoint needs --alerts FILE"});
  cases.back().options.alerts_path = "-";
  cases.push_back({"stdin", good, "standard input cannot be resumed"});
  cases.back().options.inputs = {"-"};
  cases.push_back({"baseline", good, "--mode baseline"});
  cases.back().options.mode = "baseline";
  cases.push_back({"random key", good, "a random key for this run"});
  cases.back().options.pseudonym_key_file.clear();
  cases.push_back({"zero interval", good, "interval must be positive"});
  cases.back().options.checkpoint_every = absl::ZeroDuration();
  cases.push_back({"resume, stdout", good, "--resume needs --alerts FILE"});
  cases.back().options.checkpoint_path.clear();
  cases.back().options.resume_path = TmpPath("no.ckpt");
  cases.back().options.alerts_path = "-";
  unsetenv("VIGIE_PSEUDONYM_KEY_FILE");
  for (const Case& c : cases) {
    ReplaySummary summary;
    absl::Status status = RunReplay(c.options, &summary);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.what;
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.message)) << c.what;
  }
}

TEST(ReplayCheckpoint, ACheckpointOfAnotherReplayIsFailedPreconditionNamingWhatDiffers) {
  const std::string input = TmpPath("mismatch.csv");
  WriteFile(input, ReadFile(DamagedCsv()));
  ReplayOptions resume = Interrupted(
      Checkpointed(Options({input}, "mismatch"), TmpPath("mismatch.ckpt"),
                   20000),
      1);
  resume.checkpoint_path.clear();

  const std::string other_key = TmpPath("other.key");
  WriteFile(other_key, std::string(64, 'b'));
  const std::string config = TmpPath("other.conf");
  WriteFile(config, "engine { alert_threshold: 70 }\n");
  struct Case {
    const char* what;
    ReplayOptions options;
    std::string message;
  };
  std::vector<Case> cases;
  cases.push_back({"another key", resume, "another pseudonymisation key"});
  cases.back().options.pseudonym_key_file = other_key;
  cases.push_back({"another config", resume, "alert_threshold"});
  cases.back().options.config_path = config;
  cases.push_back({"another memory limit", resume, "memory_limit_bytes"});
  cases.back().options.memory_limit = "32M";
  cases.push_back({"another mode flag", resume, "--strict was off, is on"});
  cases.back().options.strict = true;
  cases.push_back({"more inputs", resume, "1 input(s) then, 2 now"});
  cases.back().options.inputs.push_back(DamagedCsv());
  cases.push_back({"another input", resume, "was " + input});
  cases.back().options.inputs = {DamagedCsv()};
  for (const Case& c : cases) {
    ReplaySummary summary;
    absl::Status status = RunReplay(c.options, &summary);
    EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << c.what;
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.message))
        << c.what << ": " << status;
  }
  // The same file, grown since: its size names it.
  AppendFile(input, "2022-03-10T08:00:00Z,late.comer,192.0.2.1,login,,,,,,\n");
  ReplaySummary summary;
  absl::Status status = RunReplay(resume, &summary);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr(absl::StrCat("input ", input, " was ")));
  EXPECT_THAT(std::string(status.message()), HasSubstr(" bytes, is "));
  // Rewritten to the same size (the first account name's first letter in
  // capitals): its content sample names it.
  std::string content = ReadFile(DamagedCsv());
  const size_t letter = content.find(',', content.find('\n')) + 1;
  ASSERT_TRUE(absl::ascii_islower(content[letter])) << content.substr(0, 200);
  content[letter] = absl::ascii_toupper(content[letter]);
  WriteFile(input, content);
  status = RunReplay(resume, &summary);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("has the same size but other content"))
      << status;
  // Put back as it was: the replay resumes.
  WriteFile(input, ReadFile(DamagedCsv()));
  EXPECT_TRUE(RunReplay(resume, &summary).ok());
}

// The location database decides countries and autonomous systems, so a
// database updated in place (same path) since the checkpoint is refused.
TEST(ReplayCheckpoint, ALocationDatabaseChangedSinceTheCheckpointIsRefused) {
  // Installed by scripts/install-deps.sh (package libloc-database).
  const std::string installed = ReadFile("/var/lib/location/database.db");
  ASSERT_FALSE(installed.empty());
  const std::string database = TmpPath("location.db");
  WriteFile(database, installed);
  const std::string config = TmpPath("location.conf");
  WriteFile(config, "engine { location_database: \"" + database + "\" }\n");
  const std::string input = TmpPath("located.csv");
  WriteFile(input, ReadFile(DamagedCsv()));
  ReplayOptions options = Options({input}, "located");
  options.config_path = config;
  ReplayOptions resume = Interrupted(
      Checkpointed(options, TmpPath("located.ckpt"), 20000), 1);
  resume.checkpoint_path.clear();

  // libloc reads past trailing bytes: the database still opens, but it is
  // not the one the checkpoint was taken with.
  AppendFile(database, "an update");
  ReplaySummary summary;
  absl::Status status = RunReplay(resume, &summary);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("the location database " + database +
                        " has changed since the checkpoint"));
  WriteFile(database, installed);
  EXPECT_TRUE(RunReplay(resume, &summary).ok());
}

TEST(ReplayCheckpoint, ADamagedCheckpointIsDataLoss) {
  const std::string checkpoint = TmpPath("damaged.ckpt");
  ReplayOptions resume = Interrupted(
      Checkpointed(Options({DamagedCsv()}, "damaged"), checkpoint, 20000), 1);
  const std::string bytes = ReadFile(checkpoint);
  ASSERT_TRUE(ReadReplayCheckpoint(checkpoint).ok());
  resume.checkpoint_path.clear();
  resume.resume_path = TmpPath("broken.ckpt");
  std::vector<std::pair<std::string, std::string>> broken = {
      {"empty", ""},
      {"one byte", bytes.substr(0, 1)},
      {"half", bytes.substr(0, bytes.size() / 2)},
      {"without its checksum", bytes.substr(0, bytes.size() - 5)},
      {"one byte short", bytes.substr(0, bytes.size() - 1)},
  };
  std::string flipped = bytes;
  flipped[flipped.size() / 3] ^= 0x10;
  broken.push_back({"a flipped bit", flipped});
  for (const auto& [what, damaged] : broken) {
    WriteFile(resume.resume_path, damaged);
    ReplaySummary summary;
    absl::Status status = RunReplay(resume, &summary);
    EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << what;
    EXPECT_THAT(std::string(status.message()),
                HasSubstr("not a usable checkpoint"))
        << what;
  }
  // A version this code does not know, with a valid checksum.
  v1::ReplayCheckpoint future = ReadReplayCheckpoint(checkpoint).value();
  future.set_format_version(99);
  future.clear_crc32();
  std::string body = future.SerializeAsString();
  const uint32_t crc = static_cast<uint32_t>(crc32_z(
      0, reinterpret_cast<const Bytef*>(body.data()), body.size()));
  body.push_back(static_cast<char>((15 << 3) | 5));
  for (int i = 0; i < 4; ++i) body.push_back(static_cast<char>(crc >> (8 * i)));
  WriteFile(resume.resume_path, body);
  absl::Status status = ReadReplayCheckpoint(resume.resume_path).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(status.message()), HasSubstr("format version 99"));
  // And no checkpoint at all.
  resume.resume_path = TmpPath("missing.ckpt");
  ReplaySummary summary;
  EXPECT_EQ(RunReplay(resume, &summary).code(), absl::StatusCode::kNotFound);
}

TEST(ReplayCheckpoint, AlertsShorterThanAtTheCheckpointAreDataLoss) {
  Outcome stopped;
  const ReplayOptions resume = Interrupted(
      Checkpointed(Options({DamagedCsv()}, "short"), TmpPath("short.ckpt"),
                   40000),
      1, &stopped);
  ASSERT_GT(stopped.alerts.size(), 10u);
  WriteFile(resume.alerts_path, stopped.alerts.substr(0, 10));
  ReplaySummary summary;
  absl::Status status = RunReplay(resume, &summary);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(status.message()), HasSubstr("shorter than"));
}

TEST(ReplayCheckpoint, AStaleTemporaryFileIsOverwrittenAndIgnored) {
  const Outcome reference = Replay(Options({DamagedCsv()}, "reference"));
  const std::string checkpoint = TmpPath("stale.ckpt");
  // Left by a run killed while writing its checkpoint.
  WriteFile(checkpoint + ".tmp", "half a checkp");
  const ReplayOptions resume = Interrupted(
      Checkpointed(Options({DamagedCsv()}, "stale"), checkpoint, 25000), 1);
  EXPECT_TRUE(ReadReplayCheckpoint(checkpoint).ok());
  EXPECT_TRUE(ReadFile(checkpoint + ".tmp").empty());  // Renamed away.
  WriteFile(checkpoint + ".tmp", "another torn write");
  ExpectSameOutput(Replay(resume), reference);
}

TEST(ReplayCheckpoint, HoldsNoRawSubjectAndNoKey) {
  const std::string checkpoint = TmpPath("private.ckpt");
  Interrupted(Checkpointed(Options({DamagedCsv()}, "private"), checkpoint, 30000),
              2);
  const std::string bytes = ReadFile(checkpoint);
  ASSERT_GT(bytes.size(), 1000u);
  // No subject of the log (NIRs: 15 characters), nor even its 10-character
  // prefix, anywhere in the file.
  absl::flat_hash_set<std::string> prefixes;
  const std::string csv = ReadFile(DamagedCsv());
  std::vector<std::string> lines = absl::StrSplit(csv, '\n');
  std::vector<std::string> header = absl::StrSplit(lines[0], ',');
  const size_t column =
      std::find(header.begin(), header.end(), "subject") - header.begin();
  ASSERT_LT(column, header.size());
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> fields = absl::StrSplit(lines[i], ',');
    if (fields.size() > column && fields[column].size() >= 13) {
      prefixes.insert(fields[column].substr(0, 10));
    }
  }
  ASSERT_GT(prefixes.size(), 1000u);
  for (size_t at = 0; at + 10 <= bytes.size(); ++at) {
    ASSERT_FALSE(prefixes.contains(bytes.substr(at, 10)))
        << "a subject at byte " << at;
  }
  // Nor the key, as text or as bytes.
  const std::string key_hex(64, 'a');
  EXPECT_EQ(bytes.find(key_hex.substr(0, 16)), std::string::npos);
  EXPECT_EQ(bytes.find(std::string(16, '\xaa')), std::string::npos);
}

TEST(WriteFileAtomically, ReplacesTheFileAndLeavesNoTemporary) {
  const std::string path = TmpPath("atomic.bin");
  WriteFile(path + ".tmp", "stale");
  ASSERT_TRUE(WriteFileAtomically(path, "first").ok());
  ASSERT_TRUE(WriteFileAtomically(path, "second").ok());
  EXPECT_EQ(ReadFile(path), "second");
  std::ifstream tmp(path + ".tmp");
  EXPECT_FALSE(tmp.good());
  EXPECT_EQ(WriteFileAtomically(TmpPath("no/such/dir/file"), "x").code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace vigie
