#!/usr/bin/env bats
# tests/e2e-chaos.bats - the full live pipeline under chaos:
#
#   replay server (--speed 600/KES_CHAOS_SECONDS) -> kismet-tap -> relay -> emitted.ndjson
#        -> tail -f -> buffer-spool forward (SQLite) -> es-bulk (its child) -> node
#
# 10 minutes of simulated capture in about 2 minutes of wall time, while
#   - kismet-tap, buffer-spool and es-bulk are killed with SIGKILL at random
#     moments (>= 20 kills); bash loops restart kismet-tap and buffer-spool as a
#     supervisor would, buffer-spool forward restarts es-bulk itself;
#   - the node is stopped for ~30 s and started again, twice (same DIR, same
#     HTTP port: scripts/search-node start ... --http-port);
#   - the replay server restarts once (control API: an emulated Kismet restart).
# At the end, after a drain: the set of (_index, _id) in the indices equals the
# set es-bulk --dry-run computes from the lines kismet-tap emitted, nothing is
# lost or duplicated, and the counters conserve.  A report line goes to fd 3.
#
# How "what kismet-tap emitted" is kept exact: kismet-tap writes into a pipe
# to a small relay (not killed) that appends only complete lines, one write
# each, to emitted.ndjson (a kill -9 of kismet-tap mid-line loses only its
# partial line, which never reached anyone).  buffer-spool reads that file
# with `tail -n +K -f`, K-1 being the number of records its spool holds when
# it is (re)started, so that each emitted line reaches the spool exactly once
# (a kill -9 of buffer-spool loses only uncommitted records, documented in
# buffer-spool(1), and the supervisor feeds them again).
#
# kes: needs-node
# kes: default-flavours opensearch3
# (about 3 minutes a run: once in `make test`, on OpenSearch 3; CI's ASan
# pass runs it on Elasticsearch 8; see README's Tests section)
# Marked needs-node so that tests/run runs it once per flavour, but the test
# stops and restarts its node, so it starts its own node of that flavour
# ($ES_FLAVOR, or $KES_CHAOS_FLAVOR; default elasticsearch) instead of using
# the shared one: about 2.5 minutes per flavour.  KES_CHAOS_SECONDS changes
# the wall time (default 120, and no less: the node outages are scheduled at
# 15-45 s and 70-100 s); the replay speed follows, so that every run covers
# 10 minutes of simulated capture.
load lib/common
load lib/node

bats_require_minimum_version 1.5.0

KR=$KES_TOP/tests/kismet-replay/kismet-replay
SN=$KES_TOP/scripts/search-node
KEY=DC28D8A94C72B85B514483A49BC51BE7
export KISMET_APIKEY=$KEY

# relay FILE: append complete lines of stdin to FILE, one write(2) per line
RELAY='import sys
out = open(sys.argv[1], "ab", buffering=0)
for line in sys.stdin.buffer:
    if line.endswith(b"\n"):
        out.write(line)'

setup() {
	W=$(scratch)
	: >"$W/emitted.ndjson"
}

teardown() {
	touch "$W/stop"
	local p f
	for f in tap_loop spool_loop tap spool tail; do
		[ -s "$W/$f.pid" ] && kill -KILL "$(cat "$W/$f.pid")" 2>/dev/null
	done
	# every es-bulk the test saw (children of buffer-spool, also orphans)
	if [ -s "$W/esb.pids" ]; then
		for p in $(sort -u "$W/esb.pids"); do
			[ "$(cat "/proc/$p/comm" 2>/dev/null)" = es-bulk ] && kill -KILL "$p" 2>/dev/null
		done
	fi
	[ -n "${KR_PID:-}" ] && kill "$KR_PID" 2>/dev/null && wait "$KR_PID" 2>/dev/null
	[ -n "${NODE_DIR:-}" ] && "$SN" stop "$NODE_DIR" >/dev/null 2>&1 && rm -rf "$NODE_DIR"
	true
}

# records held by the spool (rows of the three tables)
spool_rows() {
	[ -f "$W/spool.db" ] || { echo 0; return; }
	sqlite3 "$W/spool.db" "SELECT (SELECT COUNT(*) FROM device_buffer) + (SELECT COUNT(*) FROM event_buffer) + (SELECT COUNT(*) FROM other_buffer)"
}

