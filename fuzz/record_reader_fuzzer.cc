// Fuzz target: the record readers (CSV, JSON Lines, binary, and the format
// sniffing of an input whose name says nothing), read to their end. The
// first byte picks the input's name, and so its format; the rest is the
// input. What must hold for any input: reading ends, with at most one
// result a byte (a reader that stops advancing is a hang), and every error
// names a reason.
#include <cstdlib>
#include <memory>
#include <string>

#include "detector/record_reader.h"
#include "fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using vigie::RecordReader;
  if (size == 0) return 0;
  static const char* const kNames[] = {"fuzz.csv", "fuzz.jsonl", "fuzz.pb",
                                       "<stdin>"};
  const std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  vigie::ReaderOptions options;
  options.max_record_bytes = 4096;
  options.chunk_bytes = 4096;
  absl::StatusOr<std::unique_ptr<RecordReader>> reader =
      vigie::NewRecordReaderFromString(bytes, kNames[data[0] % 4], options);
  if (!reader.ok()) return 0;
  vigie::AccessRecord record;
  vigie::RecordError error;
  for (size_t results = 0; results <= bytes.size() + 2; ++results) {
    const RecordReader::Result result = (*reader)->Next(&record, &error);
    if (result == RecordReader::Result::kEnd) return 0;
    if (result == RecordReader::Result::kError && error.reason.empty()) {
      std::abort();
    }
  }
  std::abort();  // More results than bytes.
}
