# hoody-sqlite — the two commands: `make run` and `make test`. Both install missing Debian
# packages first (apt-get; nothing else is downloaded at build time).
BUILD_DIR   ?= build
BUILD_TYPE  ?= Release
JOBS        ?= $(shell nproc)
RUN_ARGS    ?=
# Extra CMake options for the first configure of BUILD_DIR, e.g. CMAKE_ARGS=-DHOODY_WARNINGS_AS_ERRORS=ON
# (an existing build directory keeps its cache: `make clean` first).
CMAKE_ARGS  ?=
# `make server`: the server binary alone, tests off (the container image's build stage).
SERVER_BUILD_DIR ?= build-server
SUDO        := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# ccache (used by CMake when installed): share hits across clones of the repo.
export CCACHE_BASEDIR   := $(CURDIR)
export CCACHE_NOHASHDIR := true
export CCACHE_SLOPPINESS := pch_defines,time_macros,include_file_mtime,include_file_ctime

# SERVER_PACKAGES build the server; a developer machine adds the test, format and cache tools.
SERVER_PACKAGES := cmake ninja-build g++ pkg-config libboost1.81-dev libsqlite3-dev \
                   nlohmann-json3-dev libspdlog-dev libcli11-dev libssl-dev libjs-codemirror \
                   libjemalloc-dev
# (python3 runs tests/container/container_test.py.)
BUILD_PACKAGES  := $(SERVER_PACKAGES) ccache libgtest-dev clang-format-14 python3
# chromium, nodejs and npm are installed by tests/browser/run.sh only when missing (a machine may
# already have a newer Node.js from another source, which apt must not replace).
TEST_PACKAGES  := curl
BENCH_PACKAGES := wrk nginx-light redis-server webdis curl python3

.PHONY: all deps server-deps server test-deps build run test test-unit test-integration test-e2e test-sdk test-browser test-scaleout \
        format format-check tidy screenshots bench clean crash-test sanitize fuzz fuzz-smoke

all: build

# Installs each missing package (checked with dpkg), once.
define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
endef

deps:
	$(call apt_install,$(BUILD_PACKAGES))

server-deps:
	$(call apt_install,$(SERVER_PACKAGES))

test-deps: deps
	$(call apt_install,$(TEST_PACKAGES))

$(BUILD_DIR)/build.ninja: CMakeLists.txt | deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_ARGS)

build: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

