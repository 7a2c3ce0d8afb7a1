# tests/e2e.mk - end-to-end targets, included by the top Makefile:
#   make demo-offline   scripts/demo offline: the recorded Kismet log into a SQLite
#                       spool in ./demo (or $KES_DEMO_DIR), no Kismet, no cluster
#   make demo           scripts/demo online: the same, drained into a local node,
#                       with the guide's three sample queries drawn as text
#   make test-cluster   tests/cluster.bats: a real 3-node Elasticsearch cluster,
#                       one node SIGKILLed during a load
demo-offline: $(addprefix $(BIN)/,$(PROGS))
	KES_BIN_DIR=$(abspath $(BIN)) scripts/demo offline

demo: $(addprefix $(BIN)/,$(PROGS))
	KES_BIN_DIR=$(abspath $(BIN)) scripts/demo online

test-cluster: $(addprefix $(BIN)/,$(PROGS))
	KES_BIN_DIR=$(abspath $(BIN)) tests/run tests/cluster.bats

.PHONY: demo demo-offline test-cluster
