// The checkpoint promise, tested the hard way: a real `vigie replay
// --checkpoint` child process is killed with SIGKILL after it has written
// two checkpoints (so mid-run, possibly while it writes the next one),
// then `vigie replay --resume` finishes the job; the alerts file, the
// --scores file and the summary's counts must equal an uninterrupted
// run's, byte for byte. Also: two kills in a row, merged .gz and binary
// inputs, two detection threads before the kill and one after.
//
// Deterministic enough not to flake: checkpoints are cut every N events
// (--checkpoint-every-events), the log is ten times longer than the point
// where the kill lands, and the test fails loudly (rather than passing
// vacuously) if the child ever finishes before it is killed.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/test_files.h"
#include "tests/vigie_process.h"

namespace vigie {
namespace {

using testing_files::ReadFile;
using testing_files::StartVigie;
using testing_files::TmpPath;
using testing_files::WaitVigie;

// Runs `vigie ARGS...` to its end; returns its exit status.
int Run(const std::vector<std::string>& args, const std::string& stderr_path) {
  return WaitVigie(StartVigie(args, stderr_path));
}

ino_t InodeOf(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

// Waits until two versions of `checkpoint` have been seen (every rename
// brings a new inode; a resumed run starts with the one it resumed from),
// then kills the child with SIGKILL a few milliseconds later, so that the
// kill lands between checkpoints or while one is written. Fails if the
// child finished first.
void KillAfterTwoCheckpoints(pid_t pid, const std::string& checkpoint,
                             int delay_ms) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(300);
  ino_t first = 0;
  int seen = 0;
  int status = 0;
  while (seen < 2) {
    ASSERT_EQ(waitpid(pid, &status, WNOHANG), 0)
        << "the replay ended before it could be killed (exit status "
        << (WIFEXITED(status) ? WEXITSTATUS(status) : -1)
        << "): make the test log longer";
    ASSERT_LT(std::chrono::steady_clock::now(), deadline);
    const ino_t now = InodeOf(checkpoint);
    if (now != 0 && now != first) {
      first = now;
      ++seen;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "the replay ended before it could be killed: make the log longer";
}

// The summary's counts: its text without timings, the estimated state
// size (a restored table may have another capacity) and the checkpoint
// line.
std::string SummaryCounts(const std::string& summary) {
  std::vector<std::string> kept;
  for (absl::string_view line : absl::StrSplit(summary, '\n')) {
    std::string text(line);
    if (text.rfind("vigie replay:", 0) == 0) {
      text = text.substr(0, text.find(" read in"));
    } else if (text.find("  checkpoints:") == 0) {
      continue;
    } else if (text.find("  memory:") == 0) {
      text = std::regex_replace(text, std::regex("account state [0-9.]+ MiB, "),
                                "");
    }
    kept.push_back(text);
  }
  return absl::StrJoin(kept, "\n");
}

struct Scenario {
  std::string name;
  std::vector<std::string> inputs;
  // Flags of the run that is killed, and of the runs that resume.
  std::vector<std::string> killed_flags;
  std::vector<std::string> resume_flags;
  int kills = 1;
};

std::vector<std::string> Concat(std::vector<std::string> a,
                                const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Simulated logs (with planted attacks, so alerts come before and after
// the kill), made once with `vigie simulate`.
std::string SimulatedLog(const std::string& name,
                         const std::vector<std::string>& flags) {
  const std::string dir = TmpPath(name);
  if (InodeOf(dir) == 0) {
    EXPECT_EQ(Run(Concat({"simulate", "--days", "2", "--out", dir}, flags),
                  TmpPath(name + ".err")),
              0);
  }
  for (const char* file : {"events.csv", "events.jsonl.gz", "events.pb"}) {
    const std::string path = absl::StrCat(dir, "/", file);
    if (InodeOf(path) != 0) return path;
  }
  ADD_FAILURE() << "no events file in " << dir;
  return "";
}

std::string KeyFile() {
  const std::string path = TmpPath("kill.key");
  testing_files::WriteFile(path, std::string(64, 'c') + "\n");
  return path;
}

void ExpectKilledAndResumedRunEqualsUninterrupted(const Scenario& s) {
  SCOPED_TRACE(s.name);
  const std::vector<std::string> common = {"--key-file", KeyFile(),
                                           "--memory-limit", "16M"};
  const std::string ref = TmpPath(s.name + "_reference");
  ASSERT_EQ(Run(Concat(Concat({"replay", "--alerts", ref + ".jsonl",
                               "--scores", ref + ".csv"},
                              common),
                       s.inputs),
                ref + ".err"),
            0)
      << ReadFile(ref + ".err");
  const std::string reference_alerts = ReadFile(ref + ".jsonl");
  ASSERT_GT(reference_alerts.size(), 1000u);

  const std::string run = TmpPath(s.name + "_run");
  const std::string checkpoint = run + ".ckpt";
  const std::vector<std::string> outputs = {
      "--alerts", run + ".jsonl", "--scores", run + ".csv", "--checkpoint",
      checkpoint, "--checkpoint-every-events", "4000"};
  std::vector<std::string> args =
      Concat(Concat(Concat(Concat({"replay"}, common), outputs),
                    s.killed_flags),
             s.inputs);
  for (int kill = 0; kill < s.kills; ++kill) {
    const pid_t pid = StartVigie(args, run + ".err");
    KillAfterTwoCheckpoints(pid, checkpoint, 1 + 3 * kill);
    if (::testing::Test::HasFatalFailure()) return;
    // Resumed runs keep checkpointing, so they can be killed too.
    args = Concat(Concat(Concat(Concat(Concat({"replay"}, common), outputs),
                                {"--resume", checkpoint}),
                         s.resume_flags),
                  s.inputs);
  }
  ASSERT_EQ(Run(args, run + ".err"), 0) << ReadFile(run + ".err");
  const std::string resumed_summary = ReadFile(run + ".err");
  // Where the last kill landed, for whoever reads the test log.
  std::cout << s.name << ": "
            << resumed_summary.substr(resumed_summary.find("checkpoints:"));
  EXPECT_NE(resumed_summary.find("checkpoints: resumed after event"),
            std::string::npos)
      << resumed_summary;
  EXPECT_TRUE(ReadFile(run + ".jsonl") == reference_alerts)
      << "alerts differ: " << ReadFile(run + ".jsonl").size() << " bytes vs "
      << reference_alerts.size();
  EXPECT_TRUE(ReadFile(run + ".csv") == ReadFile(ref + ".csv"))
      << "scores differ";
  EXPECT_EQ(SummaryCounts(resumed_summary),
            SummaryCounts(ReadFile(ref + ".err")));
}

TEST(ReplayKill, AKilledReplayResumesToTheUninterruptedOutput) {
  ExpectKilledAndResumedRunEqualsUninterrupted(
      {"csv", {SimulatedLog("sim_csv", {"--accounts", "300", "--seed", "3"})},
       {}, {}, 1});
}

TEST(ReplayKill, TwoKillsInARow) {
  ExpectKilledAndResumedRunEqualsUninterrupted(
      {"twice",
       {SimulatedLog("sim_csv", {"--accounts", "300", "--seed", "3"})},
       {},
       {},
       2});
}

TEST(ReplayKill, MergedGzipAndBinaryInputsWithTwoThreadsThenOne) {
  ExpectKilledAndResumedRunEqualsUninterrupted(
      {"merged",
       {SimulatedLog("sim_jsonl", {"--accounts", "150", "--seed", "4",
                                   "--format", "jsonl", "--gzip"}),
        SimulatedLog("sim_pb", {"--accounts", "150", "--seed", "5",
                                "--format", "binary"})},
       {"--threads", "2"},
       {"--threads", "1"},
       1});
}

}  // namespace
}  // namespace vigie