# Only the hoody-sqlite target, in its own build directory (tests off there, so it never turns
# them off in BUILD_DIR). The Dockerfile runs this; tests/container/ checks that it builds nothing else.
server: server-deps
	cmake -S . -B $(SERVER_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DHOODY_BUILD_TESTS=OFF $(CMAKE_ARGS)
	cmake --build $(SERVER_BUILD_DIR) -j $(JOBS) --target hoody-sqlite

run: build
	./$(BUILD_DIR)/hoody-sqlite $(RUN_ARGS)

# Every tier: formatting, unit, integration, e2e (real binary on real ports), the official SDK and
# the published CLI examples (tests/sdk), browser (Chromium), scale-out (HAProxy, Litestream).
test: test-deps build format-check
	ctest --test-dir $(BUILD_DIR) -L 'unit|integration|e2e' --output-on-failure -j $(JOBS) --timeout 300
	$(MAKE) --no-print-directory test-sdk
	HOODY_BIN=$(CURDIR)/$(BUILD_DIR)/hoody-sqlite bash tests/browser/run.sh
	$(MAKE) --no-print-directory test-scaleout

test-unit test-integration test-e2e: build
	ctest --test-dir $(BUILD_DIR) -L $(subst test-,,$@) --output-on-failure -j $(JOBS)

# The official SDK from ../shared/hoody-sdk (HOODY_SDK_DIR) and every server example of the
# published CLI help, replayed, against the real binary (node --test; see docs/testing.md).
test-sdk: build
	HOODY_BIN=$(CURDIR)/$(BUILD_DIR)/hoody-sqlite bash tests/sdk/run.sh

test-browser: test-deps build
	HOODY_BIN=$(CURDIR)/$(BUILD_DIR)/hoody-sqlite bash tests/browser/run.sh

# deploy/haproxy and deploy/litestream end to end (tests/scaleout; installs haproxy with apt-get
# and Litestream with npm into ~/.cache/hoody-scaleout when missing, skips a part it cannot get).
test-scaleout: build
	HOODY_BIN=$(CURDIR)/$(BUILD_DIR)/hoody-sqlite bash tests/scaleout/run.sh

screenshots: test-deps build
	HOODY_BIN=$(CURDIR)/$(BUILD_DIR)/hoody-sqlite bash tests/browser/run.sh screenshots

FORMAT_FILES = $(shell git ls-files '*.cpp' '*.hpp')

format: deps
	clang-format-14 -i $(FORMAT_FILES)

format-check: deps
	clang-format-14 --dry-run --Werror $(FORMAT_FILES)

# clang-tidy-14 with .clang-tidy on every src/ file (about 6.5 min on 2 busy cores), or with
# TIDY_BASE=main only on the files changed since main (.ci/tidy.sh). Any warning fails.
TIDY_BUILD_DIR ?= build-tidy
TIDY_BASE      ?=
tidy: deps
	$(call apt_install,clang-tidy-14)
	@mkdir -p $(TIDY_BUILD_DIR)
	cmake -S . -B $(TIDY_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
	  -DCMAKE_DISABLE_PRECOMPILE_HEADERS=ON $(CMAKE_ARGS) > $(TIDY_BUILD_DIR)/configure.log
	JOBS=$(JOBS) bash .ci/tidy.sh $(TIDY_BUILD_DIR) $(TIDY_BASE)

bench: build
	$(call apt_install,$(BENCH_PACKAGES))
	bash bench/run.sh

# Crash safety: 20 kill -9 trials (`make test` runs 3 through the e2e tier).
CRASH_TRIALS ?= 20
crash-test: build
	HOODY_CRASH_TRIALS=$(CRASH_TRIALS) ctest --test-dir $(BUILD_DIR) -R '^crash\.' --output-on-failure --timeout 1800

# Sanitizers: ASan+UBSan on the unit and integration tiers, TSan on the concurrency tests.
# Debug -O1, only the test targets (and the binary they depend on); any report fails the run.
SAN_FLAGS = -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g -O1"
sanitize: deps
	cmake -S . -B build-asan $(SAN_FLAGS) -DHOODY_SANITIZE="address;undefined"
	cmake --build build-asan -j $(JOBS) --target hoody_unit_tests hoody_integration_tests
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir build-asan -L 'unit|integration' --output-on-failure -j $(JOBS) --timeout 600
	cmake -S . -B build-tsan $(SAN_FLAGS) -DHOODY_SANITIZE=thread
	cmake --build build-tsan -j $(JOBS) --target hoody_unit_tests hoody_integration_tests
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$(CURDIR)/tests/tsan.supp \
	  ctest --test-dir build-tsan -L concurrency --output-on-failure -j $(JOBS) --timeout 600

# libFuzzer targets (clang, ASan+UBSan): each runs FUZZ_SECONDS on its checked-in corpus.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS  = fuzz_request_router fuzz_sql_transaction fuzz_json_path fuzz_base64 fuzz_db_path
fuzz:
	$(call apt_install,clang-14 libclang-rt-14-dev cmake ninja-build libboost1.81-dev libsqlite3-dev nlohmann-json3-dev libspdlog-dev)
	CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug \
	  -DCMAKE_CXX_FLAGS_DEBUG="-g -O1" -DHOODY_BUILD_TESTS=OFF -DHOODY_BUILD_FUZZERS=ON
	cmake --build build-fuzz -j $(JOBS) --target $(FUZZ_TARGETS)
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p build-fuzz/corpus/$$t; \
	  echo "== $$t ($(FUZZ_SECONDS) s)"; \
	  ./build-fuzz/tests/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix=build-fuzz/$$t- \
	    build-fuzz/corpus/$$t tests/fuzz/corpus/$$t > build-fuzz/$$t.log 2>&1; rc=$$?; \
	  grep -E "stat::number_of_executed_units|SUMMARY" build-fuzz/$$t.log; \
	  if [ $$rc -ne 0 ]; then tail -40 build-fuzz/$$t.log; exit 1; fi; \
	done

fuzz-smoke:
	$(MAKE) fuzz FUZZ_SECONDS=10

clean:
	rm -rf $(BUILD_DIR) $(SERVER_BUILD_DIR) $(TIDY_BUILD_DIR)
