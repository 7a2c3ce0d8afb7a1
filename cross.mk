# cross.mk - cross builds for the sensors (Raspberry Pi OS arm64 / armhf) with
# Debian bookworm's own cross toolchains and multiarch libraries, their tests
# under qemu user-mode emulation, and their build dependencies.
#
#   make CROSS=aarch64-linux-gnu         tools + unit-test binaries into build-aarch64-linux-gnu/
#   make CROSS=arm-linux-gnueabihf       the same for 32-bit ARM (armhf)
#   make test-cross CROSS=...            the suites of tests/cross-run under qemu
#   make test-cross-ci                   both targets, CI's subset of suites (below)
#   make deps-cross                      install the cross toolchains, :arm64/:armhf
#                                        libraries and qemu-user (root; scripts/install-deps --cross)
ifneq ($(CROSS),)
CC := $(CROSS)-gcc
AR := $(CROSS)-ar
# bookworm's libwebsockets-dev is not co-installable across architectures (its
# lws_config.h names the libdir); the cross build takes the native headers
# (identical otherwise) and links the target's runtime library by its SONAME.
TAP_LIBS := $(patsubst -lwebsockets,-l:libwebsockets.so.17,$(TAP_LIBS))
endif
# 64-bit time_t on armhf (_TIME_BITS=64, Makefile) changes the ABI of calls
# that take a time_t, while bookworm's armhf libraries use a 32-bit one: none
# of the calls we make into libcurl, libwebsockets, OpenSSL, SQLite, jansson
# or zlib takes a time_t, off_t or struct with one (checked; glibc has both).

# CROSS_SUITES: the suites to run (default: tests/cross-run's list).
test-cross: all
	@test -n "$(CROSS)" || { echo "make test-cross: set CROSS=aarch64-linux-gnu or CROSS=arm-linux-gnueabihf" >&2; exit 64; }
	tests/cross-run $(CROSS) $(abspath $(B)) $(CROSS_SUITES)

# What CI runs (.ci/run): the whole cross stage, apt installs included, must
# add at most 8 minutes, so a subset under qemu (README "Cross builds"):
# armhf, the 32-bit build, gets the 32-bit limits and a node suite.
CROSS_CI_armhf := tests/lib.bats tests/cli.bats tests/limits32.bats tests/kismet-tap.bats tests/es-bulk-node.bats
CROSS_CI_arm64 := tests/lib.bats tests/cli.bats tests/limits32.bats tests/kismet-tap.bats
test-cross-ci:
	$(MAKE) -j2 CROSS=arm-linux-gnueabihf all
	$(MAKE) CROSS=arm-linux-gnueabihf test-cross CROSS_SUITES="$(CROSS_CI_armhf)"
	$(MAKE) -j2 CROSS=aarch64-linux-gnu all
	$(MAKE) CROSS=aarch64-linux-gnu test-cross CROSS_SUITES="$(CROSS_CI_arm64)"

deps-cross:
	scripts/install-deps --cross --no-nodes

.PHONY: test-cross test-cross-ci deps-cross

clean: clean-cross
clean-cross:
	rm -rf build-aarch64-linux-gnu build-arm-linux-gnueabihf
.PHONY: clean-cross
