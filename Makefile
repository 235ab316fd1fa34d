# hoody-sqlite — the two commands: `make run` and `make test`. Both install missing Debian
# packages first (apt-get; nothing else is downloaded at build time).
BUILD_DIR   ?= build
BUILD_TYPE  ?= Release
JOBS        ?= $(shell nproc)
RUN_ARGS    ?=
SUDO        := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# ccache (used by CMake when installed): share hits across clones of the repo.
export CCACHE_BASEDIR   := $(CURDIR)
export CCACHE_NOHASHDIR := true
export CCACHE_SLOPPINESS := pch_defines,time_macros,include_file_mtime,include_file_ctime

BUILD_PACKAGES := cmake ninja-build g++ pkg-config ccache libboost1.81-dev libsqlite3-dev \
                  nlohmann-json3-dev libspdlog-dev libcli11-dev libgtest-dev clang-format-14
# chromium, nodejs and npm are installed by tests/browser/run.sh only when missing (a machine may
# already have a newer Node.js from another source, which apt must not replace).
TEST_PACKAGES  := curl
BENCH_PACKAGES := wrk nginx-light redis-server webdis curl python3

.PHONY: all deps test-deps build run test test-unit test-integration test-e2e test-browser \
        format format-check screenshots bench clean

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

test-deps: deps
	$(call apt_install,$(TEST_PACKAGES))

$(BUILD_DIR)/build.ninja: CMakeLists.txt | deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	./$(BUILD_DIR)/hoody-sqlite $(RUN_ARGS)

# Every tier: formatting, unit, integration, e2e (real binary on real ports), browser (Chromium).
test: test-deps build format-check
	ctest --test-dir $(BUILD_DIR) -L 'unit|integration|e2e' --output-on-failure -j $(JOBS) --timeout 300
	HOODY_BIN=$(CURDIR)/$(BUILD_DIR)/hoody-sqlite bash tests/browser/run.sh

test-unit test-integration test-e2e: build
	ctest --test-dir $(BUILD_DIR) -L $(subst test-,,$@) --output-on-failure -j $(JOBS)

test-browser: test-deps build
	HOODY_BIN=$(CURDIR)/$(BUILD_DIR)/hoody-sqlite bash tests/browser/run.sh

screenshots: test-deps build
	HOODY_BIN=$(CURDIR)/$(BUILD_DIR)/hoody-sqlite bash tests/browser/run.sh screenshots

FORMAT_FILES = $(shell git ls-files '*.cpp' '*.hpp')

format: deps
	clang-format-14 -i $(FORMAT_FILES)

format-check: deps
	clang-format-14 --dry-run --Werror $(FORMAT_FILES)

bench: build
	$(call apt_install,$(BENCH_PACKAGES))
	bash bench/run.sh

clean:
	rm -rf $(BUILD_DIR)
