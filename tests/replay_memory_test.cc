// The memory promise of `vigie replay`, tested on the process: whatever the
// input invents (ever-new account names of 4 KB, ever-new services,
// professions and user agents, field values near the longest record and
// past it, ever-new kinds of bad value, an address and subject spray), its
// peak resident memory stays under --memory-limit + 64 MiB for one input
// file (docs/performance.md). A real `vigie replay` child runs each input
// at --memory-limit 32M; its peak RSS comes from wait4.
//
// Skipped under sanitizers, whose shadow memory and quarantine are no
// part of the promise.
#include <sys/stat.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/test_files.h"
#include "tests/vigie_process.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define VIGIE_UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define VIGIE_UNDER_SANITIZER 1
#endif
#endif

namespace vigie {
namespace {

using testing_files::ReadFile;
using testing_files::TmpPath;

constexpr int64_t kMiB = 1 << 20;
constexpr int64_t kLimit = 32 * kMiB;
constexpr int64_t kConstant = 64 * kMiB;  // docs/performance.md

struct Outcome {
  int exit_status = -1;
  int64_t peak_rss = 0;  // Bytes.
  std::string summary;   // Standard error.
};

Outcome Replay(const std::string& input) {
  const std::string key = TmpPath("memory.key");
  {
    std::ofstream(key) << std::string(64, 'a') << "\n";
  }
  chmod(key.c_str(), 0600);
  const std::string err = TmpPath("memory.err");
  const pid_t pid = testing_files::StartVigie(
      {"replay", "--key-file", key, "--memory-limit", "32M", "--alerts",
       "/dev/null", input},
      err);
  Outcome out;
  rusage usage{};
  out.exit_status = testing_files::WaitVigie(pid, &usage);
  out.peak_rss = static_cast<int64_t>(usage.ru_maxrss) * 1024;
  out.summary = ReadFile(err);
  return out;
}

std::string Time(int64_t i) {
  const int64_t s = i / 20;
  return absl::StrCat("2022-03-07T", 10 + s / 3600 % 10, ":",
                      absl::Dec(s / 60 % 60, absl::kZeroPad2), ":",
                      absl::Dec(s % 60, absl::kZeroPad2), ".",
                      absl::Dec(i % 20 * 50, absl::kZeroPad3), "Z");
}

std::string Address(int64_t i) {
  return absl::StrCat("10.", i >> 16 & 255, ".", i >> 8 & 255, ".", i & 255);
}

constexpr char kHeader[] =
    "time,account,ip,action,outcome,subject,records,user_agent,service,"
    "profession\n";

// Writes `count` rows made by `row` after the header; returns the path.
template <typename Row>
std::string Write(const std::string& name, int64_t count, Row row) {
  const std::string path = TmpPath(name);
  std::ofstream out(path);
  out << kHeader;
  for (int64_t i = 0; i < count; ++i) out << row(i) << "\n";
  return path;
}

// `exit_status`: 0, or 1 when no record of the input is valid.
void ExpectWithinTheLimit(const std::string& what, const std::string& path,
                          int exit_status = 0) {
#ifdef VIGIE_UNDER_SANITIZER
  GTEST_SKIP() << "peak memory is not measured under a sanitizer";
#endif
  const Outcome run = Replay(path);
  EXPECT_EQ(run.exit_status, exit_status) << what << "\n" << run.summary;
  EXPECT_GT(run.peak_rss, 0);
  EXPECT_LE(run.peak_rss, kLimit + kConstant)
      << what << ": peak RSS " << run.peak_rss / kMiB << " MiB\n"
      << run.summary;
  std::printf("%s: peak RSS %.1f MiB\n", what.c_str(),
              static_cast<double>(run.peak_rss) / kMiB);
  std::remove(path.c_str());
}

TEST(ReplayMemory, EverNewLongAccountNames) {
  const std::string pad(4000, 'n');
  ExpectWithinTheLimit(
      "ever-new account names of 4 KB",
      Write("accounts.csv", 30000, [&](int64_t i) {
        return absl::StrCat(Time(i), ",", i, pad, ",", Address(i),
                            ",login,success,,,ua,portal,gp");
      }));
}

TEST(ReplayMemory, EverNewServicesProfessionsAndUserAgents) {
  const std::string pad(1000, 'x');
  ExpectWithinTheLimit(
      "ever-new services, professions and user agents of 1 KB",
      Write("names.csv", 40000, [&](int64_t i) {
        return absl::StrCat(Time(i), ",dr.", i % 50, ",", Address(i % 200),
                            ",login,success,,,ua", i, pad, ",svc", i, pad,
                            ",prof", i, pad);
      }));
}

TEST(ReplayMemory, FieldValuesNearTheLongestRecordAndPastIt) {
  const std::string near(60000, 'u');
  const std::string past(70000, 'v');
  ExpectWithinTheLimit(
      "user agents of 60 KB, and records of 70 KB (rejected)",
      Write("enormous.csv", 2000, [&](int64_t i) {
        return absl::StrCat(Time(i), ",dr.", i % 50, ",", Address(i),
                            ",login,success,,,", i % 2 == 0 ? near : past,
                            ",portal,gp");
      }));
}

TEST(ReplayMemory, EverNewKindsOfBadValue) {
  ExpectWithinTheLimit(
      "300,000 records, each with another bad value in another field",
      Write("errors.csv", 300000, [&](int64_t i) {
        switch (i % 4) {
          case 0:
            return absl::StrCat("2022-13-", i, ",dr.1,", Address(i),
                                ",login,success,,,ua,portal,gp");
          case 1:
            return absl::StrCat(Time(i), ",dr.1,300.", i, ".0.1",
                                ",login,success,,,ua,portal,gp");
          case 2:
            return absl::StrCat(Time(i), ",dr.1,", Address(i), ",act", i,
                                ",success,,,ua,portal,gp");
          default:
            return absl::StrCat(Time(i), ",dr.1,", Address(i), ",login,out",
                                i, ",,,ua,portal,gp");
        }
      }),
      /*exit_status=*/1);
}

TEST(ReplayMemory, AnAddressAndSubjectSpray) {
  ExpectWithinTheLimit(
      "400,000 lookups from ever-new addresses of ever-new people",
      Write("spray.csv", 400000, [&](int64_t i) {
        return absl::StrCat(Time(i), ",dr.", i % 1000, ",", Address(i),
                            ",lookup,success,", 100000000000 + i * 7919,
                            ",,ua,portal,gp");
      }));
}

}  // namespace
}  // namespace vigie
