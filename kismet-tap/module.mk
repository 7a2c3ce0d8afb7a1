# kismet-tap/module.mk - objects and libraries of kismet-tap (owned by the kismet-tap code)
TAP_OBJS := $(addprefix $(B)/kismet-tap/, main.o)
TAP_LIBS :=
