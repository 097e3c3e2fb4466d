// The replay progress line: its text, and silence when disabled (standard
// error not a terminal).
#include <cstdio>
#include <string>

#include "gtest/gtest.h"
#include "tools/progress_line.h"

namespace vigie {
namespace {

std::string Contents(FILE* f) {
  std::rewind(f);
  std::string text;
  char buffer[256];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0) text.append(buffer, n);
  return text;
}

TEST(ProgressLine, FormatsRateBytesAndEta) {
  EXPECT_EQ(ProgressLine::Format(3200000, 612000000, 1890300000, 2.0),
            "replay: 3.2 M events, 1.60 M events/s, 612.0 of 1890.3 MB, "
            "ETA 0:04");
  // Unknown total (standard input): bytes only, no ETA.
  EXPECT_EQ(ProgressLine::Format(1000000, 50000000, 0, 1.0),
            "replay: 1.0 M events, 1.00 M events/s, 50.0 MB read");
  // Done: no ETA.
  EXPECT_EQ(ProgressLine::Format(10, 100, 100, 1.0),
            "replay: 0.0 M events, 0.00 M events/s, 0.0 of 0.0 MB");
  // Long runs: minutes past 59 stay minutes (no hours field).
  EXPECT_NE(ProgressLine::Format(1000, 1, 1000, 10.0).find("ETA 166:30"),
            std::string::npos);
}

TEST(ProgressLine, SilentWhenDisabled) {
  FILE* silent = std::tmpfile();
  {
    ProgressLine progress(1000, /*enabled=*/false, silent);
    progress.Update(1, 1);
  }
  EXPECT_EQ(Contents(silent), "");
  std::fclose(silent);
}

}  // namespace
}  // namespace vigie
