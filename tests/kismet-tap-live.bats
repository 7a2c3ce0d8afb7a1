#!/usr/bin/env bats
# tests/kismet-tap-live.bats - kismet-tap against the Kismet replay server
# (tests/kismet-replay/kismet-replay, the recorded Kismet 2025-09-R1): --once, the live
# loop (polls + eventbus), restarts, auth, EPIPE, a stalled reader, signals.  Expected
# device values are computed independently by jq (tests/kismet-tap-map.jq) from the raw
# recordings in tests/data/kismet.

load lib/common
bats_require_minimum_version 1.5.0

KR=$KES_TOP/tests/kismet-replay/kismet-replay
KEY=DC28D8A94C72B85B514483A49BC51BE7
SENSOR=74DAB15A-E9A4-11F1-8C91-4B49534D4554
FINAL=$KES_DATA/kismet/rest_final
DB=$KES_DATA/kismet/kismetdb/field-sample.kismet
MAPJQ=$BATS_TEST_DIRNAME/kismet-tap-map.jq
NOW_FINAL=1795704347
export KISMET_APIKEY=$KEY

# start_replay [options...]: a replay server on a free port; sets KR_PID KR_PORT KR_DIR
start_replay() {
	KR_DIR=${KR_DIR:-$(scratch)}
	rm -f "$KR_DIR/port"
	"$KR" --port "${KR_FORCE_PORT:-0}" --port-file "$KR_DIR/port" --apikey "$KEY" "$@" \
		2>>"$KR_DIR/replay.err" &
	KR_PID=$!
	wait_for test -s "$KR_DIR/port"
	KR_PORT=$(cat "$KR_DIR/port")
}

stop_replay() {
	if [ -n "${KR_PID:-}" ]; then
		kill "$KR_PID" 2>/dev/null || true
		wait "$KR_PID" 2>/dev/null || true
		KR_PID=
	fi
}

# start_tap OUT ERR [options...]: kismet-tap in the background; sets TAP_PID
start_tap() {
	local out=$1 err=$2
	shift 2
	kismet-tap --kismet-port "$KR_PORT" "$@" >"$out" 2>"$err" &
	TAP_PID=$!
}

# stop_tap: SIGTERM, wait at most 10 s; sets TAP_STATUS
stop_tap() {
	kill -TERM "$TAP_PID" 2>/dev/null || true
	for _ in $(seq 100); do kill -0 "$TAP_PID" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$TAP_PID" 2>/dev/null || true
	TAP_STATUS=0
	wait "$TAP_PID" || TAP_STATUS=$?
	TAP_PID=
}

ctl() { curl -sS -XPOST -d "$2" "http://127.0.0.1:$KR_PORT/_replay/$1" >/dev/null; }
lines() { [ -s "$1" ] && wc -l <"$1" || echo 0; }
# device-state lines seen twice (the same record: a change in any field is a new state,
# e.g. an AP gaining a client without a new packet of its own)
dups() { jq -S -c 'select(.record_type == "device")' "$1" | sort | uniq -d | wc -l; }

teardown() {
	if [ -n "${TAP_PID:-}" ]; then kill -KILL "$TAP_PID" 2>/dev/null || true; wait "$TAP_PID" 2>/dev/null || true; fi
	stop_replay
}

