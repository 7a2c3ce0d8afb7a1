# buffer-spool/module.mk - objects and libraries of buffer-spool (owned by the buffer-spool code)
SPOOL_OBJS := $(addprefix $(B)/buffer-spool/, main.o config.o spool.o spool_sqlite.o spool_file.o spool_file_dir.o pump.o consumer.o child.o status.o)
SPOOL_LIBS := -lsqlite3 -ljansson -lm
