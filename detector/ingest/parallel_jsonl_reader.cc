// The parallel JSON Lines reader (see readers.h): one input cut into chunks
// of whole lines, parsed on several threads, handed out in input order.
//
// Why chunks of whole lines are safe: a JSON Lines record cannot hold a
// raw newline (JSON strings escape it), so every '\n' ends a record and a
// chunk ending at one holds whole records. Each chunk is parsed by an
// ordinary JsonLinesReader, so records, errors and positions are those the
// one-thread reader gives; the reader here only re-creates what that
// reader does between lines at a chunk's edges: over-long lines that span
// chunks, the end of the input, and a failure of the input. Line numbers
// are counted from the chunk's start while parsing, and made absolute as
// the chunks are handed out in order (nothing counts newlines twice).
//
// Threads: `threads` workers, each in turn cutting the next chunk (under
// the input's lock) and parsing it (without). At most 4 × threads + 4
// chunks are cut ahead of the consumer, each at most the input window
// (chunk_bytes + max_record_bytes) plus its parsed batch. A chunk is the
// input's window itself, handed over without a copy; its records' texts
// stay views into it (unless unescaped), so it is kept until the consumer
// is done with the chunk's records, and the input goes on in a window a
// consumed chunk gave back.
#include <algorithm>
#include <atomic>
#include <cstring>
#include <map>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "detector/ingest/readers.h"
#include "detector/ingest/record_batch.h"

namespace vigie {
namespace ingest_internal {
namespace {

// What the cutter takes from the input in one turn.
struct Chunk {
  enum class Kind {
    kLines,     // Whole lines (the last chunk's may lack its newline).
    kTooLong,   // One line longer than max_record_bytes, skipped.
    kFailure,   // The input failed here.
  };
  Kind kind = Kind::kLines;
  uint64_t index = 0;
  // kLines: the lines are `size` bytes at `offset` in `buffer`, a window
  // of the input (`capacity` + kPadding bytes) taken without a copy.
  std::unique_ptr<char[]> buffer;
  size_t capacity = 0;
  size_t offset = 0;
  size_t size = 0;
  uint64_t first_byte = 0;  // Input offset of the chunk's first byte.
  uint64_t byte_after = 0;  // Input offset after the chunk.
  uint64_t raw_bytes_after = 0;
  absl::Status failure;  // kFailure.
  bool last = false;     // Nothing follows.
};

class ParallelJsonLinesReader : public RecordReader {
 public:
  ParallelJsonLinesReader(std::unique_ptr<InputBuffer> input, std::string name,
                          const ReaderOptions& options, int threads)
      : RecordReader(std::move(name)),
        options_(options),
        threads_(std::max(threads, 1)),
        max_ahead_(4 * static_cast<uint64_t>(threads_) + 4),
        input_(std::move(input)),
        position_{input_->bytes_consumed(), 1},
        raw_bytes_(input_->source().raw_bytes_read()) {}

  ~ParallelJsonLinesReader() override {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    for (std::thread& worker : workers_) worker.join();
  }

  InputFormat format() const override { return InputFormat::kJsonLines; }
  uint64_t raw_bytes_read() const override { return raw_bytes_; }
  ReadPosition position() const override { return position_; }

  // REQUIRES: no Next() yet.
  absl::Status SeekTo(const ReadPosition& position) override {
    absl::MutexLock lock(&input_mu_);
    absl::Status status =
        SkipInputTo(*input_, position.byte_offset, source_name());
    if (status.ok()) next_chunk_line_ = position.line_or_record;
    position_ = ReadPosition{input_->bytes_consumed(), next_chunk_line_};
    raw_bytes_ = input_->source().raw_bytes_read();
    return status;
  }

  Result Next(AccessRecord* record, RecordError* error) override {
    if (workers_.empty() && !finished_) {
      for (int i = 0; i < threads_; ++i) {
        workers_.emplace_back([this] { Work(); });
      }
    }
    while (current_ == nullptr || next_item_ == current_->size()) {
      if (finished_) return Result::kEnd;
      absl::MutexLock lock(&mu_);
      if (current_ != nullptr) {
        // The previous record's views end here: its batch and the window
        // its texts are in are reused.
        pool_.Give(std::move(current_));
        GiveBackWindow(std::move(current_window_), current_window_capacity_);
        ++consumed_chunks_;
      }
      // The chunks are handed out in input order.
      mu_.Await(absl::Condition(
          +[](ParallelJsonLinesReader* r) ABSL_EXCLUSIVE_LOCKS_REQUIRED(r->mu_) {
            return r->ready_.count(r->consumed_chunks_) > 0;
          },
          this));
      auto it = ready_.find(consumed_chunks_);
      current_ = std::move(it->second.batch);
      current_window_ = std::move(it->second.window);
      current_window_capacity_ = it->second.window_capacity;
      current_first_line_ = next_chunk_line_;
      next_chunk_line_ += it->second.lines;
      ready_.erase(it);
      next_item_ = 0;
    }
    const RecordBatch::Item& item = (*current_)[next_item_++];
    // Lines were counted from 1 at the chunk's start.
    const int64_t shift = current_first_line_ - 1;
    position_ = item.position_after;
    position_.line_or_record += shift;
    raw_bytes_ = item.raw_bytes_after;
    if (item.result == Result::kRecord) {
      current_->RecordOf(item, record);
    } else if (item.result == Result::kError) {
      *error = std::move(current_->error(item));
      error->position += shift;
    } else {
      finished_ = true;
    }
    return item.result;
  }