@test "kismet-tap --once: every device of the final snapshot, values as computed by jq" {
	start_replay --start-time $NOW_FINAL --freeze
	run --separate-stderr kismet-tap --once --kismet-port "$KR_PORT"
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" | jq -S -c . | sort >"$KR_DIR/got"
	jq -c '.[]' "$FINAL/devices_views_all.json" | jq -c --arg sensor "$SENSOR" -f "$MAPJQ" |
		jq -S -c . | sort >"$KR_DIR/exp"
	[ "$(wc -l <"$KR_DIR/exp")" -eq 59 ]
	diff "$KR_DIR/exp" "$KR_DIR/got"
	# the garbage-avg_loc devices (README 0.9): location from 'last', i.e. the real one
	macs=$(jq -r '.[] | select(."kismet.device.base.location"."kismet.common.location.avg_loc"."kismet.common.location.geopoint" as $g
		| $g != null and ($g[1] | fabs) == 90 or ($g != null and ($g[0] | fabs) == 90))
		| ."kismet.device.base.macaddr" | ascii_downcase' "$FINAL/devices_views_all.json")
	[ "$(echo "$macs" | wc -w)" -eq 4 ]
	for m in $macs; do
		jq -e -s --arg m "$m" 'map(select(.mac_addr == $m)) | length == 1 and (.[0] | .location == {"lat": 47.6062, "lon": -122.3321} and .altitude == 56.5)' "$KR_DIR/got"
	done
	# the no-radiotap devices (signal type "none"): no signal, noise or snr at all
	nr=$(jq -r '.[] | select(."kismet.device.base.signal"."kismet.common.signal.type" == "none") | ."kismet.device.base.macaddr" | ascii_downcase' "$FINAL/devices_views_all.json")
	[ "$(echo "$nr" | wc -w)" -gt 0 ]
	for m in $nr; do
		jq -e -s --arg m "$m" 'map(select(.mac_addr == $m)) | length == 1 and (.[0] | has("signal_dbm") or has("noise_dbm") or has("snr_db") | not)' "$KR_DIR/got"
	done
	# the Wi-Fi fields came through Kismet's field simplification (no full objects asked)
	jq -e -s 'any(.[]; has("encryption")) and any(.[]; has("associated_clients")) and any(.[]; has("seen_by"))' "$KR_DIR/got"
	# --probed-ssids asks Kismet for the probed SSID map too, and only then
	run --separate-stderr kismet-tap --once --probed-ssids --kismet-port "$KR_PORT"
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" | jq -S -c . | sort >"$KR_DIR/got.p"
	jq -c '.[]' "$FINAL/devices_views_all.json" | jq -c --arg sensor "$SENSOR" --arg probed 1 -f "$MAPJQ" |
		jq -S -c . | sort >"$KR_DIR/exp.p"
	diff "$KR_DIR/exp.p" "$KR_DIR/got.p"
	jq -e -s 'map(select(has("probed_ssids"))) | length > 0' "$KR_DIR/got.p"
	! grep -q probed_ssids "$KR_DIR/got"
}

@test "kismet-tap --once --since 30: Kismet read the JSON body (last_time >= boundary)" {
	start_replay --start-time $NOW_FINAL --freeze
	run --separate-stderr kismet-tap --once --since 30 --kismet-port "$KR_PORT"
	[ "$status" -eq 0 ]
	exp=$(jq --argjson ts $((NOW_FINAL - 30)) '[.[] | select(."kismet.device.base.last_time" >= $ts)] | length' "$FINAL/devices_views_all.json")
	[ "$exp" -eq 5 ]
	[ "$(printf '%s\n' "$output" | wc -l)" -eq "$exp" ]
	printf '%s\n' "$output" | jq -e --argjson ts $((NOW_FINAL - 30)) '.last_seen >= $ts'
}

@test "kismet-tap --once and --kismetdb give the same records for the same devices" {
	start_replay --start-time 1795704450 --freeze
	run --separate-stderr kismet-tap --once --kismet-port "$KR_PORT"
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" | jq -S -c . | sort >"$KR_DIR/once"
	kismet-tap --kismetdb "$DB" 2>/dev/null | jq -S -c . | sort >"$KR_DIR/db"
	[ "$(wc -l <"$KR_DIR/db")" -eq 64 ]
	diff "$KR_DIR/db" "$KR_DIR/once"
}

