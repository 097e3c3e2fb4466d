// ProgressLine: the one-line "how far along is this replay" display on a
// terminal: events done, events per second, bytes read of the total and
// the estimated time left, redrawn in place at most twice a second and
// erased at the end. Silent when standard error is not a terminal (logs
// and pipes stay clean).
//
// Example:
//   ProgressLine progress(total_input_bytes, ProgressLine::StderrIsTerminal());
//   progress.Update(events, bytes_read);   // as often as convenient
//   progress.Finish();
#ifndef VIGIE_TOOLS_PROGRESS_LINE_H_
#define VIGIE_TOOLS_PROGRESS_LINE_H_

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace vigie {

class ProgressLine {
 public:
  // `total_bytes` 0: unknown (standard input), no ETA. `out` defaults to
  // stderr; nothing is written unless `enabled`.
  ProgressLine(uint64_t total_bytes, bool enabled, FILE* out = stderr);
  ~ProgressLine() { Finish(); }

  static bool StderrIsTerminal();

  void Update(uint64_t events, uint64_t bytes);
  // Erases the line (once).
  void Finish();

  // The line's text, e.g. "replay: 3.2 M events, 1.41 M events/s,
  // 612.0 of 1890.3 MB, ETA 0:15".
  static std::string Format(uint64_t events, uint64_t bytes,
                            uint64_t total_bytes, double seconds);

 private:
  uint64_t total_bytes_;
  bool enabled_;
  FILE* out_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace vigie

#endif  // VIGIE_TOOLS_PROGRESS_LINE_H_
