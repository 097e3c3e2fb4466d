// ReadAheadReader: runs another RecordReader on a thread of its own, a few
// batches ahead of its consumer, so that parsing a text log overlaps with
// encoding and detection.
//
// Why: parsing CSV or JSON Lines costs more per event than detection
// itself, and `vigie replay` reads, merges and encodes on one thread; with
// the parser on another, the operating system spreads parsing, encoding
// and detection over the machine's cores (and several inputs parse at
// once, one thread each).
//
// What the consumer sees is exactly what the wrapped reader yields, in the
// same order: every record, every error (with its position) and the end;
// position() and raw_bytes_read() are those of the wrapped reader just
// after the item last returned, so checkpoints cut where they would
// without read-ahead. Records are copied into the batch that carries them
// (their views stay valid until the next Next(), as the interface
// promises).
//
// Bounds: at most `max_batches` batches of at most `batch_records`
// records or ~`batch_bytes` of text each are parsed ahead (defaults: 16
// × 1,024 records or 1 MiB; with 4, the parsing thread stalled often
// enough on two cores to leave a tenth of a core idle). Raw subjects sit
// in those buffers as they do in any reader's, in memory only, until
// consumed.
//
// The thread starts at the first Next(), so SeekTo (which REQUIRES no
// Next yet) still reaches the wrapped reader. Thread-compatible as a
// reader: one consumer; destroying it stops and joins the thread.
//
// Example:
//   auto reader = OpenRecordReader("events.csv", options).value();
//   reader = NewReadAheadReader(std::move(reader));
//   while (reader->Next(&record, &error) != RecordReader::Result::kEnd) ...
#ifndef VIGIE_DETECTOR_INGEST_READ_AHEAD_READER_H_
#define VIGIE_DETECTOR_INGEST_READ_AHEAD_READER_H_

#include <cstddef>
#include <memory>

#include "detector/record_reader.h"

namespace vigie {

struct ReadAheadOptions {
  size_t batch_records = 1024;
  size_t batch_bytes = size_t{1} << 20;
  size_t max_batches = 16;
};

// REQUIRES: `inner` is not null and Next() was never called on it.
std::unique_ptr<RecordReader> NewReadAheadReader(
    std::unique_ptr<RecordReader> inner,
    const ReadAheadOptions& options = ReadAheadOptions());

}  // namespace vigie

#endif  // VIGIE_DETECTOR_INGEST_READ_AHEAD_READER_H_
