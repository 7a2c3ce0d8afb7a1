# buffer-spool/module.mk - objects and libraries of buffer-spool (owned by the buffer-spool code)
SPOOL_OBJS := $(addprefix $(B)/buffer-spool/, main.o)
SPOOL_LIBS :=
