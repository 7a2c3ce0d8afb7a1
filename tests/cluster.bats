#!/usr/bin/env bats
# tests/cluster.bats - es-bulk against a real 3-node Elasticsearch cluster on
# loopback (three processes, one cluster, scripts/search-node with --cluster,
# --seed, --initial-master; 512m heap each): an index with 1 replica, es-bulk
# given all three hosts, one node SIGKILLed during a load of 50,000 records and
# started again (same DIR, same ports).  Every document arrives exactly once,
# and es-bulk logs that it moved to the live nodes.
#
# kes: explicit-only
# Not "# kes: needs-node" (it brings its own cluster); run by `make test-cluster`
# (tests/run leaves "explicit-only" suites out unless they are named).
# About 1-2 minutes; KES_CLUSTER_RECORDS changes the load (default 50000).
load lib/common
load lib/node

bats_require_minimum_version 1.5.0

SN=$KES_TOP/scripts/search-node

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

teardown() {
	local i
	[ -n "${ESB_PID:-}" ] && kill -KILL "$ESB_PID" 2>/dev/null
	for i in 1 2 3; do
		[ -n "${CD:-}" ] && [ -d "$CD/n$i" ] && "$SN" stop "$CD/n$i" >/dev/null 2>&1
	done
	[ -n "${CD:-}" ] && rm -rf "$CD"
	true
}

# start_node I: node nI of the cluster, in the background; URL into $CD/nI.url
start_node() {
	local i=$1
	"$SN" start elasticsearch "$CD/n$i" --cluster "kes3-$$" --node-name "n$i" \
		--transport-port "${TP[$i]}" --http-port "${HP[$i]}" \
		--seed "127.0.0.1:${TP[1]}" --seed "127.0.0.1:${TP[2]}" --seed "127.0.0.1:${TP[3]}" \
		--initial-master n1 --initial-master n2 --initial-master n3 \
		--watch-pid "$RUNNER" >"$CD/n$i.url" 2>"$CD/n$i.err"
}

health() { curl -sS -m 5 "$1/_cluster/health" | jq -r .status; }
green() { [ "$(health "$1")" = green ]; }
# count_now URL PATTERN: the document count, retried while shards move (503)
count_now() {
	local c
	for _ in $(seq 100); do
		c=$(KES_ES_URL=$1 es_count "$2" 2>/dev/null) && { echo "$c"; return 0; }
		sleep 0.3
	done
	return 1
}
count_ge() { local c; c=$(count_now "$1" "$2") && [ "$c" -ge "$3" ]; }

