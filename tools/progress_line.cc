#include "tools/progress_line.h"

#include <unistd.h>

#include "absl/strings/str_format.h"

namespace vigie {

ProgressLine::ProgressLine(uint64_t total_bytes, bool enabled, FILE* out)
    : total_bytes_(total_bytes),
      enabled_(enabled),
      out_(out),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

bool ProgressLine::StderrIsTerminal() { return isatty(STDERR_FILENO) == 1; }

std::string ProgressLine::Format(uint64_t events, uint64_t bytes,
                                 uint64_t total_bytes, double seconds) {
  const double rate = seconds > 0 ? events / seconds : 0;
  std::string line = absl::StrFormat("replay: %.1f M events, %.2f M events/s",
                                     events / 1e6, rate / 1e6);
  if (total_bytes == 0) {
    absl::StrAppendFormat(&line, ", %.1f MB read", bytes / 1e6);
    return line;
  }
  absl::StrAppendFormat(&line, ", %.1f of %.1f MB", bytes / 1e6,
                        total_bytes / 1e6);
  if (bytes > 0 && bytes < total_bytes && seconds > 0) {
    const int64_t left = static_cast<int64_t>(
        seconds * static_cast<double>(total_bytes - bytes) / bytes + 0.5);
    absl::StrAppendFormat(&line, ", ETA %d:%02d", left / 60, left % 60);
  }
  return line;
}

void ProgressLine::Update(uint64_t events, uint64_t bytes) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_ < std::chrono::milliseconds(500)) return;
  last_ = now;
  const double seconds = std::chrono::duration<double>(now - start_).count();
  // \r and "erase to end of line": the line is redrawn in place.
  std::fprintf(out_, "\r%s\033[K",
               Format(events, bytes, total_bytes_, seconds).c_str());
  std::fflush(out_);
  drawn_ = true;
}

void ProgressLine::Finish() {
  if (!drawn_) return;
  std::fprintf(out_, "\r\033[K");
  std::fflush(out_);
  drawn_ = false;
}

}  // namespace vigie
