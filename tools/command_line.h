// CommandLine: a small, strict flag parser for the `vigie` subcommands.
// Each subcommand declares its flags; anything else is an error that names
// the flag. Accepts "--name=value", "--name value" and boolean "--name";
// "--" ends the flags; other arguments are positional.
//
// Example:
//   CommandLine cl("replay", {{"format", true}, {"strict", false}});
//   absl::Status s = cl.Parse(argc, argv, /*first=*/2);
//   std::string format = cl.Get("format", "auto");
#ifndef VIGIE_TOOLS_COMMAND_LINE_H_
#define VIGIE_TOOLS_COMMAND_LINE_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace vigie {

struct FlagSpec {
  std::string name;
  bool takes_value;
};

class CommandLine {
 public:
  CommandLine(std::string command, std::vector<FlagSpec> flags)
      : command_(std::move(command)), specs_(std::move(flags)) {}

  // InvalidArgument for an unknown flag or a missing value.
  absl::Status Parse(int argc, char** argv, int first);

  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  std::string Get(const std::string& name, const std::string& fallback) const;
  // InvalidArgument naming the flag when the value is not an integer.
  absl::StatusOr<int64_t> GetInt(const std::string& name,
                                 int64_t fallback) const;
  // GetInt, and InvalidArgument "--NAME must be between LOW and HIGH"
  // for a value outside [low, high].
  absl::StatusOr<int64_t> GetIntInRange(const std::string& name,
                                        int64_t fallback, int64_t low,
                                        int64_t high) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::string command_;
  std::vector<FlagSpec> specs_;
  std::map<std::string, std::string> values_;
  std::vector<std::string> positional_;
};

}  // namespace vigie

#endif  // VIGIE_TOOLS_COMMAND_LINE_H_
