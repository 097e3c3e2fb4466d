#include "tools/command_line.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace vigie {

absl::Status CommandLine::Parse(int argc, char** argv, int first) {
  bool flags_done = false;
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (flags_done || arg.size() < 2 || arg.compare(0, 2, "--") != 0) {
      positional_.push_back(arg);
      continue;
    }
    if (arg == "--") {
      flags_done = true;
      continue;
    }
    std::string name = arg.substr(2);
    std::string value;
    bool has_value = false;
    size_t eq = name.find('=');
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    const FlagSpec* spec = nullptr;
    for (const FlagSpec& s : specs_) {
      if (s.name == name) spec = &s;
    }
    if (spec == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown flag --", name, " (see: vigie ", command_, " --help)"));
    }
    if (spec->takes_value && !has_value) {
      if (i + 1 >= argc) {
        return absl::InvalidArgumentError(
            absl::StrCat("flag --", name, " needs a value"));
      }
      value = argv[++i];
    } else if (!spec->takes_value && has_value) {
      return absl::InvalidArgumentError(
          absl::StrCat("flag --", name, " takes no value"));
    }
    values_[name] = value;
  }
  return absl::OkStatus();
}

std::string CommandLine::Get(const std::string& name,
                             const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

absl::StatusOr<int64_t> CommandLine::GetInt(const std::string& name,
                                            int64_t fallback) const {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  int64_t value;
  if (!absl::SimpleAtoi(it->second, &value)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "flag --", name, ": \"", it->second, "\" is not an integer"));
  }
  return value;
}

absl::StatusOr<int64_t> CommandLine::GetIntInRange(const std::string& name,
                                                   int64_t fallback,
                                                   int64_t low,
                                                   int64_t high) const {
  absl::StatusOr<int64_t> value = GetInt(name, fallback);
  if (value.ok() && (*value < low || *value > high)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, " must be between ", low, " and ", high));
  }
  return value;
}

}  // namespace vigie
