# The two commands of the README. Both install what is missing first (idempotent).
BUILD_DIR ?= build
JOBS ?= 2
CMAKE_FLAGS ?=
DATA_DIR ?= roost-data

FUZZ_SECONDS ?= 30

.PHONY: deps configure build run cluster test unit-test thread-safety test-asan test-tsan fuzz clean

deps:
	@./scripts/install-deps.sh

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja $(CMAKE_FLAGS)

configure: deps $(BUILD_DIR)/build.ninja

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

# The programs a user runs; `make run` builds only these (no tests, no benchmarks).
PROGRAMS = roostd roostctl roost-loadgen

# Builds the programs and starts roostd in the foreground with its embedded defaults.
run: configure
	cmake --build $(BUILD_DIR) -j $(JOBS) --target $(PROGRAMS)
	$(BUILD_DIR)/services/roostd --data-dir=$(DATA_DIR)

# Builds the programs and starts a local cluster in the foreground: 3 nats-server and
# 3 roostd (scripts/cluster.sh; data in ./roost-cluster). Ctrl-C stops all of them.
CLUSTER_DIR ?= roost-cluster
cluster: configure
	cmake --build $(BUILD_DIR) -j $(JOBS) --target $(PROGRAMS)
	./scripts/cluster.sh --dir=$(CLUSTER_DIR) --build-dir=$(BUILD_DIR)

# Builds and runs every test: the suite, the lock annotations checked by clang, the
# suite again under ASan+UBSan, and each fuzz target for FUZZ_SECONDS. What CI runs
# (.ci/run).
test: unit-test thread-safety test-asan fuzz

# The suite alone, in $(BUILD_DIR): the quick loop while developing.
unit-test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

# GCC ignores the thread-safety annotations (ABSL_GUARDED_BY and friends); clang checks
# them here without compiling (-fsyntax-only over compile_commands.json).
thread-safety: build
	./scripts/thread-safety.py $(BUILD_DIR)

# The whole suite built with a sanitizer, in its own build directory. A report fails
# the test that caused it (UBSan halts on the first error; ASan always does).
SANITIZER_ENV = ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

test-asan: deps
	@[ -f build-asan/build.ninja ] || cmake -S . -B build-asan -G Ninja -DROOST_SANITIZE=address
	cmake --build build-asan -j $(JOBS)
	cd build-asan && $(SANITIZER_ENV) ctest --output-on-failure -j $(JOBS)

# ThreadSanitizer sees only what is compiled with it, and Debian's Abseil, RocksDB and
# gRPC are not: absl::Mutex's locking, RocksDB's write group and gRPC's hand-offs
# between threads would all show as races. scripts/tsan-libs.sh builds Debian's own
# sources of the three with TSan (once, ~21 min on 2 cores); build-tsan's programs load
# them through their RPATH. tests/tsan-suppressions.txt names the little that stays
# unseen. detect_deadlocks=0: TSan's lock-order checker stops at 64 locks held at once,
# which the pipeline's tests exceed. Tests that measure speed or volume scale themselves
# under TSan (__SANITIZE_THREAD__). Not in CI: see README.
TSAN_ENV = TSAN_OPTIONS=suppressions=$(CURDIR)/tests/tsan-suppressions.txt:halt_on_error=1:detect_deadlocks=0
test-tsan: deps
	./scripts/tsan-libs.sh build-tsan-libs
	@[ -f build-tsan/build.ninja ] || cmake -S . -B build-tsan -G Ninja -DROOST_SANITIZE=thread
	cmake --build build-tsan -j $(JOBS)
	@ldd build-tsan/services/roostd | grep -q "$(CURDIR)/build-tsan-libs/lib/libgrpc.so" || \
	  { echo "build-tsan does not load the TSan libraries in build-tsan-libs/" >&2; exit 1; }
	cd build-tsan && $(TSAN_ENV) ctest --output-on-failure -j $(JOBS)

# libFuzzer targets (clang, ASan+UBSan), each for FUZZ_SECONDS.
fuzz: deps
	./scripts/fuzz.sh $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD_DIR) build-asan build-tsan build-tsan-libs build-fuzz
