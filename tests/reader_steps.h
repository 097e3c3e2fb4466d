// What a consumer observes of a RecordReader, step by step, as text: for
// tests that hold one reader to another's output (a read-ahead or
// parallel reader against the one-thread reader it must equal).
//
// Example:
//   EXPECT_EQ(ReaderSteps(*parallel, RawBytes::kAtEnd),
//             ReaderSteps(*plain, RawBytes::kAtEnd));
#ifndef VIGIE_TESTS_READER_STEPS_H_
#define VIGIE_TESTS_READER_STEPS_H_

#include <cstddef>
#include <string>
#include <vector>

#include "detector/record_reader.h"

namespace vigie {

// Where raw_bytes_read() is part of the description: after every step
// (readers that must match byte for byte), or only at the end (a reader
// whose count moves by chunk).
enum class RawBytes { kEveryStep, kAtEnd };

// One line per Next(): the result, the record's every field or the
// error's text, code and fatality, and the position after it; up to the
// end or `limit` steps.
std::vector<std::string> ReaderSteps(RecordReader& reader, RawBytes raw,
                                     size_t limit = size_t{1} << 22);

// The paths of the files in `dir` (e.g. "tests/data/malformed/", with its
// slash), in directory order; a test failure if it cannot be listed.
std::vector<std::string> FilesIn(const std::string& dir);

}  // namespace vigie

#endif  // VIGIE_TESTS_READER_STEPS_H_
