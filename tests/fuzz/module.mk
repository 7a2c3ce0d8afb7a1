# tests/fuzz/module.mk - fuzzing and static analysis (hardening).  Included
# from the top Makefile; owns the targets `fuzz`, `fuzz-build` and `lint`.
#
#   make fuzz                  build every libFuzzer harness (clang), run each
#                              for FUZZ_SECONDS (default 60); fails on any crash,
#                              leak, timeout or out-of-memory
#   make fuzz FUZZ_TARGETS=ndjson FUZZ_SECONDS=600   one target, longer
#   make fuzz FUZZ_RUNS=20000  each target for 20000 inputs from seed 1 instead
#                              of a time: the same inputs on every machine, so
#                              a CI failure reproduces with the same command
#   make lint                  cppcheck + clang-tidy (.clang-tidy) over the C sources
#
# Harnesses are tests/fuzz/fuzz_<target>.c (+ libFuzzer dictionary <target>.dict if
# present), seed corpora tests/fuzz/corpus/<target>/
# (read only: new inputs go to $(B)/fuzz/corpus/<target>/), crashing inputs kept
# as regression tests in tests/fuzz/regress/<target>-* (tests/hardening.bats).
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_B       := $(B)/fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS  := -O1 -g -fno-omit-frame-pointer $(FUZZ_SAN) -fsanitize=fuzzer-no-link
FUZZ_OPTS    ?= -timeout=10 -rss_limit_mb=2048 -close_fd_mask=3 -print_final_stats=1
FUZZ_RUNS    ?=
FUZZ_LIMIT   := $(if $(FUZZ_RUNS),-runs=$(FUZZ_RUNS) -seed=1,-max_total_time=$(FUZZ_SECONDS))

# Every target and the sources it links (besides its harness and lib/).
FUZZ_ALL := ndjson scalars jscan kismet_json kismetdb_row sightings
FUZZ_SRC_ndjson       :=
FUZZ_SRC_scalars      :=
FUZZ_SRC_jscan        :=
FUZZ_LIBS_jscan       := -ljansson -lm
FUZZ_SRC_kismet_json  := kismet-tap/project.c kismet-tap/device.c kismet-tap/device_line.c kismet-tap/pseudo.c
FUZZ_SRC_kismetdb_row := kismet-tap/project.c kismet-tap/device.c kismet-tap/device_line.c kismet-tap/pseudo.c kismet-tap/tap.c \
	kismet-tap/dedup.c kismet-tap/output.c
FUZZ_LIBS_kismet_json  := -ljansson -lcrypto -lm
FUZZ_LIBS_kismetdb_row := -ljansson -lcrypto -lm
FUZZ_SRC_sightings := $(FUZZ_SRC_kismetdb_row) kismet-tap/sightings.c kismet-tap/dbprogress.c
FUZZ_LIBS_sightings := -ljansson -lcrypto -lsqlite3 -lm
# es-bulk's pure parsers, when present (see tests/fuzz/README.md)
ifneq ($(wildcard es-bulk/response.c),)
FUZZ_ALL += bulk_response
FUZZ_SRC_bulk_response := es-bulk/response.c
FUZZ_LIBS_bulk_response := -ljansson -lm
endif
ifneq ($(wildcard es-bulk/config.c),)
FUZZ_ALL += es_config
FUZZ_SRC_es_config := es-bulk/config.c lib/http.c
FUZZ_LIBS_es_config := -lcurl -ljansson -lcrypto -lz -lm
endif
ifneq ($(wildcard es-bulk/route.c),)
FUZZ_ALL += es_route
FUZZ_SRC_es_route := es-bulk/route.c es-bulk/input.c es-bulk/decompress.c
FUZZ_LIBS_es_route := -ljansson -lcrypto -lz -lm
endif
ifneq ($(wildcard es-bulk/decompress.c),)
FUZZ_ALL += decompress
FUZZ_SRC_decompress := es-bulk/decompress.c
FUZZ_LIBS_decompress := -lz
endif
FUZZ_TARGETS ?= $(FUZZ_ALL)

FUZZ_LIB_SRC := $(patsubst $(B)/lib/%.o,lib/%.c,$(LIB_OBJS))
FUZZ_LIB_O   := $(patsubst %.c,$(FUZZ_B)/obj/%.o,$(filter-out lib/http.c,$(FUZZ_LIB_SRC)))

$(FUZZ_B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(WARN) $(FUZZ_CFLAGS) -c -o $@ $<

# $(1) = target name
define FUZZ_RULE
$(FUZZ_B)/fuzz-$(1): $(FUZZ_B)/obj/tests/fuzz/fuzz_$(1).o \
		$(patsubst %.c,$(FUZZ_B)/obj/%.o,$(FUZZ_SRC_$(1))) $(FUZZ_LIB_O)
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -o $$@ $$^ $(FUZZ_LIBS_$(1))
endef
$(foreach t,$(FUZZ_ALL),$(eval $(call FUZZ_RULE,$(t))))

fuzz-build: $(addprefix $(FUZZ_B)/fuzz-,$(FUZZ_TARGETS))

fuzz: fuzz-build
	@set -e; for t in $(FUZZ_TARGETS); do \
		mkdir -p $(FUZZ_B)/corpus/$$t $(FUZZ_B)/artifacts; \
		echo "fuzz: $$t ($(FUZZ_LIMIT))"; \
		dict=; [ ! -f tests/fuzz/$$t.dict ] || dict=-dict=tests/fuzz/$$t.dict; \
		$(FUZZ_B)/fuzz-$$t $(FUZZ_OPTS) $$dict $(FUZZ_LIMIT) \
			-artifact_prefix=$(FUZZ_B)/artifacts/$$t- \
			$(FUZZ_B)/corpus/$$t tests/fuzz/corpus/$$t 2>$(FUZZ_B)/$$t.log || { \
			tail -n 60 $(FUZZ_B)/$$t.log; echo "fuzz: $$t FAILED (input in $(FUZZ_B)/artifacts/)"; exit 1; }; \
		grep -E '^#[0-9]+.*cov:' $(FUZZ_B)/$$t.log | tail -n 1 | sed "s/^/fuzz: $$t: /"; \
		grep -E '^stat::(number_of_executed_units|average_exec_per_sec)' $(FUZZ_B)/$$t.log | sed "s/^/fuzz: $$t: /"; \
	done

# ---- lint --------------------------------------------------------------------
LINT_DIRS   := lib kismet-tap buffer-spool es-bulk tests/fuzz
LINT_SRC     = $(wildcard $(addsuffix /*.c,$(LINT_DIRS)))
LINT_INC    := -Ilib
CPPCHECK    ?= cppcheck
CLANG_TIDY  ?= clang-tidy

lint:
	$(CPPCHECK) --quiet --enable=warning,performance,portability --error-exitcode=1 \
		--inline-suppr --std=c11 -D_GNU_SOURCE $(LINT_INC) \
		--suppress=missingIncludeSystem $(LINT_SRC)
	$(CLANG_TIDY) --quiet $(LINT_SRC) -- -std=c11 -D_GNU_SOURCE $(LINT_INC)

.PHONY: fuzz fuzz-build lint
