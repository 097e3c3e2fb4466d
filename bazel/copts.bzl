"""Compiler flags shared by every Vigie target."""

VIGIE_COPTS = [
    "-Wall",
    "-Wextra",
    "-Wno-sign-compare",
    "-Wno-unused-parameter",
    "-Werror=return-type",
    "-fno-exceptions",
]

# Test and benchmark code uses GoogleTest, which is fine without exceptions
# too, but protobuf-generated code and simdjson headers need them off only in
# our own translation units; keep the same flags everywhere for simplicity.
VIGIE_TEST_COPTS = [
    "-Wall",
    "-Wno-sign-compare",
    "-Wno-unused-parameter",
]
