// Constructors of the three format readers behind OpenRecordReader (see
// detector/record_reader.h for the contract they all follow). Internal to the
// ingestion layer; tests reach them through OpenRecordReader /
// NewRecordReaderFromString with an explicit format.
#ifndef VIGIE_DETECTOR_INGEST_READERS_H_
#define VIGIE_DETECTOR_INGEST_READERS_H_

#include <memory>
#include <string>

#include "detector/ingest/byte_source.h"
#include "detector/record_reader.h"

namespace vigie {
namespace ingest_internal {

std::unique_ptr<RecordReader> NewCsvReader(std::unique_ptr<InputBuffer> input,
                                           std::string name,
                                           const ReaderOptions& options);
std::unique_ptr<RecordReader> NewJsonLinesReader(
    std::unique_ptr<InputBuffer> input, std::string name,
    const ReaderOptions& options);
std::unique_ptr<RecordReader> NewBinaryReader(
    std::unique_ptr<InputBuffer> input, std::string name,
    const ReaderOptions& options);

// Shared by all three: turns a failed Fill() into a fatal error.
void SetFatalInputError(const absl::Status& status, RecordError* error);

}  // namespace ingest_internal
}  // namespace vigie

#endif  // VIGIE_DETECTOR_INGEST_READERS_H_