esb_args() {
	echo "--es-hosts $URL --index-prefix $P --dead-letter $W/rejects.ndjson --batch-size 200 --flush-interval 0.3 --connect-timeout 2 --timeout 15"
}

# The supervisors run in background subshells: bats' errexit and ERR trap are
# turned off there (a killed child's status 137 must not end the loop).

# supervisor of kismet-tap: restart on exit
tap_loop() {
	trap - ERR
	set +eE
	while [ ! -e "$W/stop" ]; do
		{ echo "$BASHPID" >"$W/tap.pid"; exec kismet-tap --kismet-port "$KR_PORT" --update-rate 1 \
			--events NEW_DEVICE,ALERT,MESSAGE 2>>"$W/tap.err"; } |
			python3 -c "$RELAY" "$W/emitted.ndjson"
		echo "$(date +%s.%N) kismet-tap ended" >>"$W/sup.log"
		sleep 0.2
	done
}

# supervisor of buffer-spool forward: restart on exit, fed from where its spool ends
spool_loop() {
	local k tailpid rc
	trap - ERR
	set +eE
	while [ ! -e "$W/stop" ]; do
		k=$(spool_rows) || k=
		if [ -z "$k" ]; then sleep 0.2; continue; fi
		rm -f "$W/in.fifo"
		mkfifo "$W/in.fifo"
		tail -n +$((k + 1)) -f "$W/emitted.ndjson" >"$W/in.fifo" &
		tailpid=$!
		echo "$tailpid" >"$W/tail.pid"
		# shellcheck disable=SC2046
		buffer-spool forward --buffer-db "$W/spool.db" --commit-interval 100 --restart-delay 0.2 \
			--stop-timeout 5 -- es-bulk $(esb_args) <"$W/in.fifo" 2>>"$W/spool.err" &
		echo "$!" >"$W/spool.pid"
		wait "$!"
		rc=$?
		echo "$(date +%s.%N) buffer-spool ended ($rc) after starting at line $((k + 1))" >>"$W/sup.log"
		kill "$tailpid" 2>/dev/null
		wait "$tailpid" 2>/dev/null
		sleep 0.2
	done
}

alive() { [ -s "$W/$1.pid" ] && kill -0 "$(cat "$W/$1.pid")" 2>/dev/null; }
esb_child() { [ -s "$W/spool.pid" ] && pgrep -P "$(cat "$W/spool.pid")" -x es-bulk | head -n 1; }