@test "kismet-tap: 401 (wrong key or refused credentials) gives exit 77 with a clear message" {
	start_replay --start-time $NOW_FINAL --freeze
	run env KISMET_APIKEY=0123456789ABCDEF0123456789ABCDEF kismet-tap --once --kismet-port "$KR_PORT"
	[ "$status" -eq 77 ]
	[[ "$output" == *"401"* ]]
	[[ "$output" != *"0123456789ABCDEF"* ]]
	# the live loop too, and no key at all
	run env -u KISMET_APIKEY timeout 20 kismet-tap --kismet-port "$KR_PORT"
	[ "$status" -eq 77 ]
	stop_replay
	start_replay --start-time $NOW_FINAL --freeze --fault-401
	run timeout 20 kismet-tap --kismet-port "$KR_PORT"
	[ "$status" -eq 77 ]
}

@test "kismet-tap: HTTP basic auth from a password file, API key from a file" {
	d=$(scratch)
	start_replay --start-time $NOW_FINAL --freeze --user kismet --password 's3cret pw'
	printf 's3cret pw\n' >"$d/pw"; chmod 600 "$d/pw"
	run --separate-stderr env -u KISMET_APIKEY kismet-tap --once --kismet-port "$KR_PORT" \
		--kismet-username kismet --kismet-password-file "$d/pw"
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 59 ]
	printf '%s\n' "$KEY" >"$d/key"; chmod 600 "$d/key"
	run --separate-stderr env -u KISMET_APIKEY kismet-tap --once --kismet-port "$KR_PORT" --kismet-apikey-file "$d/key"
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 59 ]
	printf 'wrong\n' >"$d/pw"
	run env -u KISMET_APIKEY kismet-tap --once --kismet-port "$KR_PORT" \
		--kismet-username kismet --kismet-password-file "$d/pw"
	[ "$status" -eq 77 ]
}

@test "kismet-tap live: device updates and eventbus events land as records; SIGTERM exits 0 with stats" {
	start_replay --start-offset 95 --speed 10
	d=$KR_DIR
	start_tap "$d/out" "$d/err" --update-rate 0.5 --events NEW_DEVICE,ALERT,MESSAGE
	WAIT_SECS=30 wait_for bash -c "jq -e -s 'map(select(.event_type == \"NEW_DEVICE\")) | length >= 3' '$d/out' >/dev/null 2>&1"
	WAIT_SECS=30 wait_for bash -c "jq -e -s 'map(select(.event_type == \"ALERT\")) | length >= 1' '$d/out' >/dev/null 2>&1"
	stop_tap
	cat "$d/err"
	[ "$TAP_STATUS" -eq 0 ]
	grep -q '"kismet-tap":"stats"' "$d/err"
	[ "$(jq -s 'map(select(.record_type == "device")) | length' "$d/out")" -ge 40 ]
	# event records: shape and values
	jq -e -s 'map(select(.record_type == "event")) | all(.[]; .sensor == "'"$SENSOR"'"
		and (.event_type | IN("NEW_DEVICE", "ALERT", "MESSAGE"))
		and (.timestamp | test("\\.[0-9]{3}Z$")))' "$d/out"
	jq -e -s 'map(select(.event_type == "NEW_DEVICE")) | all(.[]; .device_mac == .event_data.mac_addr
		and .event_data.record_type == "device" and (.device_mac | test("^[0-9a-f:]+$")))' "$d/out"
	jq -e -s 'map(select(.event_type == "ALERT")) | all(.[]; (has("device_mac") | not)
		or .device_mac == (.event_data."kismet.alert.transmitter_mac" | ascii_downcase)
		or .device_mac == (.event_data."kismet.alert.source_mac" | ascii_downcase))' "$d/out"
	# a NEW_DEVICE's record equals the jq mapping of the recorded full NEW_DEVICE event
	m=$(jq -r -s 'map(select(.event_type == "NEW_DEVICE"))[0].device_mac' "$d/out")
	jq -c --arg m "$m" 'select(has("NEW_DEVICE")) | .NEW_DEVICE | select((."kismet.device.base.macaddr" | ascii_downcase) == $m)' \
		"$KES_DATA/kismet/eventbus/eventbus_ws.ndjson" | head -1 | jq -S -c --arg sensor "$SENSOR" -f "$MAPJQ" >"$d/exp"
	jq -S -c --arg m "$m" 'select(.event_type == "NEW_DEVICE" and .device_mac == $m) | .event_data' "$d/out" | head -1 >"$d/got"
	diff "$d/exp" "$d/got"
	[ "$(dups "$d/out")" -eq 0 ]
	# every ALERT from the eventbus: its alert object and location as jq computes them from
	# the payload kismet-tap received (kept in event_data)
	jq -c 'select(.event_type == "ALERT") | .event_data' "$d/out" |
		jq -S -c -f "$BATS_TEST_DIRNAME/kismet-tap-alert.jq" >"$d/alerts.exp"
	jq -S -c 'select(.event_type == "ALERT") | {alert, location, latitude, longitude, altitude}
		| with_entries(select(.value != null))' "$d/out" >"$d/alerts.got"
	[ "$(wc -l <"$d/alerts.got")" -ge 1 ]
	diff "$d/alerts.exp" "$d/alerts.got"
	# and those payloads are the recorded ones, verbatim
	jq -c 'select(has("ALERT")) | .ALERT' "$KES_DATA/kismet/eventbus/eventbus_ws.ndjson" | jq -S -c . | sort -u >"$d/rec"
	jq -c 'select(.event_type == "ALERT") | .event_data' "$d/out" | jq -S -c . | sort -u >"$d/sent"
	[ "$(comm -13 "$d/rec" "$d/sent" | wc -l)" -eq 0 ]
}

