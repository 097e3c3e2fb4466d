// Regression tests from fuzzing (tests/data/fuzz_findings/: each input as
// it was found): every one must end, be refused with a clear error, or be
// read as documented, and never hang, crash or allocate from a count it
// cannot back.
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "detector/record_reader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigie {
namespace {

using ::testing::HasSubstr;

std::string Finding(const std::string& name) {
  std::ifstream in(absl::StrCat("tests/data/fuzz_findings/", name),
                   std::ios::binary);
  EXPECT_TRUE(in) << name;
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// 13 bytes that look like the start of a binary record whose second field
// tag runs past the record's length: sniffing wrapped around and spun
// forever. Now the input is not binary, is read as CSV and ends.
TEST(FuzzFindings, SniffingAFieldPastTheRecordsLengthEnds) {
  absl::StatusOr<std::unique_ptr<RecordReader>> reader =
      NewRecordReaderFromString(Finding("sniff_hang.bin"), "<stdin>",
                                ReaderOptions());
  ASSERT_TRUE(reader.ok()) << reader.status();
  AccessRecord record;
  RecordError error;
  int results = 0;
  while ((*reader)->Next(&record, &error) != RecordReader::Result::kEnd) {
    ASSERT_LT(++results, 10);
  }
}

}  // namespace
}  // namespace vigie