@test "chaos: >= 20 kill -9 of kismet-tap, buffer-spool and es-bulk, node down twice, Kismet restart: every emitted record indexed once" {
	local flavor=${KES_CHAOS_FLAVOR:-${ES_FLAVOR:-elasticsearch}} secs=${KES_CHAOS_SECONDS:-120}
	local speed=$(( (600 + secs - 1) / secs ))
	local runner=$BASHPID t0 now el port
	P=kt-chaos-$$
	# our own node, stoppable; stopped by PID in teardown (and by its watchdog)
	NODE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/kes-chaos-node.XXXXXX")
	URL=$("$SN" start "$flavor" "$NODE_DIR" --watch-pid "$runner")
	export KES_ES_URL=$URL
	port=${URL##*:}
	"$KR" --port 0 --port-file "$W/kr.port" --apikey "$KEY" --speed "$speed" 2>>"$W/replay.err" &
	KR_PID=$!
	wait_for test -s "$W/kr.port"
	KR_PORT=$(cat "$W/kr.port")

	tap_loop &
	echo "$!" >"$W/tap_loop.pid"
	spool_loop &
	echo "$!" >"$W/spool_loop.pid"

	local kills=0 k_tap=0 k_spool=0 k_esb=0 next_kill node_stops=0 node_starts=0 kr_restarts=0
	local node_start_pid="" victim pid
	t0=$(date +%s)
	next_kill=$((t0 + 3))
	while :; do
		now=$(date +%s)
		el=$((now - t0))
		[ "$el" -lt "$secs" ] || break
		pid=$(esb_child) && [ -n "$pid" ] && echo "$pid" >>"$W/esb.pids"
		# node down at 15 s and 70 s, back ~30 s later (start takes its own time)
		if { [ "$el" -ge 15 ] && [ "$node_stops" -eq 0 ]; } || { [ "$el" -ge 70 ] && [ "$node_stops" -eq 1 ]; }; then
			"$SN" stop "$NODE_DIR"
			node_stops=$((node_stops + 1))
			echo "$(date +%s.%N) node stopped" >>"$W/sup.log"
		fi
		if { [ "$el" -ge 45 ] && [ "$node_starts" -eq 0 ]; } || { [ "$el" -ge 100 ] && [ "$node_starts" -eq 1 ]; }; then
			"$SN" start "$flavor" "$NODE_DIR" --http-port "$port" --watch-pid "$runner" >"$W/node.url" 2>"$W/node.err" &
			node_start_pid=$!
			node_starts=$((node_starts + 1))
			echo "$(date +%s.%N) node starting" >>"$W/sup.log"
		fi
		if [ "$el" -ge 55 ] && [ "$kr_restarts" -eq 0 ]; then
			curl -sS -XPOST -d '{"restart":true}' "http://127.0.0.1:$KR_PORT/_replay/fault" >/dev/null
			kr_restarts=1
			echo "$(date +%s.%N) replay restarted" >>"$W/sup.log"
		fi
		if [ "$now" -ge "$next_kill" ]; then
			victim=$((RANDOM % 3))
			pid=
			case $victim in
				0) alive tap && pid=$(cat "$W/tap.pid") ;;
				1) alive spool && pid=$(cat "$W/spool.pid") ;;
				2) pid=$(esb_child) ;;
			esac
			if [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; then
				kills=$((kills + 1))
				case $victim in 0) k_tap=$((k_tap + 1)) ;; 1) k_spool=$((k_spool + 1)) ;; 2) k_esb=$((k_esb + 1)) ;; esac
				echo "$(date +%s.%N) kill -9 $pid (victim $victim)" >>"$W/sup.log"
			fi
			next_kill=$((now + 2 + RANDOM % 3))
		fi
		sleep 0.3
	done

	# the end of the capture: stop the supervisors and the producers
	touch "$W/stop"
	alive tap && kill -TERM "$(cat "$W/tap.pid")"
	WAIT_SECS=20 wait_for bash -c "! kill -0 $(cat "$W/tap_loop.pid") 2>/dev/null"
	[ -z "$node_start_pid" ] || wait "$node_start_pid"
	"$SN" status "$NODE_DIR"
	[ "$(cat "$W/node.url")" = "$URL" ]
	# buffer-spool: SIGTERM persists what it read; then the catch-up and the drain
	alive spool && kill -TERM "$(cat "$W/spool.pid")"
	WAIT_SECS=40 wait_for bash -c "! kill -0 $(cat "$W/spool_loop.pid") 2>/dev/null"
	local k n
	k=$(spool_rows)
	n=$(wc -l <"$W/emitted.ndjson")
	echo "emitted $n, spool $k before the catch-up"
	tail -n +$((k + 1)) "$W/emitted.ndjson" | buffer-spool store --buffer-db "$W/spool.db"
	# shellcheck disable=SC2046
	run -0 --separate-stderr buffer-spool drain --buffer-db "$W/spool.db" -- es-bulk $(esb_args)
	echo "$stderr" | tail -n 3
	local el_total=$(($(date +%s) - t0))
	# orphaned es-bulks (their buffer-spool was killed) finish by themselves
	if [ -s "$W/esb.pids" ]; then
		for pid in $(sort -u "$W/esb.pids"); do
			WAIT_SECS=30 wait_for bash -c "[ \"\$(cat /proc/$pid/comm 2>/dev/null)\" != es-bulk ]"
		done
	fi

	# the chaos happened
	echo "kills $kills (kismet-tap $k_tap, buffer-spool $k_spool, es-bulk $k_esb)"
	[ "$kills" -ge 20 ]
	[ "$k_tap" -ge 2 ] && [ "$k_spool" -ge 2 ] && [ "$k_esb" -ge 2 ]
	[ "$node_stops" -eq 2 ] && [ "$node_starts" -eq 2 ] && [ "$kr_restarts" -eq 1 ]
	[ "$(grep -c 'kismet-tap ended' "$W/sup.log")" -ge "$k_tap" ]
	[ "$(grep -c 'buffer-spool ended' "$W/sup.log")" -ge "$k_spool" ]
	# at least 10 minutes of simulated capture
	[ "$(curl -sS "http://127.0.0.1:$KR_PORT/_replay/state" | jq '.virtual_time - .run_start | floor')" -ge 600 ]
	[ "$n" -gt 100 ]

	# the spool got every emitted line exactly once, in order, and all is synced
	[ "$(spool_rows)" -eq "$n" ]
	diff "$W/emitted.ndjson" <(sqlite3 "$W/spool.db" "SELECT record FROM (SELECT seq, record FROM device_buffer UNION ALL SELECT seq, record FROM event_buffer UNION ALL SELECT seq, record FROM other_buffer) ORDER BY seq")
	buffer-spool status --buffer-db "$W/spool.db" --json |
		jq -e --argjson n "$n" '.total == $n and .unsynced == 0 and .last_seq == $n and .synced_upto == $n'
	# counters conserve (the final drain): read = indexed + dead_lettered + pending
	grep '"es-bulk":"final"' <<<"$stderr" | tail -n 1 |
		jq -e '.read == .indexed + .dead_lettered + .pending and .pending == 0 and .dead_lettered == 0'
	tail -n 1 <<<"$stderr" | jq -e '.sent == .acked and .unsynced == 0'

	# the indices hold exactly the ids computed from the emitted lines
	es-bulk --dry-run --index-prefix "$P" "$W/emitted.ndjson" 2>/dev/null |
		jq -r 'select(.index) | "\(.index._index) \(.index._id)"' | sort -u >"$W/ids.exp"
	es_refresh "$P-*"
	local body sid
	body=$(curl -sS --fail-with-body -H 'Content-Type: application/json' \
		"$URL/$P-*/_search?scroll=1m&size=5000" -d '{"_source":false,"query":{"match_all":{}}}')
	while [ "$(jq '.hits.hits | length' <<<"$body")" -gt 0 ]; do
		jq -r '.hits.hits[] | "\(._index) \(._id)"' <<<"$body"
		sid=$(jq -r '._scroll_id' <<<"$body")
		body=$(curl -sS --fail-with-body -H 'Content-Type: application/json' \
			"$URL/_search/scroll" -d "{\"scroll\":\"1m\",\"scroll_id\":\"$sid\"}")
	done | sort >"$W/ids.got"
	local exp got lost dup docs
	exp=$(wc -l <"$W/ids.exp")
	got=$(sort -u "$W/ids.got" | wc -l)
	docs=$(es_count "$P-*")
	lost=$(comm -23 "$W/ids.exp" <(sort -u "$W/ids.got") | wc -l)
	dup=$(( $(comm -13 "$W/ids.exp" <(sort -u "$W/ids.got") | wc -l) + docs - got ))
	echo "# chaos ($flavor): kills=$kills (kismet-tap $k_tap, buffer-spool $k_spool, es-bulk $k_esb)" \
		"node_stops=$node_stops replay_restarts=$kr_restarts records=$n distinct=$exp docs=$docs" \
		"duration=${el_total}s lost=$lost dup=$dup" >&3
	[ "$lost" -eq 0 ]
	[ "$dup" -eq 0 ]
	[ "$docs" -eq "$exp" ]
	diff "$W/ids.exp" "$W/ids.got"
	# what es-bulk dead-lettered during the chaos are only lines torn by a kill -9
	# of buffer-spool (the whole line was sent again and is indexed)
	if [ -e "$W/rejects.ndjson" ]; then
		jq -e -s 'all(.error == "invalid_json" and (.line | test("\\}$") | not))' "$W/rejects.ndjson"
	fi
	curl -sS -XDELETE "$URL/$P-*" >/dev/null
}
