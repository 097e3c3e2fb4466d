#include "detector/ingest/byte_source.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "detector/internal/file_errors.h"

namespace vigie {
namespace {

constexpr size_t kGzipChunk = 256 * 1024;
constexpr size_t kSkipChunk = 256 * 1024;

class FdByteSource : public ByteSource {
 public:
  FdByteSource(int fd, bool owned, std::string path)
      : fd_(fd), owned_(owned), path_(std::move(path)) {}
  ~FdByteSource() override {
    if (owned_) close(fd_);
  }
  absl::StatusOr<size_t> Read(char* buffer, size_t size) override {
    while (true) {
      ssize_t n = read(fd_, buffer, size);
      if (n >= 0) {
        raw_bytes_ += n;
        return static_cast<size_t>(n);
      }
      if (errno == EINTR) continue;
      return internal::FileError(path_, errno, "read failed");
    }
  }
  uint64_t raw_bytes_read() const override { return raw_bytes_; }

  // Seeks in a regular file (never past its end); reads otherwise.
  absl::StatusOr<uint64_t> Skip(uint64_t n) override {
    struct stat st;
    const off_t here = lseek(fd_, 0, SEEK_CUR);
    if (here < 0 || fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
      return ByteSource::Skip(n);
    }
    const uint64_t left =
        st.st_size > here ? static_cast<uint64_t>(st.st_size - here) : 0;
    const uint64_t step = std::min(n, left);
    if (lseek(fd_, here + static_cast<off_t>(step), SEEK_SET) < 0) {
      return internal::FileError(path_, errno, "seek failed");
    }
    raw_bytes_ += step;
    return step;
  }

 private:
  int fd_;
  bool owned_;
  std::string path_;
  uint64_t raw_bytes_ = 0;
};

class MemorySource : public ByteSource {
 public:
  explicit MemorySource(std::string bytes) : bytes_(std::move(bytes)) {}
  absl::StatusOr<size_t> Read(char* buffer, size_t size) override {
    size_t n = std::min(size, bytes_.size() - pos_);
    memcpy(buffer, bytes_.data() + pos_, n);
    pos_ += n;
    return n;
  }
  uint64_t raw_bytes_read() const override { return pos_; }

 private:
  std::string bytes_;
  size_t pos_ = 0;
};

// Replays bytes already read (to sniff the format) before the rest.
class PrefixedSource : public ByteSource {
 public:
  PrefixedSource(std::string prefix, std::unique_ptr<ByteSource> rest)
      : prefix_(std::move(prefix)), rest_(std::move(rest)) {}
  absl::StatusOr<size_t> Read(char* buffer, size_t size) override {
    if (pos_ < prefix_.size()) {
      size_t n = std::min(size, prefix_.size() - pos_);
      memcpy(buffer, prefix_.data() + pos_, n);
      pos_ += n;
      return n;
    }
    return rest_->Read(buffer, size);
  }
  uint64_t raw_bytes_read() const override { return rest_->raw_bytes_read(); }
  absl::StatusOr<uint64_t> Skip(uint64_t n) override {
    const uint64_t from_prefix = std::min<uint64_t>(n, prefix_.size() - pos_);
    pos_ += from_prefix;
    if (from_prefix == n) return n;
    absl::StatusOr<uint64_t> rest = rest_->Skip(n - from_prefix);
    if (!rest.ok()) return rest.status();
    return from_prefix + *rest;
  }

 private:
  std::string prefix_;
  size_t pos_ = 0;
  std::unique_ptr<ByteSource> rest_;
};

// Streaming gzip decompression (RFC 1952), multi-member aware.
class GzipSource : public ByteSource {
 public:
  GzipSource(std::unique_ptr<ByteSource> compressed, std::string name)
      : compressed_(std::move(compressed)),
        name_(std::move(name)),
        in_(new char[kGzipChunk]) {
    memset(&stream_, 0, sizeof(stream_));
    // 15 + 16: gzip only (the caller checked the magic bytes).
    init_ok_ = inflateInit2(&stream_, 15 + 16) == Z_OK;
  }
  ~GzipSource() override { inflateEnd(&stream_); }

