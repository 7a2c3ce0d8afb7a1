# lib/ - code shared by two or more tools, as build/lib/libkes.a
LIB_OBJS := $(addprefix $(B)/lib/, log.o opt.o sig.o ndjson.o timefmt.o fdio.o ack.o http.o backoff.o jscan.o jspan.o buf.o progress.o)
