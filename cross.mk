# cross.mk - cross builds for the sensors (Raspberry Pi OS arm64 / armhf) with
# Debian bookworm's own cross toolchains and multiarch libraries, their tests
# under qemu user-mode emulation, and their build dependencies.
#
#   make CROSS=aarch64-linux-gnu         tools + unit-test binaries into build-aarch64-linux-gnu/
#   make CROSS=arm-linux-gnueabihf       the same for 32-bit ARM (armhf)
#   make test-cross CROSS=...            tests/cross-suites under qemu (tests/cross-run)
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

test-cross: all
	@test -n "$(CROSS)" || { echo "make test-cross: set CROSS=aarch64-linux-gnu or CROSS=arm-linux-gnueabihf" >&2; exit 64; }
	tests/cross-run $(CROSS) $(abspath $(B))

deps-cross:
	scripts/install-deps --cross --no-nodes

.PHONY: test-cross deps-cross

clean: clean-cross
clean-cross:
	rm -rf build-aarch64-linux-gnu build-arm-linux-gnueabihf
.PHONY: clean-cross
