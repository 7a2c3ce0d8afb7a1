# es-bulk/module.mk - objects and libraries of es-bulk (owned by the es-bulk code)
BULK_OBJS := $(addprefix $(B)/es-bulk/, main.o)
BULK_LIBS :=
