# LivePuppet: the two commands.
#   make run   install what is missing, build Release, start the GUI
#   make test  install what is missing, build, run the whole test suite (ctest)
BUILD_DIR  ?= build
BUILD_TYPE ?= Release
JOBS       ?= $(shell nproc)
CMAKE_ARGS ?=

.PHONY: run test sanitize deps configure build clean

deps:
	@./scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_ARGS)

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	./$(BUILD_DIR)/app/livepuppet $(ARGS)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j 1 $(CTEST_ARGS)

# For developers, not part of CI (about 45 min on 2 cores): the whole suite
# built with AddressSanitizer and UndefinedBehaviorSanitizer in build-asan.
# Leak checking is off: Mesa's llvmpipe unloads its modules before the check
# runs at exit, so their allocations are reported as unattributable leaks in
# every GL test. libtorch is not instrumented, hence no container-overflow
# checks. tests/sanitizers/ubsan.supp lists the third-party reports.
SANITIZE_FLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer
sanitize: deps
	@cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_CXX_FLAGS="$(SANITIZE_FLAGS)" -DCMAKE_C_FLAGS="$(SANITIZE_FLAGS)" $(CMAKE_ARGS)
	@cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=0:detect_container_overflow=0 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:suppressions=$(CURDIR)/tests/sanitizers/ubsan.supp \
	  ctest --output-on-failure -j 1 $(CTEST_ARGS)

clean:
	rm -rf $(BUILD_DIR)
