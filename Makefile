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
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

test-asan: deps
	@[ -f build-asan/build.ninja ] || cmake -S . -B build-asan -G Ninja -DROOST_SANITIZE=address
	cmake --build build-asan -j $(JOBS)
	cd build-asan && $(SANITIZER_ENV) ctest --output-on-failure -j $(JOBS)

# ThreadSanitizer needs the libraries that synchronize built with it. Debian's Abseil
# is not: TSan cannot see absl::Mutex lock and unlock, and reports a race on every
# variable one guards. scripts/tsan-abseil.sh builds Debian's own Abseil source with
# TSan, loaded here through LD_LIBRARY_PATH; tests/tsan-suppressions.txt names what
# remains uninstrumented (Abseil's allocator internals, RocksDB). Not in CI: see README.
TSAN_ENV = LD_LIBRARY_PATH=$(CURDIR)/build-tsan-abseil/lib \
  TSAN_OPTIONS=suppressions=$(CURDIR)/tests/tsan-suppressions.txt:halt_on_error=1:detect_deadlocks=0
test-tsan: deps
	./scripts/tsan-abseil.sh build-tsan-abseil
	@[ -f build-tsan/build.ninja ] || cmake -S . -B build-tsan -G Ninja -DROOST_SANITIZE=thread
	cmake --build build-tsan -j $(JOBS)
	cd build-tsan && $(TSAN_ENV) ctest --output-on-failure -j $(JOBS)

# libFuzzer targets (clang, ASan+UBSan), each for FUZZ_SECONDS.
fuzz: deps
	./scripts/fuzz.sh $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD_DIR) build-asan build-tsan build-tsan-abseil build-fuzz
