# The two commands of the README. Both install what is missing first (idempotent).
BUILD_DIR ?= build
JOBS ?= 2
CMAKE_FLAGS ?=
DATA_DIR ?= roost-data

.PHONY: deps configure build run test clean

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

# Builds and runs every test.
test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 600

clean:
	rm -rf $(BUILD_DIR)