 private:
  // A worker: cuts a chunk, parses it, publishes its batch; until the input
  // is all cut or the reader is destroyed.
  void Work() {
    while (true) {
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(
            +[](ParallelJsonLinesReader* r)
                ABSL_EXCLUSIVE_LOCKS_REQUIRED(r->mu_) {
                  return r->stopping_ || r->all_cut_.load() ||
                         r->cut_chunks_.load() <
                             r->consumed_chunks_ + r->max_ahead_;
                },
            this));
        if (stopping_ || all_cut_.load()) return;
      }
      Chunk chunk;
      {
        absl::MutexLock lock(&input_mu_);
        if (all_cut_.load()) return;
        chunk = Cut();
        chunk.index = cut_chunks_.fetch_add(1);
        if (chunk.last) all_cut_.store(true);
      }
      Parsed parsed;
      parsed.batch = pool_.Take();
      parsed.lines = Parse(chunk, *parsed.batch);
      // The records' texts are views into the window (unless unescaped):
      // it goes back once the consumer is done with the batch.
      parsed.window = std::move(chunk.buffer);
      parsed.window_capacity = chunk.capacity;
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      ready_[chunk.index] = std::move(parsed);
    }
  }

  // Takes the next chunk from the input. REQUIRES: input_mu_ held.
  Chunk Cut() ABSL_EXCLUSIVE_LOCKS_REQUIRED(input_mu_) {
    Chunk chunk;
    chunk.first_byte = input_->bytes_consumed();
    auto finish = [&] {
      chunk.byte_after = input_->bytes_consumed();
      chunk.raw_bytes_after = input_->source().raw_bytes_read();
    };
    if (!pending_failure_.ok()) {
      chunk.kind = Chunk::Kind::kFailure;
      chunk.failure = pending_failure_;
      chunk.last = true;
      finish();
      return chunk;
    }
    while (true) {
      const absl::string_view in = input_->available();
      const char* newline =
          static_cast<const char*>(memrchr(in.data(), '\n', in.size()));
      if (newline != nullptr) {
        TakeLines(static_cast<size_t>(newline + 1 - in.data()), chunk);
        finish();
        return chunk;
      }
      if (in.size() > options_.max_record_bytes) {
        // Skipped to its end as the one-thread reader skips it.
        chunk.kind = Chunk::Kind::kTooLong;
        SkipLine();
        finish();
        return chunk;
      }
      absl::StatusOr<size_t> added = input_->Fill();
      if (!added.ok()) {
        // The partial line in the window is dropped, as it is read alone.
        chunk.kind = Chunk::Kind::kFailure;
        chunk.failure = added.status();
        chunk.last = true;
        finish();
        return chunk;
      }
      if (*added == 0) {
        // The end: what is left is the last line, without its newline.
        TakeLines(input_->available().size(), chunk);
        chunk.last = true;
        finish();
        return chunk;
      }
    }
  }

  // The window's first `size` bytes become the chunk's lines: the window
  // itself is handed over, and the input goes on in a spare one.
  void TakeLines(size_t size, Chunk& chunk)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(input_mu_) {
    chunk.kind = Chunk::Kind::kLines;
    chunk.size = size;
    chunk.capacity = input_->capacity();
    chunk.buffer = input_->TakeWindow(size, SpareWindow(chunk.capacity),
                                      &chunk.offset);
  }

  // A window of `capacity` + kPadding bytes: one a parsed chunk gave back
  // (so that its pages are not faulted in again), or a new one.
  std::unique_ptr<char[]> SpareWindow(size_t capacity) {
    {
      absl::MutexLock lock(&windows_mu_);
      if (spare_capacity_ == capacity && !spare_windows_.empty()) {
        std::unique_ptr<char[]> window = std::move(spare_windows_.back());
        spare_windows_.pop_back();
        return window;
      }
    }
    // Zeroed, so that the padding simdjson reads past a chunk's last line
    // is never uninitialised memory.
    return std::unique_ptr<char[]>(new char[capacity + InputBuffer::kPadding]());
  }
  // Takes back a consumed chunk's window (nothing refers to its bytes any
  // more).
  void GiveBackWindow(std::unique_ptr<char[]> window, size_t capacity) {
    if (window == nullptr) return;
    absl::MutexLock lock(&windows_mu_);
    if (capacity != spare_capacity_) {
      // The window grew for a long line: older ones no longer fit.
      spare_windows_.clear();
      spare_capacity_ = capacity;
    }
    spare_windows_.push_back(std::move(window));
  }

