#!/usr/bin/env bash
# Installs the Debian packages Roost needs to build and test, and nothing else.
# Idempotent: apt-get runs only when a package is missing, so a second call is a no-op.
# Packages named as arguments are wanted too (scripts/tsan-libs.sh's build dependencies).
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  librocksdb-dev libabsl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libhiredis-dev libmemcached-dev
  redis-server memcached
  nats-server libnats-dev
  gnuplot-nox nlohmann-json3-dev
  prometheus-cpp-dev
  openssl libssl-dev clang libclang-rt-14-dev
  python3
  "$@"
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
