# kismet-es - top-level build.  Each tool lists its own objects in its
# module.mk; lib/ is a static archive shared by the three.
#
#   make            build build/bin/{kismet-tap,buffer-spool,es-bulk}
#   make test       run the bats suite (starts real search nodes)
#   make asan       the same suite against an ASan+UBSan build
#   make install    PREFIX=/usr/local DESTDIR= (binaries and man pages)
#   make deps       install build and test dependencies (Debian bookworm, root)
#   make bench      performance measurements (not tests)
#   make CROSS=aarch64-linux-gnu [test-cross]   arm64/armhf builds (cross.mk)
#   make deb [CROSS=...]   the Debian package (deb.mk)

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
SHAREDIR ?= $(PREFIX)/share/kismet-es
BUILD   ?= $(if $(CROSS),build-$(CROSS),build)
CC      ?= cc
CFLAGS  ?= -O2 -g
WARN    := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2 -Wno-format-nonliteral
# 64-bit off_t and time_t also on 32-bit ARM (no-ops on 64-bit; see cross.mk)
CPPFLAGS += -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -D_TIME_BITS=64 -Ilib -MMD -MP
LDFLAGS ?=
B       := $(BUILD)
BIN     := $(B)/bin

PROGS := kismet-tap buffer-spool es-bulk
all: $(addprefix $(BIN)/,$(PROGS)) $(B)/tests/lib-test

include lib/module.mk
include kismet-tap/module.mk
include buffer-spool/module.mk
include es-bulk/module.mk
include tests/e2e.mk
include tests/fuzz/module.mk
include cross.mk
include deb.mk

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -c -o $@ $<

$(B)/lib/libkes.a: $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(BIN)/kismet-tap: $(TAP_OBJS) $(B)/lib/libkes.a
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(TAP_OBJS) $(B)/lib/libkes.a $(TAP_LIBS)

$(BIN)/buffer-spool: $(SPOOL_OBJS) $(B)/lib/libkes.a
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(SPOOL_OBJS) $(B)/lib/libkes.a $(SPOOL_LIBS)

$(BIN)/es-bulk: $(BULK_OBJS) $(B)/lib/libkes.a
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(BULK_OBJS) $(B)/lib/libkes.a $(BULK_LIBS)

$(B)/tests/lib-test: $(B)/tests/unit/lib_test.o $(B)/lib/libkes.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ -lm

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# ---- tests -----------------------------------------------------------------
# ASAN_SUITES: the suites `make asan` runs (default: all of them).
ASAN_SUITES ?=
ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

test: all
	KES_BIN_DIR=$(abspath $(BIN)) tests/run

asan:
	$(MAKE) BUILD=build-asan CFLAGS="$(ASAN_FLAGS)" LDFLAGS="-fsanitize=address,undefined" all
	KES_BIN_DIR=$(abspath build-asan/bin) \
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=86 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=86 \
	tests/run $(ASAN_SUITES)

bench: all
	KES_BIN_DIR=$(abspath $(BIN)) scripts/bench

# ---- install ---------------------------------------------------------------
MANPAGES := $(wildcard man/*.1 man/*.7)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7
	install -m 0755 $(addprefix $(BIN)/,$(PROGS)) $(DESTDIR)$(BINDIR)/
	for m in $(MANPAGES); do \
		s=$${m##*.}; install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done
	install -d $(DESTDIR)$(SHAREDIR)/systemd $(DESTDIR)$(SHAREDIR)/cron $(DESTDIR)$(SHAREDIR)/kibana
	install -m 0644 scripts/systemd/* $(DESTDIR)$(SHAREDIR)/systemd/
	install -m 0755 scripts/cron/kismet-es-snapshot scripts/cron/kismet-es-drain $(DESTDIR)$(SHAREDIR)/cron/
	install -m 0644 scripts/cron/crontab.example $(DESTDIR)$(SHAREDIR)/cron/
	install -m 0644 scripts/kibana/kismet-es.ndjson $(DESTDIR)$(SHAREDIR)/kibana/
	install -m 0755 scripts/kibana/import $(DESTDIR)$(SHAREDIR)/kibana/

deps:
	scripts/install-deps

clean:
	rm -rf build build-asan

.PHONY: all test asan bench install deps clean