@test "kismet-tap live over the recording: the last record of every device equals --once's on the final state (the lean field lists lose nothing)" {
	start_replay --start-offset 95 --speed 10
	d=$KR_DIR
	# (--resync 2: counters that moved without a new last_time come with the sweep)
	start_tap "$d/out" "$d/err" --update-rate 0.5 --resync 2 --events none -v
	WAIT_SECS=60 wait_for bash -c "curl -sS http://127.0.0.1:$KR_PORT/_replay/state | jq -e '.virtual_time >= $NOW_FINAL + 10' >/dev/null"
	ctl clock '{"freeze": true}'
	sleep 5
	stop_tap
	[ "$TAP_STATUS" -eq 0 ]
	# clients changed after the first sync were fetched with the lean list
	grep -q 'changed devices (Wi-Fi client field list)' "$d/err"
	kismet-tap --kismet-port "$KR_PORT" --once >"$d/once"
	[ "$(wc -l <"$d/once")" -ge 50 ]
	last_records_match "$d/out" "$d/once"
}

@test "kismet-tap live: a key of Kismet's read-only role is all it needs (polls and eventbus); admin routes refuse that key" {
	local admin=0123456789ABCDEF0123456789ABCDEF
	start_replay --start-offset 95 --speed 10 --admin-apikey "$admin"
	d=$KR_DIR
	# $KEY has the read-only role: refused where Kismet wants admin, unlike the admin key
	[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$KR_PORT/auth/apikey/list.json?KISMET=$KEY")" -eq 401 ]
	[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$KR_PORT/auth/apikey/list.json?KISMET=$admin")" -eq 200 ]
	KISMET_APIKEY=$KEY start_tap "$d/out" "$d/err" --update-rate 0.5 --events NEW_DEVICE,ALERT,MESSAGE
	WAIT_SECS=30 wait_for bash -c "jq -e -s 'map(select(.record_type == \"event\")) | length >= 3' '$d/out' >/dev/null 2>&1"
	WAIT_SECS=30 wait_for bash -c "jq -e -s 'map(select(.record_type == \"device\")) | length >= 40' '$d/out' >/dev/null 2>&1"
	stop_tap
	cat "$d/err"
	[ "$TAP_STATUS" -eq 0 ]
	! grep -qi '401\|refused\|forbidden' "$d/err"
}

