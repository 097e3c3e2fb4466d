// ByteSource: a stream of input bytes (a file, standard input, memory, or a
// gzip stream over any of these), and InputBuffer, the refillable window the
// readers parse from.
//
// Why: logs are months long; readers stream them in fixed-size chunks and
// never load a file whole. Compressed inputs are recognised by the gzip
// magic bytes, not the file name, and multi-member gzip files (as written
// by `cat a.gz b.gz`) are read to their end.
//
// Not thread-safe; one reader owns one source.
//
// Example:
//   VIGIE_ASSIGN_OR_RETURN(std::unique_ptr<ByteSource> source,
//                          OpenByteSource("events.csv.gz"));
//   InputBuffer buffer(std::move(source), /*min_capacity=*/1 << 20);
//   while (true) {
//     VIGIE_ASSIGN_OR_RETURN(size_t added, buffer.Fill());
//     if (added == 0) break;            // end of input
//     buffer.Consume(buffer.available().size());
//   }
#ifndef VIGIE_DETECTOR_INGEST_BYTE_SOURCE_H_
#define VIGIE_DETECTOR_INGEST_BYTE_SOURCE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vigie {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to `size` bytes into `buffer`; returns the count, 0 at the end
  // of the input. DataLoss for corrupt or truncated compressed data,
  // Internal/Unavailable for I/O errors.
  virtual absl::StatusOr<size_t> Read(char* buffer, size_t size) = 0;
  // Bytes taken from the underlying file so far (compressed bytes for a
  // gzip source): what a progress display compares with the file size.
  virtual uint64_t raw_bytes_read() const = 0;
  // Discards the next `n` bytes and returns how many were discarded (fewer
  // only at the end of the input). This default reads and drops them
  // (what a gzip stream must do); a plain file seeks instead.
  virtual absl::StatusOr<uint64_t> Skip(uint64_t n);
};

// Opens `path` for streaming; "-" is standard input. A gzip stream is
// detected from its magic bytes and decompressed transparently.
// NotFound / PermissionDenied / FailedPrecondition (a directory) on failure,
// with the path in the message.
absl::StatusOr<std::unique_ptr<ByteSource>> OpenByteSource(
    const std::string& path);

// A source over bytes in memory (copied), with the same gzip detection.
std::unique_ptr<ByteSource> MemoryByteSource(std::string bytes);

// `source` itself, or its decompressed stream when its first two bytes are
// the gzip magic (read from it, then handed out again). `name` appears in
// decompression errors. An error only if reading those bytes fails.
absl::StatusOr<std::unique_ptr<ByteSource>> DecompressIfGzip(
    std::unique_ptr<ByteSource> source, const std::string& name);

// Refillable window over a ByteSource. The available bytes are always
// followed by at least kPadding readable bytes (simdjson needs them).
class InputBuffer {
 public:
  static constexpr size_t kPadding = 64;

  // REQUIRES: source != nullptr. The window grows up to `max_capacity`
  // bytes; a record longer than that cannot be held (readers reject it).
  InputBuffer(std::unique_ptr<ByteSource> source, size_t min_capacity,
              size_t max_capacity);
  // A window over `size` bytes already in memory, borrowed (not copied,
  // not owned), nothing more to come: what a reader parses one chunk of a
  // larger input from. REQUIRES: `data` holds size + kPadding readable
  // bytes and outlives the buffer.
  InputBuffer(const char* data, size_t size);

  // Unconsumed bytes, valid until the next Fill().
  absl::string_view available() const {
    return absl::string_view(data_ + begin_, end_ - begin_);
  }
  // REQUIRES: n <= available().size().
  void Consume(size_t n) { begin_ += n; consumed_ += n; }

  // Appends more input after the available bytes (moving them to the
  // front, growing the window when it is full and below max_capacity).
  // Returns the number of bytes added: 0 means the end of the input, or
  // that the window is full at max_capacity (see full()).
  absl::StatusOr<size_t> Fill();

  // Discards input up to `offset` bytes from its start (as counted by
  // bytes_consumed()): from the window first, then through the source's
  // Skip. Used to resume a replay where a checkpoint left it. DataLoss
  // when the input ends before `offset`.
  // REQUIRES: offset >= bytes_consumed().
  absl::Status SkipTo(uint64_t offset);

  // Hands over the first `n` available bytes without copying them: returns
  // the buffer holding them, at *offset in it and followed by at least
  // kPadding readable bytes, and goes on in `fresh` (capacity() + kPadding
  // bytes), where the rest of the window is moved. What a reader cutting
  // its input into chunks of whole lines takes each chunk with.
  // REQUIRES: n <= available().size(); not a borrowed window.
  std::unique_ptr<char[]> TakeWindow(size_t n, std::unique_ptr<char[]> fresh,
                                     size_t* offset);

  size_t capacity() const { return capacity_; }
  bool eof() const { return eof_; }
  bool full() const { return end_ - begin_ >= max_capacity_; }
  uint64_t bytes_consumed() const { return consumed_; }
  const ByteSource& source() const { return *source_; }

 private:
  std::unique_ptr<ByteSource> source_;
  std::unique_ptr<char[]> owned_;  // Null for a borrowed window.
  char* data_ = nullptr;           // The window: owned_, or borrowed.
  size_t capacity_ = 0;
  size_t max_capacity_ = 0;
  size_t begin_ = 0;
  size_t end_ = 0;
  uint64_t consumed_ = 0;
  bool eof_ = false;
};

}  // namespace vigie

#endif  // VIGIE_DETECTOR_INGEST_BYTE_SOURCE_H_