@test "3-node cluster: one node SIGKILLed during a 50k load and restarted: every document exactly once, es-bulk moves to the live nodes" {
	local n=${KES_CLUSTER_RECORDS:-50000} i p pids=() u1 hosts
	RUNNER=$BASHPID
	CD=$(mktemp -d "${TMPDIR:-/tmp}/kes-cluster.XXXXXX")
	declare -g -a TP HP
	for i in 1 2 3; do TP[$i]=$(free_port); HP[$i]=$(free_port); done
	for i in 1 2 3; do start_node "$i" & pids+=($!); done
	for i in 0 1 2; do wait "${pids[$i]}" || { cat "$CD"/n*.err; false; }; done
	u1=$(cat "$CD/n1.url")
	hosts="$u1,$(cat "$CD/n2.url"),$(cat "$CD/n3.url")"
	# one cluster of three nodes
	[ "$(curl -sS "$u1/_cat/nodes?h=name" | sort | tr -d ' ' | tr '\n' ' ')" = "n1 n2 n3 " ]
	curl -sS "$u1/_cluster/health" | jq -e '.number_of_nodes == 3'

	p=kt-cluster-$$
	# the template first (mappings), then the index with 3 shards and 1 replica
	run -0 es-bulk --es-hosts "$hosts" --index-prefix "$p" --template-only
	curl -sS --fail-with-body -XPUT -H 'Content-Type: application/json' "$u1/$p-devices-2025.01" \
		-d '{"settings":{"number_of_shards":3,"number_of_replicas":1}}'
	WAIT_SECS=60 wait_for green "$u1"
	curl -sS "$u1/$p-devices-2025.01/_settings" | jq -e '.[].settings.index.number_of_replicas == "1"'

	awk -v n="$n" 'BEGIN { for (i = 1; i <= n; i++)
		printf "{\"timestamp\":\"2025-01-%02dT%02d:%02d:%02d.000Z\",\"record_type\":\"device\",\"mac_addr\":\"02:00:00:%02x:%02x:%02x\",\"signal_dbm\":-%d,\"total_packets\":%d,\"n\":%d}\n",
			1 + i % 28, i % 24, i % 60, (i * 7) % 60, int(i / 65536) % 256, int(i / 256) % 256, i % 256, 30 + i % 60, i, i }' >"$CD/load.ndjson"
	[ "$(wc -l <"$CD/load.ndjson")" -eq "$n" ]

	es-bulk --es-hosts "$hosts" --index-prefix "$p" --batch-size 250 --workers 2 \
		--connect-timeout 2 --timeout 30 --dead-letter "$CD/rejects.ndjson" \
		"$CD/load.ndjson" 2>"$CD/esb.err" &
	ESB_PID=$!
	# in the middle of the load: SIGKILL node 2 (never the one we query)
	WAIT_SECS=120 wait_for count_ge "$u1" "$p-*" $((n / 10))
	local victim
	victim=$(cat "$CD/n2/pid")
	kill -0 "$ESB_PID"	# the load is still running
	kill -KILL "$victim"
	local killed_at
	killed_at=$(count_now "$u1" "$p-*")
	echo "node n2 (pid $victim) killed at $killed_at documents"
	[ "$killed_at" -lt "$n" ]
	WAIT_SECS=20 wait_for bash -c "! kill -0 $victim 2>/dev/null"
	# the load goes on on the two live nodes
	WAIT_SECS=120 wait_for count_ge "$u1" "$p-*" $((killed_at + n / 10))
	# node 2 comes back: same DIR, same ports
	start_node 2 || { cat "$CD/n2.err"; false; }
	[ "$(cat "$CD/n2.url")" = "http://127.0.0.1:${HP[2]}" ]
	local rc=0
	WAIT_SECS=240 wait_for bash -c "! kill -0 $ESB_PID 2>/dev/null"
	wait "$ESB_PID" || rc=$?
	ESB_PID=
	grep -v '^{' "$CD/esb.err" | sort | uniq -c | sort -rn | head -n 8
	tail -n 1 "$CD/esb.err"
	[ "$rc" -eq 0 ]
	tail -n 1 "$CD/esb.err" | jq -e --argjson n "$n" '.read == $n and .indexed == $n and .dead_lettered == 0 and .pending == 0'
	[ ! -e "$CD/rejects.ndjson" ]
	# es-bulk noticed the dead node and sent to the others
	grep -E "127\.0\.0\.1:${HP[2]}: failing, sending to the other hosts" "$CD/esb.err"
	# back to three nodes, all shards allocated
	WAIT_SECS=120 wait_for green "$u1"
	curl -sS "$u1/_cluster/health" | jq -e '.number_of_nodes == 3'
	# exactly once: count == lines, the unique field n has n distinct values 1..n,
	# each in one document (exact, by composite aggregation pages)
	[ "$(KES_ES_URL=$u1 es_count "$p-*")" -eq "$n" ]
	curl -sS --fail-with-body -H 'Content-Type: application/json' "$u1/$p-*/_search?size=0" \
		-d '{"aggs":{"s":{"stats":{"field":"n"}}}}' |
		jq -e --argjson n "$n" '.aggregations.s | .count == $n and .min == 1 and .max == $n and .sum == ($n * ($n + 1) / 2)'
	local after="" body distinct=0 multi=0
	while :; do
		body=$(curl -sS --fail-with-body -H 'Content-Type: application/json' "$u1/$p-*/_search?size=0" \
			-d "{\"aggs\":{\"c\":{\"composite\":{\"size\":10000,\"sources\":[{\"n\":{\"terms\":{\"field\":\"n\"}}}]${after:+,\"after\":$after}}}}}")
		[ "$(jq '.aggregations.c.buckets | length' <<<"$body")" -gt 0 ] || break
		distinct=$((distinct + $(jq '.aggregations.c.buckets | length' <<<"$body")))
		multi=$((multi + $(jq '[.aggregations.c.buckets[] | select(.doc_count != 1)] | length' <<<"$body")))
		after=$(jq -c '.aggregations.c.after_key' <<<"$body")
	done
	echo "distinct n: $distinct, values in more than one document: $multi"
	[ "$distinct" -eq "$n" ]
	[ "$multi" -eq 0 ]
	# every node answers the same count (replicas in sync)
	for i in 2 3; do [ "$(KES_ES_URL=$(cat "$CD/n$i.url") es_count "$p-*")" -eq "$n" ]; done
}
