# kismet-tap/module.mk - objects and libraries of kismet-tap (owned by the kismet-tap code),
# and its unit-test/benchmark binary build/tests/kismet-tap-test (tests/kismet-tap.bats,
# scripts/bench-kismet-tap).
TAP_OBJS := $(addprefix $(B)/kismet-tap/, main.o config.o project.o device.o device_line.o tap.o dedup.o output.o \
	live.o poll.o sync.o lightmap.o eventbus.o kismetdb.o dbprogress.o sightings.o pseudo.o)
TAP_LIBS := -lwebsockets -lcurl -ljansson -lsqlite3 -lcrypto -lm

TAP_TEST_OBJS := $(addprefix $(B)/kismet-tap/, tap_test.o project.o device.o device_line.o tap.o dedup.o output.o pseudo.o)

all: $(B)/tests/kismet-tap-test

$(B)/tests/kismet-tap-test: $(TAP_TEST_OBJS) $(B)/lib/libkes.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(TAP_TEST_OBJS) $(B)/lib/libkes.a -ljansson -lcrypto -lm