@test "kismet-tap live: Kismet restarts mid-run -> no gap and no duplicate device-state lines" {
	start_replay --start-offset 95 --speed 5
	d=$KR_DIR
	start_tap "$d/out" "$d/err" --update-rate 0.3 --events NEW_DEVICE
	WAIT_SECS=20 wait_for bash -c "[ \$(wc -l <'$d/out') -ge 30 ]"
	# a real restart: kill, port refused for a while, then a new process at the same time
	vt=$(curl -sS "http://127.0.0.1:$KR_PORT/_replay/state" | jq .virtual_time)
	stop_replay
	sleep 2
	KR_FORCE_PORT=$KR_PORT start_replay --start-time "$(jq -n "$vt + 10" )" --speed 5
	WAIT_SECS=30 wait_for grep -q 'reachable again' "$d/err"
	sleep 3
	ctl clock '{"freeze": true}'
	sleep 2
	stop_tap
	cat "$d/err"
	[ "$TAP_STATUS" -eq 0 ]
	grep -q 'connection lost' "$d/err"
	[ "$(grep -c 'connection lost' "$d/err")" -le 2 ]
	[ "$(dups "$d/out")" -eq 0 ]
	# no gap: every device state of the (frozen) server now is in the live output
	run --separate-stderr kismet-tap --once --kismet-port "$KR_PORT"
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | wc -l)" -ge 40 ]
	# (by last_seen: a packet counter that moved without a new last_time needs a full
	# poll, --resync, which is 60 s away here)
	printf '%s\n' "$output" | jq -c '{mac_addr, last_seen}' | sort >"$d/now"
	jq -c 'select(.record_type == "device") | {mac_addr, last_seen}' "$d/out" | sort -u >"$d/live"
	missing=$(comm -23 "$d/now" "$d/live" | wc -l)
	echo "missing: $missing"
	comm -23 "$d/now" "$d/live"
	[ "$missing" -eq 0 ]
}

@test "kismet-tap live: an emulated Kismet restart (sockets dropped, devices re-seen): no duplicates" {
	start_replay --start-offset 95 --speed 5
	d=$KR_DIR
	start_tap "$d/out" "$d/err" --update-rate 0.3 --events NEW_DEVICE,ALERT
	WAIT_SECS=20 wait_for grep -q 'eventbus: connected' "$d/err"
	WAIT_SECS=20 wait_for bash -c "[ \$(wc -l <'$d/out') -ge 30 ]"
	ctl fault '{"restart": true}'
	WAIT_SECS=20 wait_for bash -c "[ \$(grep -c 'eventbus: connected' '$d/err') -ge 2 ]"
	sleep 3
	stop_tap
	cat "$d/err"
	[ "$TAP_STATUS" -eq 0 ]
	[ "$(dups "$d/out")" -eq 0 ]
	jq -e . "$d/out" >/dev/null
}

@test "kismet-tap live --resync: full polls catch packet counters that moved without a new last_time" {
	start_replay --start-offset 95 --speed 10
	d=$KR_DIR
	start_tap "$d/out" "$d/err" --update-rate 0.3 --resync 1 --events none -v
	WAIT_SECS=20 wait_for bash -c "[ \$(wc -l <'$d/out') -ge 40 ]"
	sleep 4
	ctl clock '{"freeze": true}'
	sleep 3
	stop_tap
	[ "$TAP_STATUS" -eq 0 ]
	grep -q 'last_time >= 0' "$d/err"
	[ "$(dups "$d/out")" -eq 0 ]
	run --separate-stderr kismet-tap --once --kismet-port "$KR_PORT"
	printf '%s\n' "$output" | jq -S -c . | sort >"$d/now"
	jq -S -c . "$d/out" | sort >"$d/live"
	comm -23 "$d/now" "$d/live"
	[ "$(comm -23 "$d/now" "$d/live" | wc -l)" -eq 0 ]
}

