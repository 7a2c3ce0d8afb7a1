# es-bulk/module.mk - objects and libraries of es-bulk (owned by the es-bulk code),
# and its unit-test binary build/tests/es-bulk-test (tests/es-bulk.bats).
BULK_OBJS := $(addprefix $(B)/es-bulk/, main.o config.o engine.o input.o decompress.o \
	route.o bulk.o response.o transport.o template.o mapping.o mapping_sightings.o \
	deadletter.o acks.o outcome.o stats.o retry.o)
BULK_LIBS := -lcurl -ljansson -lssl -lcrypto -ldeflate -lz -lm

BULK_TEST_OBJS := $(addprefix $(B)/es-bulk/, unit_test.o response.o bulk.o retry.o)

all: $(B)/tests/es-bulk-test

$(B)/tests/es-bulk-test: $(BULK_TEST_OBJS) $(B)/lib/libkes.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(BULK_TEST_OBJS) $(B)/lib/libkes.a -ljansson -lz -lm
