// Writers for the three formats behind OpenRecordWriter, over a buffered
// sink that writes to a file descriptor, optionally through gzip.
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cstring>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "detector/ingest/time_format.h"
#include "detector/internal/file_errors.h"
#include "detector/internal/json_writer.h"
#include "detector/record_writer.h"
#include "proto/access_event.pb.h"

namespace vigie {
namespace {

constexpr size_t kBufferBytes = 1 << 20;

// Where encoded bytes go: a string, or a file (plain or gzip).
class Sink {
 public:
  virtual ~Sink() = default;
  virtual absl::Status Append(absl::string_view bytes) = 0;
  virtual absl::Status Close() = 0;
};

class StringSink : public Sink {
 public:
  explicit StringSink(std::string* out) : out_(out) {}
  absl::Status Append(absl::string_view bytes) override {
    out_->append(bytes.data(), bytes.size());
    return absl::OkStatus();
  }
  absl::Status Close() override { return absl::OkStatus(); }

 private:
  std::string* out_;
};

class FileSink : public Sink {
 public:
  FileSink(int fd, bool owned, std::string path, bool gzip)
      : fd_(fd), owned_(owned), path_(std::move(path)), gzip_(gzip) {
    buffer_.reserve(kBufferBytes);
    if (gzip_) {
      memset(&stream_, 0, sizeof(stream_));
      if (deflateInit2(&stream_, 6, Z_DEFLATED, 15 + 16, 8,
                       Z_DEFAULT_STRATEGY) != Z_OK) {
        status_ = absl::InternalError("zlib initialisation failed");
      }
      compressed_.resize(kBufferBytes);
    }
  }
  ~FileSink() override { Close().IgnoreError(); }

  absl::Status Append(absl::string_view bytes) override {
    if (!status_.ok()) return status_;
    buffer_.append(bytes.data(), bytes.size());
    if (buffer_.size() >= kBufferBytes) return Flush(false);
    return absl::OkStatus();
  }

  absl::Status Close() override {
    if (closed_) return status_;
    closed_ = true;
    absl::Status flushed = Flush(true);
    if (gzip_) deflateEnd(&stream_);
    if (owned_ && close(fd_) != 0 && status_.ok()) {
      status_ = Error("close failed");
    }
    return status_;
  }

 private:
  absl::Status Error(absl::string_view what) {
    return internal::FileError(path_, errno, what);
  }

  absl::Status WriteAll(const char* data, size_t size) {
    while (size > 0) {
      ssize_t n = write(fd_, data, size);
      if (n < 0) {
        if (errno == EINTR) continue;
        return Error("write failed");
      }
      data += n;
      size -= n;
    }
    return absl::OkStatus();
  }

  absl::Status Flush(bool finish) {
    if (!status_.ok()) return status_;
    if (!gzip_) {
      status_ = WriteAll(buffer_.data(), buffer_.size());
      buffer_.clear();
      return status_;
    }
    stream_.next_in = reinterpret_cast<Bytef*>(&buffer_[0]);
    stream_.avail_in = static_cast<uInt>(buffer_.size());
    int rc;
    do {
      stream_.next_out = reinterpret_cast<Bytef*>(&compressed_[0]);
      stream_.avail_out = static_cast<uInt>(compressed_.size());
      rc = deflate(&stream_, finish ? Z_FINISH : Z_NO_FLUSH);
      if (rc == Z_STREAM_ERROR) {
        status_ = absl::InternalError("gzip compression failed");
        return status_;
      }
      size_t produced = compressed_.size() - stream_.avail_out;
      status_ = WriteAll(compressed_.data(), produced);
      if (!status_.ok()) return status_;
    } while (stream_.avail_out == 0 || (finish && rc != Z_STREAM_END));
    buffer_.clear();
    return status_;
  }

