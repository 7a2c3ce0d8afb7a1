#!/usr/bin/env bats
# tests/kismet-tap-load.bats - kismet-tap's request sequence (kismet-tap/sync.c) against the
# replay server's synthetic Kismet (tests/kismet-replay --synthetic): no change missed with
# packet times lagging 0-4 s behind the server clock, counter-only changes found by the
# sweep, no answer above 5,000 devices with 50,000 tracked, a Kismet restart between the
# light scan and the fetch, the lean field list of Wi-Fi clients and a client that starts
# beaconing (asked again whole).  "Missed" = a device whose final state (packet count, once the
# server clock is frozen and kismet-tap had time to settle) never reached the output.

load lib/common
bats_require_minimum_version 1.5.0

KR=$KES_TOP/tests/kismet-replay/kismet-replay
KEY=DC28D8A94C72B85B514483A49BC51BE7
export KISMET_APIKEY=$KEY

start_replay() {
	KR_DIR=${KR_DIR:-$(scratch)}
	rm -f "$KR_DIR/port"
	"$KR" --port 0 --port-file "$KR_DIR/port" --apikey "$KEY" "$@" 2>>"$KR_DIR/replay.err" &
	KR_PID=$!
	wait_for test -s "$KR_DIR/port"
	KR_PORT=$(cat "$KR_DIR/port")
}

start_tap() {
	local out=$1 err=$2
	shift 2
	kismet-tap --kismet-port "$KR_PORT" --events none "$@" >"$out" 2>"$err" &
	TAP_PID=$!
}

stop_tap() {
	kill -TERM "$TAP_PID" 2>/dev/null || true
	for _ in $(seq 100); do kill -0 "$TAP_PID" 2>/dev/null || break; sleep 0.1; done
	TAP_STATUS=0
	wait "$TAP_PID" || TAP_STATUS=$?
	TAP_PID=
}

ctl() { curl -sS -XPOST -d "$2" "http://127.0.0.1:$KR_PORT/_replay/$1" >/dev/null; }
get() { curl -sS "http://127.0.0.1:$KR_PORT/_replay/$1"; }
# device records written so far
records() { [ -s "$1" ] && wc -l <"$1" || echo 0; }
# missed OUT: devices whose current (frozen) server state is not the last one written
# for them in OUT (counters start from zero again after a restart)
missed() {
	get synthetic/devices >"$KR_DIR/final.json"
	jq -n --slurpfile f "$KR_DIR/final.json" --slurpfile o "$1" '
		(reduce ($o[] | select(.record_type == "device")) as $r ({}; .[$r.device_key] = $r.total_packets)) as $m
		| [$f[0][] | select($m[.[0]] != .[1])] | length'
}
# dups OUT: the same device state written twice
dups() { jq -r 'select(.record_type == "device") | [.device_key, .total_packets, .last_seen] | @tsv' "$1" | sort | uniq -d | wc -l; }

teardown() {
	if [ -n "${TAP_PID:-}" ]; then kill -KILL "$TAP_PID" 2>/dev/null || true; wait "$TAP_PID" 2>/dev/null || true; fi
	if [ -n "${KR_PID:-}" ]; then kill "$KR_PID" 2>/dev/null || true; wait "$KR_PID" 2>/dev/null || true; fi
}

@test "kismet-tap live, packet times lagging 0-4 s: the light scans alone (no sweep) miss no change" {
	start_replay --synthetic 1000 --synthetic-changes 150 --synthetic-lag 4
	d=$KR_DIR
	start_tap "$d/out" "$d/err" --update-rate 1 --resync 0 -v
	WAIT_SECS=20 wait_for bash -c "[ \$(wc -l <'$d/out') -ge 1000 ]"
	sleep 3.5
	ctl clock '{"freeze": true}'
	sleep 2
	stop_tap
	[ "$TAP_STATUS" -eq 0 ]
	# the changes came through the light scan + multikey, never a sweep
	! grep -q 'sweep page' "$d/err"
	grep -q 'lag margin 5 s' "$d/err"
	[ "$(get stats | jq .changes)" -ge 500 ]
	n=$(missed "$d/out")
	echo "missed: $n"
	[ "$n" -eq 0 ]
	[ "$(dups "$d/out")" -eq 0 ]
	# the stats line: requests, devices received and written
	grep '"kismet-tap":"stats"' "$d/err" | tail -1 |
		jq -e '.requests > .polls and .scanned > 0 and .devices_in >= .devices_out and .devices_out >= 1300'
}

