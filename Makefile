# Theater: the two commands a user needs are `make run` and `make test`.
# Each one sets up what it needs (scripts/setup.sh) on a fresh machine.

BUILD       ?= build
ASAN_BUILD  ?= build-asan
JOBS        ?= $(shell nproc)

.PHONY: all setup build run test test-asan bench format format-check clean

all: build

# Setup is cheap when everything is already there: a few dpkg queries and a
# stamp file in the Wasmtime cache.
setup:
	@scripts/setup.sh $(BUILD)/deps.cmake

build: setup
	@cmake -S . -B $(BUILD) -C $(BUILD)/deps.cmake -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	    > $(BUILD)/.cmake.log || { cat $(BUILD)/.cmake.log; exit 1; }
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	@scripts/tour.sh $(BUILD)

test: build format-check
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	@$(MAKE) --no-print-directory test-asan

# The unit and end-to-end tests again, built with AddressSanitizer and
# UndefinedBehaviorSanitizer (LeakSanitizer included).
test-asan: setup
	@cmake -S . -B $(ASAN_BUILD) -C $(BUILD)/deps.cmake -DCMAKE_BUILD_TYPE=Debug \
	    -DTHEATER_SANITIZE=ON > $(BUILD)/.cmake-asan.log \
	    || { cat $(BUILD)/.cmake-asan.log; exit 1; }
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	    ctest --output-on-failure -j $(JOBS)

bench: build
	@scripts/bench.sh $(BUILD)

format:
	@clang-format -i $$(git ls-files --cached --others --exclude-standard '*.c' '*.h')

# Part of `make test`: every C file must be as clang-format (with the
# project's .clang-format) would write it.
format-check: setup
	@clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
