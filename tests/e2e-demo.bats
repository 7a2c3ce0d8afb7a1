#!/usr/bin/env bats
# tests/e2e-demo.bats - scripts/demo, the README's first command: `offline`
# (the recorded Kismet log into a SQLite spool, no Kismet, no cluster) and
# `online` (drained into a node it starts and stops itself, the guide's three
# sample queries drawn as text).  Expected numbers come from sqlite3 over the
# Kismet log and from jq over kismet-tap's own output.
load lib/common

bats_require_minimum_version 1.5.0

DEMO=$KES_TOP/scripts/demo
KISMETDB=$KES_DATA/kismet/kismetdb/field-sample.kismet

teardown() {
	# online stops its node itself; make sure, by the PID in its DIR
	[ -d "$BATS_TEST_TMPDIR/demo/node" ] && "$KES_TOP/scripts/search-node" stop "$BATS_TEST_TMPDIR/demo/node" >/dev/null 2>&1
	true
}

@test "scripts/demo offline: the Kismet log into ./demo/spool.db, status and three sample records" {
	local d=$BATS_TEST_TMPDIR nd ne
	cd "$d"
	run -0 --separate-stderr "$DEMO" offline
	[ -f demo/spool.db ]
	nd=$(sqlite3 "$KISMETDB" "SELECT COUNT(*) FROM devices")
	ne=$(( $(sqlite3 "$KISMETDB" "SELECT COUNT(*) FROM alerts") + $(sqlite3 "$KISMETDB" "SELECT COUNT(*) FROM messages") ))
	[ "$(sqlite3 demo/spool.db "SELECT COUNT(*) FROM device_buffer WHERE synced=0")" -eq "$nd" ]
	[ "$(sqlite3 demo/spool.db "SELECT COUNT(*) FROM event_buffer WHERE synced=0")" -eq "$ne" ]
	# the status table (total, unsynced, oldest, newest)
	[[ "$output" =~ devices\ +$nd\ +$nd\ +[0-9-]+\ [0-9:]+\ +[0-9-]+\ [0-9:]+ ]]
	[[ "$output" =~ events\ +$ne\ +$ne\  ]]
	# three pretty-printed records: a device with a location, an ALERT, a MESSAGE
	sed -n '/^---- three records/,/^spool: /p' <<<"$output" | sed '1d;$d' >"$d/recs"
	run -0 jq -s -e 'length == 3 and (.[0] | .record_type == "device" and has("location"))
		and .[1].event_type == "ALERT" and .[2].event_type == "MESSAGE"' "$d/recs"
	# KES_DEMO_DIR; a second run starts a fresh spool (same counts)
	KES_DEMO_DIR=$d/other run -0 "$DEMO" offline
	KES_DEMO_DIR=$d/other run -0 "$DEMO" offline
	[ "$(sqlite3 "$d/other/spool.db" "SELECT COUNT(*) FROM device_buffer")" -eq "$nd" ]
}

@test "scripts/demo online: drains into its own node, prints the three queries, stops the node" {
	local d=$BATS_TEST_TMPDIR n
	cd "$d"
	run -0 --separate-stderr "$DEMO" online
	echo "$output"
	# everything synced
	[ "$(sqlite3 demo/spool.db "SELECT COUNT(*) FROM device_buffer WHERE synced=0")" -eq 0 ]
	[ "$(sqlite3 demo/spool.db "SELECT COUNT(*) FROM event_buffer WHERE synced=0")" -eq 0 ]
	# the date histogram adds up to the device records; one minute per line
	n=$(sqlite3 "$KISMETDB" "SELECT COUNT(*) FROM devices")
	sum=$(sed -n '/^device records per minute/,/^----/p' <<<"$output" | awk '/^  [0-9][0-9][0-9][0-9]-/ {s += $2} END {print s + 0}')
	[ "$sum" -eq "$n" ]
	# the signal histogram adds up to the device records with a signal in -100..0
	exp=$(build_tap_signal_count)
	sum=$(sed -n '/^device records per signal range/,/^----/p' <<<"$output" | awk '/dBm/ {s += $(NF-1)} END {print s + 0}')
	[ "$sum" -eq "$exp" ]
	# the geohash grid: the records with a location, in c23nb (Seattle, as recorded)
	exp=$(kismet-tap --kismetdb "$KISMETDB" --events none 2>/dev/null | jq -c 'select(.location)' | wc -l)
	[[ "$output" =~ c23nb\ +$exp\  ]]
	# the node is gone (no --keep-node)
	run "$KES_TOP/scripts/search-node" status demo/node
	[ "$status" -ne 0 ]
}

build_tap_signal_count() {
	kismet-tap --kismetdb "$KISMETDB" --events none 2>/dev/null |
		jq -c 'select(.signal_dbm != null and .signal_dbm >= -100 and .signal_dbm <= 0)' | wc -l
}
