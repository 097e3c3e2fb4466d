#!/usr/bin/env bash
# Installs the Debian 12 packages Vigie builds with, if any are missing.
# Uses sudo when not root. Nothing else is downloaded: Bazel builds offline
# against these system packages (see WORKSPACE and third_party/).
set -euo pipefail

packages=(
  bazel-bootstrap       # Bazel 4.2 (brings its JDK)
  g++
  libabsl-dev           # Abseil LTS 20220623
  libeigen3-dev
  libprotobuf-dev
  protobuf-compiler
  libgtest-dev
  libgmock-dev
  libbenchmark-dev
  libsimdjson-dev       # JSON Lines parsing
  libsodium-dev         # keyed hashing (SipHash) for pseudonyms
  zlib1g-dev            # .gz input and output
  libloc-dev            # country / autonomous system of login addresses
  libloc-database       # the offline location database libloc reads
  tzdata                # time zones of a mapping's local times
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