  int fd_;
  bool owned_;
  std::string path_;
  bool gzip_;
  bool closed_ = false;
  std::string buffer_;
  std::string compressed_;
  z_stream stream_;
  absl::Status status_;
};

// RFC 4180: quote when the field holds a comma, quote, CR or LF.
void AppendCsvField(absl::string_view text, std::string* out) {
  if (text.find_first_of(",\"\r\n") == absl::string_view::npos) {
    out->append(text.data(), text.size());
    return;
  }
  out->push_back('"');
  for (char c : text) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

class CsvWriter : public RecordWriter {
 public:
  explicit CsvWriter(std::unique_ptr<Sink> sink) : sink_(std::move(sink)) {
    line_.reserve(512);
  }
  absl::Status Write(const AccessRecord& r) override {
    line_.clear();
    if (!header_written_) {
      header_written_ = true;
      line_.append(
          "time,account,ip,action,outcome,subject,records,user_agent,service,"
          "profession\n");
    }
    AppendEventTime(r.time_ms, &line_);
    line_.push_back(',');
    AppendCsvField(r.account, &line_);
    line_.push_back(',');
    line_.append(r.ip.ToString());
    line_.push_back(',');
    line_.append(ActionName(r.action).data(), ActionName(r.action).size());
    line_.push_back(',');
    line_.append(OutcomeName(r.outcome).data(), OutcomeName(r.outcome).size());
    line_.push_back(',');
    AppendCsvField(r.subject, &line_);
    line_.push_back(',');
    if (r.has_records) absl::StrAppend(&line_, r.records);
    line_.push_back(',');
    AppendCsvField(r.user_agent, &line_);
    line_.push_back(',');
    AppendCsvField(r.service, &line_);
    line_.push_back(',');
    AppendCsvField(r.profession, &line_);
    line_.push_back('\n');
    return sink_->Append(line_);
  }
  absl::Status Close() override {
    if (!header_written_) {
      header_written_ = true;
      absl::Status s = sink_->Append(
          "time,account,ip,action,outcome,subject,records,user_agent,service,"
          "profession\n");
      if (!s.ok()) return s;
    }
    return sink_->Close();
  }

 private:
  std::unique_ptr<Sink> sink_;
  std::string line_;
  bool header_written_ = false;
};

class JsonLinesWriter : public RecordWriter {
 public:
  explicit JsonLinesWriter(std::unique_ptr<Sink> sink)
      : sink_(std::move(sink)) {
    line_.reserve(512);
  }
  absl::Status Write(const AccessRecord& r) override {
    using internal::AppendJsonString;
    line_.assign("{\"@timestamp\":\"");
    AppendEventTime(r.time_ms, &line_);
    line_.append("\",\"user\":{\"name\":");
    AppendJsonString(r.account, &line_);
    line_.append("},\"source\":{\"ip\":\"");
    line_.append(r.ip.ToString());
    line_.append("\"},\"event\":{\"action\":\"");
    line_.append(ActionName(r.action).data(), ActionName(r.action).size());
    line_.append("\",\"outcome\":\"");
    line_.append(OutcomeName(r.outcome).data(), OutcomeName(r.outcome).size());
    line_.append("\"}");
    if (!r.user_agent.empty()) {
      line_.append(",\"user_agent\":{\"original\":");
      AppendJsonString(r.user_agent, &line_);
      line_.push_back('}');
    }
    if (!r.service.empty()) {
      line_.append(",\"service\":{\"name\":");
      AppendJsonString(r.service, &line_);
      line_.push_back('}');
    }
    if (!r.subject.empty() || r.has_records || !r.profession.empty()) {
      line_.append(",\"vigie\":{");
      bool first = true;
      if (!r.subject.empty()) {
        line_.append("\"subject\":");
        AppendJsonString(r.subject, &line_);
        first = false;
      }
      if (r.has_records) {
        absl::StrAppend(&line_, first ? "" : ",", "\"records\":", r.records);
        first = false;
      }
      if (!r.profession.empty()) {
        line_.append(first ? "\"profession\":" : ",\"profession\":");
        AppendJsonString(r.profession, &line_);
      }
      line_.push_back('}');
    }
    line_.append("}\n");
    return sink_->Append(line_);
  }
  absl::Status Close() override { return sink_->Close(); }

 private:
  std::unique_ptr<Sink> sink_;
  std::string line_;
};

class BinaryWriter : public RecordWriter {
 public:
  explicit BinaryWriter(std::unique_ptr<Sink> sink) : sink_(std::move(sink)) {}
  absl::Status Write(const AccessRecord& r) override {
    message_.Clear();
    message_.set_time_ms(r.time_ms);
    message_.set_account(r.account.data(), r.account.size());
    message_.set_ip(r.ip.ToBytes());
    message_.set_action(static_cast<v1::Action>(r.action));
    message_.set_outcome(static_cast<v1::Outcome>(r.outcome));
    if (!r.subject.empty()) {
      message_.set_subject(r.subject.data(), r.subject.size());
    }
    if (r.has_records) message_.set_records(r.records);
    if (!r.user_agent.empty()) {
      message_.set_user_agent(r.user_agent.data(), r.user_agent.size());
    }
    if (!r.service.empty()) {
      message_.set_service(r.service.data(), r.service.size());
    }
    if (!r.profession.empty()) {
      message_.set_profession(r.profession.data(), r.profession.size());
    }
    bytes_.clear();
    message_.AppendToString(&bytes_);
    char prefix[10];
    size_t n = 0;
    uint64_t length = bytes_.size();
    do {
      uint8_t byte = length & 0x7f;
      length >>= 7;
      prefix[n++] = static_cast<char>(byte | (length ? 0x80 : 0));
    } while (length != 0);
    absl::Status s = sink_->Append(absl::string_view(prefix, n));
    if (!s.ok()) return s;
    return sink_->Append(bytes_);
  }
  absl::Status Close() override { return sink_->Close(); }

 private:
  std::unique_ptr<Sink> sink_;
  v1::AccessEvent message_;
  std::string bytes_;
};

std::unique_ptr<RecordWriter> MakeWriter(std::unique_ptr<Sink> sink,
                                         InputFormat format) {
  switch (format) {
    case InputFormat::kJsonLines:
      return std::make_unique<JsonLinesWriter>(std::move(sink));
    case InputFormat::kBinary:
      return std::make_unique<BinaryWriter>(std::move(sink));
    default:
      return std::make_unique<CsvWriter>(std::move(sink));
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<RecordWriter>> OpenRecordWriter(
    const std::string& path, InputFormat format) {
  if (format == InputFormat::kAuto) format = InputFormatFromPath(path);
  if (format == InputFormat::kAuto) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot tell the output format from \"", path,
        "\" (use a .csv, .jsonl or .pb name, or name the format)"));
  }
  const bool gzip = path.size() > 3 && path.compare(path.size() - 3, 3, ".gz") == 0;
  std::unique_ptr<Sink> sink;
  if (path == "-") {
    sink = std::make_unique<FileSink>(1, false, "<stdout>", false);
  } else {
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return internal::FileError(path, errno);
    sink = std::make_unique<FileSink>(fd, true, path, gzip);
  }
  return MakeWriter(std::move(sink), format);
}

std::unique_ptr<RecordWriter> NewStringRecordWriter(std::string* out,
                                                    InputFormat format) {
  return MakeWriter(std::make_unique<StringSink>(out), format);
}

}  // namespace vigie