@test "kismet-tap live: Kismet down at start is retried (one line), then records flow" {
	start_replay --start-time $NOW_FINAL --freeze --refuse-for 3
	d=$KR_DIR
	start_tap "$d/out" "$d/err" --events none
	WAIT_SECS=20 wait_for bash -c "[ \$(wc -l <'$d/out') -ge 59 ]"
	stop_tap
	cat "$d/err"
	[ "$TAP_STATUS" -eq 0 ]
	[ "$(grep -c 'unreachable' "$d/err")" -eq 1 ]
	[ "$(lines "$d/out")" -eq 59 ]
}

@test "kismet-tap live: a malformed event is reported, counted and skipped; the stream goes on" {
	start_replay --start-offset 95 --speed 10
	d=$KR_DIR
	start_tap "$d/out" "$d/err" --update-rate 1 --events NEW_DEVICE,ALERT
	WAIT_SECS=20 wait_for grep -q 'eventbus: connected' "$d/err"
	sleep 0.5
	ctl fault '{"malformed_event": true}'
	WAIT_SECS=20 wait_for grep -q 'eventbus: skipped: invalid JSON' "$d/err"
	n=$(lines "$d/out")
	WAIT_SECS=30 wait_for bash -c "[ \$(wc -l <'$d/out') -gt $n ]"
	stop_tap
	[ "$TAP_STATUS" -eq 0 ]
	[ "$(grep -c 'skipped: invalid JSON' "$d/err")" -eq 1 ]
	grep -q '"bad":1' "$d/err"
	jq -e . "$d/out" >/dev/null
}

@test "kismet-tap | head -1 exits cleanly (74, one line on stderr, no core)" {
	# A moving clock, so that kismet-tap keeps writing after head has gone
	# (a first poll of 59 devices fits in the pipe buffer).
	start_replay --start-offset 95 --speed 20
	d=$KR_DIR
	run bash -c "set -o pipefail; timeout 30 kismet-tap --kismet-port $KR_PORT --update-rate 1 2>'$d/err' | head -1"
	cat "$d/err"
	[ "$status" -eq 74 ]
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 1 ]
	printf '%s\n' "$output" | jq -e '.record_type == "device"'
	[ "$(grep -c EPIPE "$d/err")" -eq 1 ]
	! grep -qiE 'segmentation|core dumped|sanitizer' "$d/err"
}

@test "kismet-tap: a stalled reader does not make kismet-tap grow without bound" {
	start_replay --start-offset 95 --speed 20
	d=$KR_DIR
	mkfifo "$d/fifo"
	# a reader that opens the pipe and never reads
	sleep 60 <"$d/fifo" &
	r=$!
	kismet-tap --kismet-port "$KR_PORT" --raw --update-rate 0.1 --events '*' --queue-size 64k \
		>"$d/fifo" 2>"$d/err" &
	TAP_PID=$!
	rss() { awk '/^VmRSS/ {print $2}' "/proc/$TAP_PID/status"; }
	sleep 4
	a=$(rss)
	sleep 6
	b=$(rss)
	kill -0 "$TAP_PID"
	stop_tap
	kill "$r" 2>/dev/null || true
	wait "$r" 2>/dev/null || true
	echo "rss after 4 s: $a kB, after 10 s: $b kB; status $TAP_STATUS"
	cat "$d/err"
	# bounded: no growth while stalled (the queue holds 64 kB plus at most one poll's
	# answer), because polling stopped and the websocket was not read
	[ "$b" -lt $((a + 4096)) ]
	st=$(grep '"kismet-tap":"stats"' "$d/err")
	[ "$(jq .polls <<<"$st")" -le 2 ]
	[ "$(jq .queued_bytes <<<"$st")" -lt 2000000 ]
	# queued records could not be written to the stalled reader: 75
	[ "$TAP_STATUS" -eq 75 ]
}