  absl::StatusOr<size_t> Read(char* buffer, size_t size) override {
    if (!init_ok_) return absl::InternalError("zlib initialisation failed");
    if (!pending_error_.ok()) return pending_error_;
    if (finished_ || size == 0) return 0;
    absl::StatusOr<size_t> produced = Inflate(buffer, size);
    if (!produced.ok()) {
      // Hand out what was decompressed before the damage; report the error
      // on the next call, so no good record is lost.
      pending_error_ = produced.status();
      size_t partial = size - stream_.avail_out;
      if (partial > 0) return partial;
      return pending_error_;
    }
    return produced;
  }

 private:
  absl::Status CorruptError() const {
    return absl::DataLossError(absl::StrCat(
        name_, ": corrupt gzip data: ",
        stream_.msg != nullptr ? stream_.msg : "inflate failed"));
  }

  absl::StatusOr<size_t> Inflate(char* buffer, size_t size) {
    stream_.next_out = reinterpret_cast<Bytef*>(buffer);
    stream_.avail_out = static_cast<uInt>(std::min<size_t>(size, 1u << 30));
    while (stream_.avail_out > 0) {
      if (stream_.avail_in == 0 && !input_eof_) {
        absl::StatusOr<size_t> n = compressed_->Read(in_.get(), kGzipChunk);
        if (!n.ok()) return n.status();
        if (*n == 0) {
          input_eof_ = true;
        } else {
          stream_.next_in = reinterpret_cast<Bytef*>(in_.get());
          stream_.avail_in = static_cast<uInt>(*n);
        }
      }
      if (stream_.avail_in == 0 && input_eof_) {
        if (!in_member_) {
          finished_ = true;
          break;
        }
        // The compressed input has run out inside a member, but zlib may
        // still hold output it had no room for: drain it first, and call
        // the stream truncated only once it gives nothing more (else what
        // comes out before the error would depend on the read sizes).
        const uInt room = stream_.avail_out;
        const int rc = inflate(&stream_, Z_NO_FLUSH);
        if (rc == Z_STREAM_END) {
          in_member_ = false;
          inflateReset(&stream_);
          continue;
        }
        if ((rc == Z_OK || rc == Z_BUF_ERROR) && stream_.avail_out < room) {
          continue;
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
          return CorruptError();
        }
        return absl::DataLossError(absl::StrCat(
            name_, ": truncated gzip stream (the file ends inside "
                   "compressed data)"));
      }
      if (!in_member_) {
        // Between members: only another gzip header may follow.
        if (stream_.avail_in >= 1 && stream_.next_in[0] != 0x1f) {
          return absl::DataLossError(
              absl::StrCat(name_, ": trailing garbage after gzip data"));
        }
        in_member_ = true;
      }
      int rc = inflate(&stream_, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) {
        in_member_ = false;
        inflateReset(&stream_);
        continue;
      }
      if (rc == Z_BUF_ERROR) continue;  // Needs more input.
      if (rc != Z_OK) {
        return CorruptError();
      }
    }
    return size - stream_.avail_out;
  }

 public:
  uint64_t raw_bytes_read() const override {
    return compressed_->raw_bytes_read();
  }

 private:
  std::unique_ptr<ByteSource> compressed_;
  absl::Status pending_error_;
  std::string name_;
  std::unique_ptr<char[]> in_;
  z_stream stream_;
  bool init_ok_ = false;
  bool input_eof_ = false;
  bool in_member_ = false;
  bool finished_ = false;
};

}  // namespace

absl::StatusOr<uint64_t> ByteSource::Skip(uint64_t n) {
  std::unique_ptr<char[]> scratch(new char[kSkipChunk]);
  uint64_t done = 0;
  while (done < n) {
    absl::StatusOr<size_t> got =
        Read(scratch.get(), static_cast<size_t>(std::min<uint64_t>(
                                kSkipChunk, n - done)));
    if (!got.ok()) return got.status();
    if (*got == 0) break;
    done += *got;
  }
  return done;
}

// Reads up to 2 bytes to check for the gzip magic, then re-chains them.
absl::StatusOr<std::unique_ptr<ByteSource>> DecompressIfGzip(
    std::unique_ptr<ByteSource> source, const std::string& name) {
  std::string head;
  char buf[2];
  while (head.size() < 2) {
    absl::StatusOr<size_t> n = source->Read(buf, 2 - head.size());
    if (!n.ok()) return n.status();
    if (*n == 0) break;
    head.append(buf, *n);
  }
  bool gzip = head.size() == 2 && static_cast<unsigned char>(head[0]) == 0x1f &&
              static_cast<unsigned char>(head[1]) == 0x8b;
  std::unique_ptr<ByteSource> chained =
      std::make_unique<PrefixedSource>(std::move(head), std::move(source));
  if (!gzip) return chained;
  return std::unique_ptr<ByteSource>(
      std::make_unique<GzipSource>(std::move(chained), name));
}

absl::StatusOr<std::unique_ptr<ByteSource>> OpenByteSource(
    const std::string& path) {
  if (path == "-") {
    return DecompressIfGzip(std::make_unique<FdByteSource>(0, false, "<stdin>"),
                       "<stdin>");
  }
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return internal::FileError(path, errno);
  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    close(fd);
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": is a directory"));
  }
