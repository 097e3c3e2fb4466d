// The entry point every fuzz target defines (libFuzzer's), and that
// replay_main.cc calls for each file of a corpus.
#ifndef VIGIE_FUZZ_FUZZ_TARGET_H_
#define VIGIE_FUZZ_FUZZ_TARGET_H_

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

#endif  // VIGIE_FUZZ_FUZZ_TARGET_H_