@test "kismet-tap over https and wss (nginx with a test CA in front of the replay server); the wrong CA fails clearly" {
	start_replay --start-offset 95 --speed 10
	d=$KR_DIR
	url=$("$KES_TOP/scripts/tls-proxy" start "$d/proxy" "http://127.0.0.1:$KR_PORT" --passthrough --watch-pid $$)
	[[ $url == https://127.0.0.1:* ]]
	# REST over https: the same 59+ devices as over plain http
	run --separate-stderr kismet-tap --once --kismet-url "$url" --cacert "$d/proxy/ca.pem"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | jq -s 'map(select(.record_type == "device")) | length')" -ge 40 ]
	# live: polls over https, the eventbus over wss through the proxy
	kismet-tap --kismet-url "$url" --cacert "$d/proxy/ca.pem" --update-rate 0.5 \
		--events NEW_DEVICE,ALERT >"$d/out" 2>"$d/err" &
	TAP_PID=$!
	WAIT_SECS=30 wait_for bash -c "jq -e -s 'map(select(.event_type == \"NEW_DEVICE\")) | length >= 1' '$d/out' >/dev/null 2>&1"
	stop_tap
	cat "$d/err"
	[ "$TAP_STATUS" -eq 0 ]
	grep -q 'GET /eventbus/events.ws' "$d/proxy/access.log"
	grep -q 'POST /devices/views/all/devices.json' "$d/proxy/access.log"
	# a certificate from another CA: refused at once (no retrying), said
	# clearly, nothing on stdout; live mode too
	run --separate-stderr kismet-tap --once --kismet-url "$url" --cacert "$d/proxy/wrong-ca.pem"
	echo "$stderr"
	[ "$status" -eq 69 ]
	[ -z "$output" ]
	[[ $stderr == *"kismet-tap: Kismet: "*"certificate"*"--cacert"* ]]
	! grep -q retrying <<<"$stderr"
	run --separate-stderr timeout 20 kismet-tap --kismet-url "$url" --cacert "$d/proxy/wrong-ca.pem"
	[ "$status" -eq 69 ]
	# --insecure: no verification, and a warning saying so
	run --separate-stderr kismet-tap --once --kismet-url "$url" --insecure
	[ "$status" -eq 0 ]
	[ -n "$output" ]
	[[ $stderr == *"kismet-tap: warning: --insecure: "*"NOT verified"* ]]
	"$KES_TOP/scripts/tls-proxy" stop "$d/proxy"
}

@test "kismet-tap --monitor-ws (a patched Kismet): devices from monitor.ws too, de-duplicated with the polls; a warning names the crash" {
	start_replay --start-offset 95 --speed 10 --fixed-monitor
	d=$KR_DIR
	start_tap "$d/out" "$d/err" -v --monitor-ws --update-rate 60 --events none
	WAIT_SECS=20 wait_for grep -q 'monitor: connected' "$d/err"
	# the first tick (after --update-rate virtual seconds) sends every device,
	# all already emitted by the first poll: SIGUSR1 shows them counted
	WAIT_SECS=30 wait_for bash -c "kill -USR1 $TAP_PID; sleep 0.3; grep '\"when\":\"now\"' '$d/err' |
		tail -n 1 | jq -e '.unchanged > 0' >/dev/null"
	stop_tap
	[ "$TAP_STATUS" -eq 0 ]
	grep -q 'warning: --monitor-ws: .*crashes the server' "$d/err"
	grep "\"kismet-tap\":\"stats\"" "$d/err" | tail -n 1 | tee /dev/stderr |
		jq -e '.polls == 1 and .unchanged > 0 and .devices_in > .devices_out and .bad == 0'
	[ "$(dups "$d/out")" -eq 0 ]
	# the subscription sent is well formed (a bad field pair kills Kismet)
	grep -o 'monitor: sent .*' "$d/err" | sed 's/^monitor: sent //' |
		jq -e '.monitor == "*" and .request == 1 and .rate == 60 and (.fields | length) > 0
			and all(.fields[]; type == "string" or (type == "array" and length == 2))'
	# a live source only
	run kismet-tap --once --monitor-ws --kismet-port "$KR_PORT"
	[ "$status" -eq 64 ]
}
