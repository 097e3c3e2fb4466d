#include "tests/reader_steps.h"

#include <dirent.h>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace vigie {
namespace {

std::string Describe(RecordReader& reader, RecordReader::Result result,
                     const AccessRecord& r, const RecordError& error,
                     RawBytes raw) {
  std::string out = absl::StrCat(static_cast<int>(result), "|");
  if (result == RecordReader::Result::kRecord) {
    absl::StrAppend(&out, r.time_ms, "|", r.account, "|", r.ip.ToString(), "|",
                    static_cast<int>(r.action), "|",
                    static_cast<int>(r.outcome), "|", r.subject, "|",
                    r.has_records, r.records, "|", r.user_agent, "|",
                    r.service, "|", r.profession);
  } else if (result == RecordReader::Result::kError) {
    absl::StrAppend(&out, error.ToString(), "|", error.fatal, "|",
                    static_cast<int>(error.code));
  }
  const ReadPosition p = reader.position();
  absl::StrAppend(&out, "|at ", p.byte_offset, ":", p.line_or_record);
  if (raw == RawBytes::kEveryStep ||
      result == RecordReader::Result::kEnd) {
    absl::StrAppend(&out, "|raw ", reader.raw_bytes_read());
  }
  return out;
}

}  // namespace

std::vector<std::string> ReaderSteps(RecordReader& reader, RawBytes raw,
                                     size_t limit) {
  std::vector<std::string> steps;
  AccessRecord record;
  RecordError error;
  for (size_t i = 0; i < limit; ++i) {
    const RecordReader::Result result = reader.Next(&record, &error);
    steps.push_back(Describe(reader, result, record, error, raw));
    if (result == RecordReader::Result::kEnd) break;
  }
  return steps;
}

std::vector<std::string> FilesIn(const std::string& dir) {
  std::vector<std::string> paths;
  DIR* d = opendir(dir.c_str());
  EXPECT_NE(d, nullptr) << dir;
  if (d == nullptr) return paths;
  while (dirent* entry = readdir(d)) {
    const std::string name = entry->d_name;
    if (name != "." && name != "..") paths.push_back(dir + name);
  }
  closedir(d);
  return paths;
}

}  // namespace vigie
