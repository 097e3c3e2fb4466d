// RunSimulateCommand: the library behind `vigie simulate`: runs the
// portal-traffic simulator (tools/simulate) and writes DIR/events.<ext>
// and DIR/labels.json.
//
// Example:
//   SimulateCommandOptions options;
//   options.out_dir = "/tmp/demo";
//   SimulateCommandSummary summary;
//   absl::Status status = RunSimulateCommand(options, &summary);
#ifndef VIGIE_TOOLS_SIMULATE_COMMAND_H_
#define VIGIE_TOOLS_SIMULATE_COMMAND_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "detector/record_reader.h"
#include "tools/simulate/world.h"

namespace vigie {

struct SimulateCommandOptions {
  int64_t accounts = 2000;
  int64_t days = 2;
  uint64_t seed = 1;
  InputFormat format = InputFormat::kCsv;
  bool gzip = false;
  bool campaigns = true;
  simulate::World world;
  std::string out_dir;
};

struct SimulateCommandSummary {
  std::string events_path;
  std::string labels_path;
  int64_t events = 0;
  int64_t campaigns = 0;
  double seconds = 0;
};

// InvalidArgument for out-of-range sizes (accounts 1..10,000,000, days
// 1..366); file errors with the path.
absl::Status RunSimulateCommand(const SimulateCommandOptions& options,
                                SimulateCommandSummary* summary);

std::string FormatSimulateSummary(const SimulateCommandSummary& summary);

}  // namespace vigie

#endif  // VIGIE_TOOLS_SIMULATE_COMMAND_H_
