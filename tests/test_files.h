// File helpers for tests that write inputs and read outputs under
// $TEST_TMPDIR (set by `bazel test`). Test-only; thread-compatible.
//
// Example:
//   WriteFile(TmpPath("events.csv"), "time,account,ip,action\n");
//   EXPECT_EQ(ReadFile(TmpPath("alerts.jsonl")), "");
#ifndef VIGIE_TESTS_TEST_FILES_H_
#define VIGIE_TESTS_TEST_FILES_H_

#include <zlib.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"

namespace vigie {
namespace testing_files {

inline std::string TmpPath(const std::string& name) {
  return absl::StrCat(std::getenv("TEST_TMPDIR"), "/", name);
}

// The whole file; empty when it cannot be read.
inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

inline void AppendFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::app) << bytes;
}

// Writes `bytes` gzip-compressed; false on failure.
inline bool WriteGzipFile(const std::string& path, const std::string& bytes) {
  gzFile out = gzopen(path.c_str(), "wb");
  if (out == nullptr) return false;
  const bool written =
      gzwrite(out, bytes.data(), static_cast<unsigned>(bytes.size())) ==
      static_cast<int>(bytes.size());
  return gzclose(out) == Z_OK && written;
}

}  // namespace testing_files
}  // namespace vigie

#endif  // VIGIE_TESTS_TEST_FILES_H_
