# The two commands of the README. Both install what is missing first (idempotent).
BUILD_DIR ?= build
JOBS ?= 2
CMAKE_FLAGS ?=
DATA_DIR ?= roost-data

FUZZ_SECONDS ?= 30

.PHONY: deps configure build run test unit-test test-asan test-tsan fuzz clean

deps:
	@./scripts/install-deps.sh

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja $(CMAKE_FLAGS)

configure: deps $(BUILD_DIR)/build.ninja

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

# Builds and starts roostd in the foreground with its embedded defaults.
run: build
	$(BUILD_DIR)/services/roostd --data-dir=$(DATA_DIR)

# Builds and runs every test: the suite, the suite again under ASan+UBSan, and each
# fuzz target for FUZZ_SECONDS. What CI runs (.ci/run).
test: unit-test test-asan fuzz

# The suite alone, in $(BUILD_DIR): the quick loop while developing.
unit-test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

# The whole suite built with a sanitizer, in its own build directory. A report fails
# the test that caused it (UBSan halts on the first error; ASan always does).
SANITIZER_ENV = ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1

test-asan: deps
	@[ -f build-asan/build.ninja ] || cmake -S . -B build-asan -G Ninja -DROOST_SANITIZE=address
	cmake --build build-asan -j $(JOBS)
	cd build-asan && $(SANITIZER_ENV) ctest --output-on-failure -j $(JOBS)

# ThreadSanitizer needs every library that synchronizes built with it. Debian's Abseil
# is not: TSan cannot see absl::Mutex's lock and unlock, and reports a race on every
# variable one guards (a two-thread counter under absl::MutexLock is enough to show it).
# With an instrumented Abseil (and gRPC, protobuf and RocksDB built against it), run
# `make test-tsan TSAN_ABSEIL=1`.
test-tsan: deps
	@if [ "$(TSAN_ABSEIL)" != 1 ]; then \
	  echo "test-tsan: Debian's Abseil is not built with -fsanitize=thread, so TSan would report every absl::Mutex-guarded access as a race; see the Makefile" >&2; exit 2; fi
	@[ -f build-tsan/build.ninja ] || cmake -S . -B build-tsan -G Ninja -DROOST_SANITIZE=thread
	cmake --build build-tsan -j $(JOBS)
	cd build-tsan && $(SANITIZER_ENV) ctest --output-on-failure -j $(JOBS)

# libFuzzer targets (clang, ASan+UBSan), each for FUZZ_SECONDS.
fuzz: deps
	./scripts/fuzz.sh $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD_DIR) build-asan build-tsan build-fuzz
