#!/usr/bin/env bash
# Installs the Debian 12 packages the build, the services and the tests need.
# Run as root. Does nothing (and needs no network) when they are installed.
set -euo pipefail
packages=(
  build-essential cmake pkg-config libxlsxwriter-dev python3-openpyxl
  libzmq3-dev libsodium-dev libprotobuf-c-dev protobuf-c-compiler
  liblmdb-dev lmdb-utils libjansson-dev libcsv-dev uuid-dev libcmocka-dev
  libinih-dev docker-compose
  protobuf-compiler python3 python3-zmq python3-protobuf
  chromium fonts-ipafont
  libsqlite3-dev libzstd-dev liblz4-dev
  clang libclang-rt-14-dev valgrind
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
    missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
