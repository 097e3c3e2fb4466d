#include "detector/stats/hyperloglog.h"

#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace vigie {

HyperLogLog::HyperLogLog(int precision)
    : precision_(precision), registers_(size_t{1} << precision, 0) {}

double HyperLogLog::EstimateFromRegisters(const uint8_t* registers,
                                          int precision) {
  const size_t m = size_t{1} << precision;
  double sum = 0;
  size_t zeros = 0;
  for (size_t i = 0; i < m; ++i) {
    sum += std::ldexp(1.0, -registers[i]);
    zeros += registers[i] == 0;
  }
  const double md = static_cast<double>(m);
  double alpha;
  switch (m) {
    case 16: alpha = 0.673; break;
    case 32: alpha = 0.697; break;
    case 64: alpha = 0.709; break;
    default: alpha = 0.7213 / (1.0 + 1.079 / md);
  }
  const double raw = alpha * md * md / sum;
  if (raw <= 2.5 * md && zeros > 0) {
    return md * std::log(md / static_cast<double>(zeros));  // Linear counting.
  }
  return raw;
}

double HyperLogLog::Estimate() const {
  return EstimateFromRegisters(registers_.data(), precision_);
}

absl::Status HyperLogLog::Merge(const HyperLogLog& other) {
  if (other.precision_ != precision_) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot merge HyperLogLog sketches of precision ",
                     precision_, " and ", other.precision_));
  }
  for (size_t i = 0; i < registers_.size(); ++i) {
    if (other.registers_[i] > registers_[i]) registers_[i] = other.registers_[i];
  }
  return absl::OkStatus();
}

std::string HyperLogLog::Serialize() const {
  std::string out = "VHLL";
  out.push_back(1);  // Format version.
  out.push_back(static_cast<char>(precision_));
  out.append(reinterpret_cast<const char*>(registers_.data()),
             registers_.size());
  return out;
}

absl::StatusOr<HyperLogLog> HyperLogLog::Deserialize(absl::string_view bytes) {
  if (bytes.size() < 6 || bytes.substr(0, 4) != "VHLL") {
    return absl::DataLossError("HyperLogLog: bad header");
  }
  if (bytes[4] != 1) {
    return absl::DataLossError(
        absl::StrCat("HyperLogLog: unknown version ", int{bytes[4]}));
  }
  const int precision = bytes[5];
  if (precision < kMinPrecision || precision > kMaxPrecision) {
    return absl::DataLossError(
        absl::StrCat("HyperLogLog: precision ", precision, " out of range"));
  }
  const size_t m = size_t{1} << precision;
  if (bytes.size() != 6 + m) {
    return absl::DataLossError(absl::StrCat(
        "HyperLogLog: expected ", 6 + m, " bytes, got ", bytes.size()));
  }
  HyperLogLog sketch(precision);
  const int max_rank = 64 - precision + 1;
  for (size_t i = 0; i < m; ++i) {
    const uint8_t r = static_cast<uint8_t>(bytes[6 + i]);
    if (r > max_rank) {
      return absl::DataLossError("HyperLogLog: register value out of range");
    }
    sketch.registers_[i] = r;
  }
  return sketch;
}

}  // namespace vigie
