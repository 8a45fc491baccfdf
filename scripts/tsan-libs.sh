#!/usr/bin/env bash
# Builds the libraries Roost synchronizes through, Debian's own Abseil, RocksDB and gRPC
# (the sources of the installed packages, same versions and options), with
# ThreadSanitizer into DIR/lib (default build-tsan-libs), for `make test-tsan`.
#
# Why: TSan sees only what is compiled with it. Uninstrumented, absl::Mutex's lock and
# unlock are invisible, so every variable one guards is reported as a race; RocksDB's
# write group hands a writer's batch to the group leader through atomics, so the
# leader's copy of it is reported as a race with the writer that filled it; and gRPC
# hands a call's buffers between its threads and ours through its own atomics, so
# every handler's read of a request races the poller that filled it. Built with TSan,
# the libraries' synchronization is seen and those reports are gone.
#
# build-tsan's programs load them through an old-style RPATH, in place of the installed
# ones (same SONAMEs), gRPC's included; build-tsan links RocksDB's shared library for
# that reason. Needs the Debian source archive (deb-src), which this adds.
#   scripts/tsan-libs.sh [DIR]       JOBS=N sets the build's parallelism (default 2)
set -euo pipefail
cd "$(dirname "$0")/.."
dir="$(realpath -m "${1:-build-tsan-libs}")"
jobs="${JOBS:-2}"

# What Debian builds the three with (dpkg-source unpacks).
scripts/install-deps.sh dpkg-dev libsnappy-dev libbz2-dev liblz4-dev libzstd-dev zlib1g-dev \
  libprotoc-dev libc-ares-dev libre2-dev
if ! grep -rqs '^Types: deb-src' /etc/apt/sources.list.d/; then
  sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
    > /etc/apt/sources.list.d/debian-src.sources
  apt-get update -qq
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Unpacks (with Debian's patches applied) the source that built binary package $2,
# source package $1, into $work/$1.
unpack() {
  local version
  version="$(dpkg-query -W -f='${source:Version}' "$2")"
  mkdir -p "$work/$1-dl"
  (cd "$work/$1-dl" && apt-get source -qq --download-only "$1=$version" >/dev/null 2>&1 &&
    dpkg-source -x -q ./*.dsc "$work/$1" >/dev/null 2>&1) ||
    { echo "tsan-libs: could not fetch the source of $1 $version" >&2; exit 1; }
}

# Both at -O1 -g1: a third of -O2's compile time, and TSan reports keep file and line.
if [ ! -f "$dir/lib/libabsl_synchronization.so" ]; then
  echo "tsan-libs: building Abseil with TSan into $dir" >&2
  unpack abseil libabsl20220623
  cmake -S "$work/abseil" -B "$work/abseil-build" -G Ninja -DCMAKE_CXX_STANDARD=17 \
    -DBUILD_SHARED_LIBS=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DCMAKE_CXX_FLAGS=-fsanitize=thread \
    -DCMAKE_SHARED_LINKER_FLAGS=-fsanitize=thread -DCMAKE_INSTALL_PREFIX="$dir" >/dev/null
  cmake --build "$work/abseil-build" -j "$jobs" >/dev/null
  cmake --install "$work/abseil-build" >/dev/null
fi

# Debian builds RocksDB with build type None, so without NDEBUG (its assertions stay
# on); kept so here. Only the shared library is built: no tools, tests or benchmarks.
if ! ls "$dir"/lib/librocksdb.so.* >/dev/null 2>&1; then
  echo "tsan-libs: building RocksDB with TSan into $dir (the longer part)" >&2
  unpack rocksdb librocksdb-dev
  CXXFLAGS="-O1 -g1" CFLAGS="-O1 -g1" cmake -S "$work/rocksdb" -B "$work/rocksdb-build" -G Ninja \
    -DCMAKE_BUILD_TYPE=None -DWITH_TSAN=ON -DROCKSDB_BUILD_SHARED=ON \
    -DWITH_BZ2=ON -DWITH_LZ4=ON -DWITH_ZLIB=ON -DWITH_ZSTD=ON -DWITH_SNAPPY=ON \
    -DWITH_GFLAGS=OFF -DWITH_TESTS=OFF -DWITH_TOOLS=OFF -DWITH_CORE_TOOLS=OFF \
    -DWITH_BENCHMARK_TOOLS=OFF -DPORTABLE=ON -DFAIL_ON_WARNINGS=OFF \
    -DCMAKE_INSTALL_PREFIX="$dir" -DCMAKE_INSTALL_LIBDIR=lib >/dev/null
  cmake --build "$work/rocksdb-build" -j "$jobs" --target rocksdb-shared >/dev/null
  mkdir -p "$dir/lib"
  cp -a "$work/rocksdb-build"/librocksdb.so* "$dir/lib/"
fi

# gRPC's C core and C++ library, shared, with Debian's options; not the code generator,
# tests or the reflection library (Debian's links to this libgrpc++ at run time).
if ! ls "$dir"/lib/libgrpc++.so.* >/dev/null 2>&1; then
  echo "tsan-libs: building gRPC with TSan into $dir (the longest part)" >&2
  unpack grpc libgrpc29
  CXXFLAGS="-O1 -g1 -fsanitize=thread" CFLAGS="-O1 -g1 -fsanitize=thread" \
    LDFLAGS=-fsanitize=thread cmake -S "$work/grpc" -B "$work/grpc-build" -G Ninja \
    -DCMAKE_BUILD_TYPE=None -DBUILD_SHARED_LIBS=ON -DgRPC_BUILD_TESTS=OFF \
    -DgRPC_BUILD_CODEGEN=OFF -DgRPC_ABSL_PROVIDER=package -DgRPC_CARES_PROVIDER=package \
    -DgRPC_PROTOBUF_PROVIDER=package -DgRPC_RE2_PROVIDER=package \
    -DgRPC_SSL_PROVIDER=package -DgRPC_ZLIB_PROVIDER=package \
    -DgRPC_BACKWARDS_COMPATIBILITY_MODE=OFF -DCMAKE_INSTALL_PREFIX="$dir" >/dev/null
  cmake --build "$work/grpc-build" -j "$jobs" --target grpc++ >/dev/null
  mkdir -p "$dir/lib"
  for lib in gpr grpc grpc++ upb address_sorting; do
    cp -a "$work/grpc-build/lib$lib.so"* "$dir/lib/"
  done
fi

# Each library must replace an installed one: same SONAME, or the loader ignores it.
for lib in "$dir"/lib/lib*.so.*; do
  soname="$(objdump -p "$lib" | awk '/SONAME/ {print $2}')"
  [ -e "/usr/lib/$(gcc -print-multiarch)/$soname" ] ||
    { echo "tsan-libs: $soname ($lib) replaces no installed library" >&2; exit 1; }
done
echo "$dir"