  // Discards input up to and including the next newline; a failure on the
  // way is reported by the next chunk.
  void SkipLine() ABSL_EXCLUSIVE_LOCKS_REQUIRED(input_mu_) {
    while (true) {
      const absl::string_view rest = input_->available();
      const void* end = memchr(rest.data(), '\n', rest.size());
      if (end != nullptr) {
        input_->Consume(static_cast<const char*>(end) - rest.data() + 1);
        return;
      }
      input_->Consume(rest.size());
      absl::StatusOr<size_t> added = input_->Fill();
      if (!added.ok()) {
        pending_failure_ = added.status();
        return;
      }
      if (*added == 0) return;
    }
  }

  // The chunk's items, as the one-thread reader would yield them, with
  // lines counted from 1 at the chunk's start; returns the chunk's lines.
  int64_t Parse(Chunk& chunk, RecordBatch& batch) {
    switch (chunk.kind) {
      case Chunk::Kind::kTooLong: {
        SetLineError(source_name(), 1, "", "",
                     absl::StrCat("record longer than ",
                                  options_.max_record_bytes, " bytes"),
                     &batch.next_error());
        batch.Add(Result::kError, ReadPosition{chunk.byte_after, 2},
                  chunk.raw_bytes_after);
        return 1;
      }
      case Chunk::Kind::kFailure: {
        const ReadPosition here{chunk.byte_after, 1};
        RecordError& error = batch.next_error();
        SetFatalInputError(chunk.failure, &error);
        error.source = source_name();
        error.position = 1;
        error.position_is_record = false;
        batch.Add(Result::kError, here, chunk.raw_bytes_after);
        batch.Add(Result::kEnd, here, chunk.raw_bytes_after);
        return 0;
      }
      case Chunk::Kind::kLines:
        break;
    }
    batch.set_backing(absl::string_view(chunk.buffer.get() + chunk.offset,
                                        chunk.size));
    std::unique_ptr<RecordReader> reader = NewJsonLinesReader(
        std::make_unique<InputBuffer>(chunk.buffer.get() + chunk.offset,
                                      chunk.size),
        source_name(), options_);
    while (true) {
      const Result result = reader->Next(&batch.record(), &batch.next_error());
      ReadPosition position = reader->position();
      position.byte_offset += chunk.first_byte;
      batch.Add(result, position, chunk.raw_bytes_after);
      if (result == Result::kEnd) {
        // The input goes on in the next chunk.
        if (!chunk.last) batch.DropLast();
        return reader->position().line_or_record - 1;
      }
    }
  }


  const ReaderOptions options_;
  const int threads_;
  const uint64_t max_ahead_;
  std::vector<std::thread> workers_;

  // The input, cut by one worker at a time.
  absl::Mutex input_mu_;
  std::unique_ptr<InputBuffer> input_ ABSL_GUARDED_BY(input_mu_);
  absl::Status pending_failure_ ABSL_GUARDED_BY(input_mu_);
  std::atomic<uint64_t> cut_chunks_{0};
  std::atomic<bool> all_cut_{false};

  // The consumer's side.
  std::unique_ptr<RecordBatch> current_;
  std::unique_ptr<char[]> current_window_;
  size_t current_window_capacity_ = 0;
  size_t next_item_ = 0;
  bool finished_ = false;
  ReadPosition position_;
  uint64_t raw_bytes_ = 0;
  int64_t next_chunk_line_ = 1;     // Of the chunk after current_.
  int64_t current_first_line_ = 1;  // Of current_.

  absl::Mutex mu_;
  // Parsed chunks with their line counts, by chunk index.
  struct Parsed {
    std::unique_ptr<RecordBatch> batch;
    int64_t lines = 0;
    std::unique_ptr<char[]> window;  // The chunk's: its texts are there.
    size_t window_capacity = 0;
  };
  std::map<uint64_t, Parsed> ready_ ABSL_GUARDED_BY(mu_);
  RecordBatchPool pool_;
  // Input windows consumed chunks gave back, all of spare_capacity_ bytes;
  // no more than the chunks in flight (max_ahead_ + threads_ + 1).
  absl::Mutex windows_mu_;
  std::vector<std::unique_ptr<char[]>> spare_windows_
      ABSL_GUARDED_BY(windows_mu_);
  size_t spare_capacity_ ABSL_GUARDED_BY(windows_mu_) = 0;
  uint64_t consumed_chunks_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

std::unique_ptr<RecordReader> NewParallelJsonLinesReader(
    std::unique_ptr<InputBuffer> input, std::string name,
    const ReaderOptions& options, int threads) {
  return std::make_unique<ParallelJsonLinesReader>(
      std::move(input), std::move(name), options, threads);
}

}  // namespace ingest_internal
}  // namespace vigie
