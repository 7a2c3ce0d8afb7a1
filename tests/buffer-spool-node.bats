#!/usr/bin/env bats
# buffer-spool-node.bats - buffer-spool with es-bulk against a real
# Elasticsearch/OpenSearch node: offline store then drain, pass-through
# with the node stopped and restarted, and kill -9 rounds of both processes
# ending with every stored record indexed exactly once.
# kes: needs-node
load lib/common
load lib/node

bats_require_minimum_version 1.5.0

setup_file() { node_start_for_suite; }
teardown_file() { node_stop_for_suite; }
teardown() {
	[ -n "${OWN_NODE:-}" ] && "$KES_TOP/scripts/search-node" stop "$OWN_NODE" >/dev/null 2>&1
	es_delete_prefix "$(test_prefix)" || true
}

# kgen N [FIRST] : N Kismet-like device/event records numbered FIRST..
kgen() {
	awk -v n="$1" -v s="${2:-1}" 'BEGIN { for (i = s; i < s + n; i++) {
		ts = sprintf("2025-0%d-%02dT10:%02d:%02d.000Z", 1 + i % 3, 1 + i % 28, int(i / 60) % 60, i % 60);
		if (i % 4 == 0)
			printf "{\"timestamp\":\"%s\",\"record_type\":\"event\",\"event_type\":\"NEW_DEVICE\",\"device_mac\":\"02:00:%02x:%02x:%02x:%02x\",\"sensor\":\"t\",\"n\":%d}\n",
				ts, int(i / 16777216) % 256, int(i / 65536) % 256, int(i / 256) % 256, i % 256, i;
		else
			printf "{\"timestamp\":\"%s\",\"record_type\":\"device\",\"mac_addr\":\"02:00:%02x:%02x:%02x:%02x\",\"signal_dbm\":-%d,\"sensor\":\"t\",\"n\":%d}\n",
				ts, int(i / 16777216) % 256, int(i / 65536) % 256, int(i / 256) % 256, i % 256, 30 + i % 60, i } }'
}
export -f kgen

# esb_args URL : es-bulk's options for this test (prefix, dead letter, fast flushes)
esb_args() {
	echo "--es-hosts $1 --index-prefix $(test_prefix) --dead-letter $BATS_TEST_TMPDIR/rejects.ndjson --batch-size 200 --flush-interval 0.2"
}

count_is() { [ "$(es_count "$1")" -eq "$2" ]; }
count_at_least() { [ "$(es_count "$1")" -ge "$2" ]; }
total_is() { [ "$(buffer-spool status "$1" --json | jq .total)" -eq "$2" ]; }

offline_case() {
	local p sp n=2500 db=$BATS_TEST_TMPDIR/field_data.db
	p=$(test_prefix)
	sp=$([ "$1" = sqlite ] && echo "--buffer-db=$db" || echo "--spool-dir=$BATS_TEST_TMPDIR/sd")
	# in the field: no network, no es-bulk
	kgen $n | buffer-spool store "$sp"
	if [ "$1" = sqlite ]; then
		# guide, "Step 2: Check buffer status", verbatim
		[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM device_buffer WHERE synced=0")" -eq $((n * 3 / 4)) ]
	fi
	# back online
	run -0 --separate-stderr buffer-spool drain "$sp" -- es-bulk $(esb_args "$(node_url)")
	echo "$stderr" | tail -n 3
	tail -n1 <<<"$stderr" | jq -e --argjson n $n '.sent == $n and .acked == $n and .unsynced == 0'
	[ "$(es_count "$p-devices-*")" -eq $((n * 3 / 4)) ]
	[ "$(es_count "$p-events-*")" -eq $((n / 4)) ]
	if [ "$1" = sqlite ]; then
		[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM device_buffer WHERE synced=0")" -eq 0 ]
		[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM event_buffer WHERE synced=0")" -eq 0 ]
	fi
	# a second drain sends nothing and changes nothing
	run -0 buffer-spool drain "$sp" -- es-bulk $(esb_args "$(node_url)")
	[ "$(es_count "$p-*")" -eq $n ]
	[ ! -e "$BATS_TEST_TMPDIR/rejects.ndjson" ]
}

@test "buffer-spool+es-bulk: offline store of N records, then drain into the node gives N documents (sqlite)" { offline_case sqlite; }
@test "buffer-spool+es-bulk: offline store of N records, then drain into the node gives N documents (file)" { offline_case file; }