@test "kismet-tap live: counters that move without a new last_time reach the output through the sweep" {
	start_replay --synthetic 1000 --synthetic-rx-only 40
	d=$KR_DIR
	start_tap "$d/out" "$d/err" --update-rate 0.5 --resync 2 -v
	WAIT_SECS=20 wait_for bash -c "[ \$(wc -l <'$d/out') -ge 1000 ]"
	sleep 3
	ctl clock '{"freeze": true}'
	sleep 3
	stop_tap
	[ "$TAP_STATUS" -eq 0 ]
	grep -q 'sweep page' "$d/err"
	[ "$(get stats | jq .rx_only_changes)" -ge 80 ]
	n=$(missed "$d/out")
	echo "missed: $n"
	[ "$n" -eq 0 ]
	[ "$(records "$d/out")" -gt 1100 ]
}

@test "kismet-tap live with 50,000 devices: no answer holds more than 5,000 devices, nothing missed" {
	# (counter-only changes: the test above; here the sweep runs for its page size)
	start_replay --synthetic 50000 --synthetic-changes 200 --synthetic-lag 3
	d=$KR_DIR
	start_tap "$d/out" "$d/err" --update-rate 1 --resync 4
	WAIT_SECS=60 wait_for bash -c "[ \$(wc -l <'$d/out') -ge 50000 ]"
	sleep 2.5
	ctl clock '{"freeze": true}'
	sleep 2.5
	stop_tap
	[ "$TAP_STATUS" -eq 0 ]
	get stats | tee /dev/stderr | jq -e '.largest <= 5000 and .largest >= 1000 and .objects >= 50000'
	n=$(missed "$d/out")
	echo "missed: $n"
	[ "$n" -eq 0 ]
}

@test "kismet-tap live: Kismet restarts between the light scan and the fetch: reconnect, nothing missed, no duplicate" {
	start_replay --synthetic 1000 --synthetic-changes 100 --synthetic-lag 3 --synthetic-rx-only 10
	d=$KR_DIR
	start_tap "$d/out" "$d/err" --update-rate 0.5 --resync 2
	WAIT_SECS=20 wait_for bash -c "[ \$(wc -l <'$d/out') -ge 1100 ]"
	# the next multikey request finds a restarted Kismet: its connection dies unanswered
	ctl fault '{"restart_on": "/devices/multikey/", "down": 1}'
	WAIT_SECS=20 wait_for grep -q 'reachable again' "$d/err"
	[ "$(get state | jq .restarted_at)" != null ]
	sleep 1
	ctl clock '{"freeze": true}'
	sleep 3
	stop_tap
	cat "$d/err"
	[ "$TAP_STATUS" -eq 0 ]
	grep -q 'connection lost' "$d/err"
	n=$(missed "$d/out")
	echo "missed: $n"
	[ "$n" -eq 0 ]
	[ "$(jq 'length' "$d/final.json")" -ge 100 ]
	[ "$(dups "$d/out")" -eq 0 ]
}

@test "kismet-tap live: Wi-Fi clients are fetched with the lean field list; one that starts beaconing is asked again whole; every last record equals --once's" {
	start_replay --synthetic 500 --synthetic-changes 50 --synthetic-lag 2
	d=$KR_DIR
	start_tap "$d/out" "$d/err" --update-rate 0.5 --resync 0 -v
	WAIT_SECS=20 wait_for bash -c "[ \$(wc -l <'$d/out') -ge 500 ]"
	sleep 2
	# five clients start beaconing: from now on the replay server answers them as the
	# recorded AP (a beaconed SSID record, associated clients)
	curl -sS -XPOST -d '{"beacon": 5}' "http://127.0.0.1:$KR_PORT/_replay/synthetic" | jq -r '.beaconed[]' >"$d/beaconed"
	[ "$(wc -l <"$d/beaconed")" -eq 5 ]
	sleep 3
	ctl clock '{"freeze": true}'
	sleep 2
	stop_tap
	[ "$TAP_STATUS" -eq 0 ]
	grep -q 'changed devices (Wi-Fi client field list)' "$d/err"
	# each of the five was answered lean once, held back, and asked again whole
	[ "$(grep -oE '[0-9]+ devices changed kind' "$d/err" | awk '{n += $1} END {print n + 0}')" -eq 5 ]
	while read -r k; do
		jq -e -s --arg k "$k" '[.[] | select(.device_key == $k)] | last
			| (.ssid | type) == "string" and (.ssid_cloaked | type) == "boolean"
			and .clients >= 1 and (.associated_clients | length) == .clients' "$d/out"
	done <"$d/beaconed"
	# nothing the lean list leaves out is missing: the last record of every device is the
	# one the whole field list gives on the frozen state
	kismet-tap --kismet-port "$KR_PORT" --once >"$d/once"
	[ "$(wc -l <"$d/once")" -eq 500 ]
	last_records_match "$d/out" "$d/once"
}
