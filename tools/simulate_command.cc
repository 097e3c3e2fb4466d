#include "tools/simulate_command.h"

#include <errno.h>
#include <sys/stat.h>

#include <chrono>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "detector/internal/status_macros.h"
#include "detector/record_writer.h"
#include "tools/output_file.h"
#include "tools/simulate/simulator.h"

namespace vigie {

absl::Status RunSimulateCommand(const SimulateCommandOptions& options,
                                SimulateCommandSummary* summary) {
  const auto started = std::chrono::steady_clock::now();
  if (options.accounts < 1 || options.accounts > 10000000) {
    return absl::InvalidArgumentError("--accounts must be in 1..10000000");
  }
  if (options.days < 1 || options.days > 366) {
    return absl::InvalidArgumentError("--days must be in 1..366");
  }
  if (options.out_dir.empty()) {
    return absl::InvalidArgumentError("--out DIR is required");
  }
  if (mkdir(options.out_dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return absl::UnavailableError(
        absl::StrCat(options.out_dir, ": ", strerror(errno)));
  }
  const char* extension = options.format == InputFormat::kJsonLines ? "jsonl"
                          : options.format == InputFormat::kBinary  ? "pb"
                                                                    : "csv";
  summary->events_path = absl::StrCat(options.out_dir, "/events.", extension,
                                      options.gzip ? ".gz" : "");
  summary->labels_path = absl::StrCat(options.out_dir, "/labels.json");
  VIGIE_ASSIGN_OR_RETURN(
      std::unique_ptr<RecordWriter> writer,
      OpenRecordWriter(summary->events_path, options.format));
  simulate::SimulationOptions sim;
  sim.accounts = options.accounts;
  sim.days = options.days;
  sim.seed = options.seed;
  sim.campaigns = options.campaigns;
  sim.world = options.world;
  VIGIE_ASSIGN_OR_RETURN(
      simulate::SimulationResult result,
      simulate::Simulate(sim, [&writer](const AccessRecord& record) {
        return writer->Write(record);
      }));
  VIGIE_RETURN_IF_ERROR(writer->Close());
  VIGIE_ASSIGN_OR_RETURN(std::unique_ptr<OutputFile> labels,
                         OutputFile::Open(summary->labels_path));
  VIGIE_RETURN_IF_ERROR(labels->Write(simulate::LabelsToJson(result)));
  VIGIE_RETURN_IF_ERROR(labels->Close());
  summary->events = result.events;
  summary->campaigns = static_cast<int64_t>(result.campaigns.size());
  summary->seconds = std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - started)
                         .count();
  return absl::OkStatus();
}

std::string FormatSimulateSummary(const SimulateCommandSummary& s) {
  return absl::StrFormat(
      "vigie simulate: %d events, %d planted campaigns in %.2f s "
      "(%.2f M events/s)\n  events: %s\n  labels: %s\n",
      s.events, s.campaigns, s.seconds,
      s.seconds > 0 ? s.events / s.seconds / 1e6 : 0.0, s.events_path,
      s.labels_path);
}

}  // namespace vigie