passthrough_case() {
	local p sp d=$BATS_TEST_TMPDIR/node url port n=6000 pid fifo=$BATS_TEST_TMPDIR/in acks=$BATS_TEST_TMPDIR/acks
	p=$(test_prefix)
	sp=$([ "$1" = sqlite ] && echo "--buffer-db=$BATS_TEST_TMPDIR/s.db" || echo "--spool-dir=$BATS_TEST_TMPDIR/sd")
	OWN_NODE=$d
	url=$("$KES_TOP/scripts/search-node" start "$ES_FLAVOR" "$d" --watch-pid $$)
	port=${url##*:}
	kgen $n >"$BATS_TEST_TMPDIR/all"
	mkfifo "$fifo" "$acks"
	buffer-spool pass "$sp" --acks "$acks" <"$fifo" 2>"$BATS_TEST_TMPDIR/err" |
		es-bulk $(esb_args "$url") --acks 9 9<>"$acks" 2>"$BATS_TEST_TMPDIR/esb-err" &
	pid=$!
	exec 5>"$fifo"
	head -n 2000 "$BATS_TEST_TMPDIR/all" >&5
	KES_ES_URL=$url WAIT_SECS=60 wait_for count_at_least "$p-*" 1000
	"$KES_TOP/scripts/search-node" stop "$d"
	# the node is down: the producer is never held up, all of it is stored
	tail -n +2001 "$BATS_TEST_TMPDIR/all" >&5
	WAIT_SECS=30 wait_for total_is "$sp" $n
	[ "$(buffer-spool status "$sp" --json | jq .unsynced)" -gt 0 ]
	sleep 2
	url=$("$KES_TOP/scripts/search-node" start "$ES_FLAVOR" "$d" --http-port "$port" --watch-pid $$)
	exec 5>&-
	local rc=0
	WAIT_SECS=180 wait_for bash -c "! kill -0 $pid 2>/dev/null"
	wait "$pid" || rc=$?
	tail -n 3 "$BATS_TEST_TMPDIR/err" "$BATS_TEST_TMPDIR/esb-err"
	[ "$rc" -eq 0 ]
	tail -n1 "$BATS_TEST_TMPDIR/err" | jq -e --argjson n $n '.stored == $n and .acked == $n and .unsynced == 0'
	# nothing lost, nothing twice
	[ "$(KES_ES_URL=$url es_count "$p-*")" -eq $n ]
	[ "$(buffer-spool status "$sp" --json | jq .unsynced)" -eq 0 ]
	[ ! -e "$BATS_TEST_TMPDIR/rejects.ndjson" ]
}

@test "buffer-spool+es-bulk: pass-through with the node stopped for a while then restarted loses and duplicates nothing (sqlite)" { passthrough_case sqlite; }
@test "buffer-spool+es-bulk: pass-through with the node stopped for a while then restarted loses and duplicates nothing (file)" { passthrough_case file; }

kill_case() {
	local p sp i pid victim k=1500 start=1
	p=$(test_prefix)
	sp=$([ "$1" = sqlite ] && echo "--buffer-db=$BATS_TEST_TMPDIR/s.db" || echo "--spool-dir=$BATS_TEST_TMPDIR/sd")
	for i in $(seq 1 20); do
		kgen $k $start >"$BATS_TEST_TMPDIR/in"
		buffer-spool forward "$sp" --restart-delay 0.1 --commit-interval 50 -- \
			es-bulk $(esb_args "$(node_url)") <"$BATS_TEST_TMPDIR/in" 2>>"$BATS_TEST_TMPDIR/err" &
		pid=$!
		sleep "0.$((RANDOM % 10))"
		victim=$(pgrep -P "$pid" -x es-bulk || true)
		if [ $((RANDOM % 2)) = 0 ]; then
			# es-bulk dies: buffer-spool starts another one, resends what was not acked
			[ -z "$victim" ] || kill -9 "$victim" 2>/dev/null || true
			WAIT_SECS=120 wait_for bash -c "! kill -0 $pid 2>/dev/null"
			wait "$pid" || { tail -n 5 "$BATS_TEST_TMPDIR/err"; false; }
		else
			# buffer-spool dies: its es-bulk sees the end of its input and exits
			kill -9 "$pid" 2>/dev/null || true
			wait "$pid" 2>/dev/null || true
			[ -z "$victim" ] || WAIT_SECS=60 wait_for bash -c "! kill -0 $victim 2>/dev/null"
		fi
		start=$((start + k))
	done
	run -0 --separate-stderr buffer-spool drain "$sp" -- es-bulk $(esb_args "$(node_url)")
	echo "$stderr" | tail -n 2
	local total
	total=$(buffer-spool status "$sp" --json | jq '.last_seq')
	[ "$(buffer-spool status "$sp" --json | jq '.unsynced')" -eq 0 ]
	[ "$total" -gt "$k" ]
	# every stored record (distinct by construction) is in the index exactly once
	echo "index: $(es_count "$p-*") spool: $total"
	[ "$(es_count "$p-*")" -eq "$total" ]
	# a kill -9 of buffer-spool in the middle of a write leaves es-bulk a
	# torn last line, which it dead-letters; the whole record was sent again
	if [ -e "$BATS_TEST_TMPDIR/rejects.ndjson" ]; then
		cat "$BATS_TEST_TMPDIR/rejects.ndjson"
		jq -e -s 'all(.error == "invalid_json" and (.line | test("\\}$") | not))' "$BATS_TEST_TMPDIR/rejects.ndjson"
	fi
}

@test "buffer-spool+es-bulk: kill -9 of buffer-spool or es-bulk at random points, 20 rounds: every record indexed exactly once (sqlite)" { kill_case sqlite; }
@test "buffer-spool+es-bulk: kill -9 of buffer-spool or es-bulk at random points, 20 rounds: every record indexed exactly once (file)" { kill_case file; }