#ifdef POSIX_FADV_SEQUENTIAL
  posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
  return DecompressIfGzip(std::make_unique<FdByteSource>(fd, true, path), path);
}

std::unique_ptr<ByteSource> MemoryByteSource(std::string bytes) {
  absl::StatusOr<std::unique_ptr<ByteSource>> source = DecompressIfGzip(
      std::make_unique<MemorySource>(std::move(bytes)), "<memory>");
  // Reading memory cannot fail.
  return std::move(source).value();
}

InputBuffer::InputBuffer(std::unique_ptr<ByteSource> source,
                         size_t min_capacity, size_t max_capacity)
    : source_(std::move(source)),
      capacity_(std::max<size_t>(min_capacity, 4096)),
      max_capacity_(std::max(max_capacity, capacity_)) {
  owned_.reset(new char[capacity_ + kPadding]);
  memset(owned_.get(), 0, capacity_ + kPadding);
  data_ = owned_.get();
}

InputBuffer::InputBuffer(const char* data, size_t size)
    : source_(MemoryByteSource("")),
      // Never written through: the window is at its end (eof_), so Fill
      // returns before touching it.
      data_(const_cast<char*>(data)),
      capacity_(size),
      max_capacity_(size),
      end_(size),
      eof_(true) {}

std::unique_ptr<char[]> InputBuffer::TakeWindow(size_t n,
                                                std::unique_ptr<char[]> fresh,
                                                size_t* offset) {
  *offset = begin_;
  const size_t rest = end_ - begin_ - n;
  memcpy(fresh.get(), data_ + begin_ + n, rest);
  std::unique_ptr<char[]> taken = std::move(owned_);
  owned_ = std::move(fresh);
  data_ = owned_.get();
  consumed_ += n;
  begin_ = 0;
  end_ = rest;
  return taken;
}

absl::Status InputBuffer::SkipTo(uint64_t offset) {
  const uint64_t from_window =
      std::min<uint64_t>(offset - consumed_, end_ - begin_);
  Consume(static_cast<size_t>(from_window));
  if (consumed_ == offset) return absl::OkStatus();
  begin_ = end_ = 0;  // The window is empty; the source continues.
  absl::StatusOr<uint64_t> skipped = source_->Skip(offset - consumed_);
  if (!skipped.ok()) return skipped.status();
  consumed_ += *skipped;
  if (consumed_ < offset) {
    eof_ = true;
    return absl::DataLossError(absl::StrCat(
        "the input ends after ", consumed_, " bytes, before byte ", offset));
  }
  return absl::OkStatus();
}

absl::StatusOr<size_t> InputBuffer::Fill() {
  if (eof_) return 0;
  size_t live = end_ - begin_;
  if (begin_ > 0) {
    memmove(data_, data_ + begin_, live);
    begin_ = 0;
    end_ = live;
  }
  if (end_ == capacity_) {
    if (capacity_ >= max_capacity_) return 0;  // full(): caller rejects.
    size_t grown = std::min(max_capacity_, capacity_ * 2);
    std::unique_ptr<char[]> bigger(new char[grown + kPadding]);
    memcpy(bigger.get(), data_, end_);
    memset(bigger.get() + end_, 0, grown + kPadding - end_);
    owned_ = std::move(bigger);
    data_ = owned_.get();
    capacity_ = grown;
  }
  absl::StatusOr<size_t> n = source_->Read(data_ + end_, capacity_ - end_);
  if (!n.ok()) return n.status();
  if (*n == 0) {
    eof_ = true;
    return 0;
  }
  end_ += *n;
  return *n;
}

}  // namespace vigie
