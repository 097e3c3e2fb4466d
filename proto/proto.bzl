"""Compiles a .proto file with the system protoc (Bazel 4 has no offline
proto toolchain; Debian's protobuf-compiler is used instead)."""

def vigie_cc_proto(name, deps = []):
    """Defines `name` as a cc_library for proto/<name>.proto.

    Generated headers are included as "proto/<name>.pb.h".
    """
    native.genrule(
        name = name + "_genproto",
        srcs = [name + ".proto"] + [d.lstrip(":") + ".proto" for d in deps],
        outs = [name + ".pb.h", name + ".pb.cc"],
        cmd = "protoc --cpp_out=$(GENDIR) -I. $(location " + name + ".proto)",
    )
    native.cc_library(
        name = name,
        srcs = [name + ".pb.cc"],
        hdrs = [name + ".pb.h"],
        deps = deps + ["//third_party:protobuf"],
        copts = ["-Wno-unused-parameter"],
    )
