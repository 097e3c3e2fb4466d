// Constructors of the three format readers behind OpenRecordReader (see
// detector/record_reader.h for the contract they all follow). Internal to the
// ingestion layer; tests reach them through OpenRecordReader /
// NewRecordReaderFromString with an explicit format.
#ifndef VIGIE_DETECTOR_INGEST_READERS_H_
#define VIGIE_DETECTOR_INGEST_READERS_H_

#include <memory>
#include <string>

#include "detector/ingest/byte_source.h"
#include "detector/record_reader.h"

namespace vigie {
namespace ingest_internal {

std::unique_ptr<RecordReader> NewCsvReader(std::unique_ptr<InputBuffer> input,
                                           std::string name,
                                           const ReaderOptions& options);
std::unique_ptr<RecordReader> NewJsonLinesReader(
    std::unique_ptr<InputBuffer> input, std::string name,
    const ReaderOptions& options);
// A JSON Lines reader that parses one input on `threads` threads: the
// input is cut into chunks of whole lines (about chunk_bytes each), parsed
// at once by as many JsonLinesReaders and handed out in input order. It
// yields exactly the records, errors and positions NewJsonLinesReader
// yields; raw_bytes_read() moves by chunk. At most 4 × threads + 4 chunks
// (and threads - 1 more being cut) are held ahead of the consumer, each
// at most chunk_bytes + max_record_bytes plus its records' texts. Threads
// start at the first Next(), so SeekTo still works before it; destroying
// the reader joins them. REQUIRES: threads >= 1; `input` is not a pipe
// that may block forever (a worker could wait on it at destruction).
std::unique_ptr<RecordReader> NewParallelJsonLinesReader(
    std::unique_ptr<InputBuffer> input, std::string name,
    const ReaderOptions& options, int threads);
std::unique_ptr<RecordReader> NewBinaryReader(
    std::unique_ptr<InputBuffer> input, std::string name,
    const ReaderOptions& options);

// Shared by all three: turns a failed Fill() into a fatal error.
void SetFatalInputError(const absl::Status& status, RecordError* error);

// Skips `input` to `offset` for RecordReader::SeekTo; errors name `source`.
absl::Status SkipInputTo(InputBuffer& input, uint64_t offset,
                         const std::string& source);

// Fills a record-level InvalidArgument error located at a text line.
void SetLineError(const std::string& source, int64_t line,
                  absl::string_view field, absl::string_view value,
                  std::string reason, RecordError* error);

// What the two line-oriented readers (CSV, JSON Lines) share: the input
// window, end-of-input and a pending fatal input error.
class TextReaderBase : public RecordReader {
 public:
  uint64_t raw_bytes_read() const override {
    return input_->source().raw_bytes_read();
  }
  ReadPosition position() const override {
    return ReadPosition{input_->bytes_consumed(), line_};
  }
  // Skips to the position (no header handling: CSV adds it).
  absl::Status SeekTo(const ReadPosition& position) override;

 protected:
  TextReaderBase(std::unique_ptr<InputBuffer> input, std::string name)
      : RecordReader(std::move(name)), input_(std::move(input)) {}

  // Reads more input; false at the end or on an input failure, which is
  // remembered (done_ and fatal_pending_ set) for TakeFatal.
  bool Refill();
  // Reports the pending input failure at `line`, once.
  RecordReader::Result TakeFatal(int64_t line, RecordError* error);

  std::unique_ptr<InputBuffer> input_;
  int64_t line_ = 1;  // Line where the next record starts.
  bool done_ = false;
  bool fatal_pending_ = false;
  absl::Status fatal_status_;
};

}  // namespace ingest_internal
}  // namespace vigie

#endif  // VIGIE_DETECTOR_INGEST_READERS_H_
