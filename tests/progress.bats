#!/usr/bin/env bats
# progress.bats - the progress line of lib/progress on a pseudo-terminal
# (script(1)): es-bulk (counts, docs/s, share of the files, ETA), buffer-spool
# drain (records left, its child es-bulk quiet) and kismet-tap --kismetdb
# (devices and events of the log); never in a redirected log file unless
# --progress, never with --no-progress.
load lib/common

bats_require_minimum_version 1.5.0

SAMPLE=$KES_DATA/es-bulk/kismet-sample.ndjson
DB=$KES_DATA/kismet/kismetdb/field-sample.kismet

# on_tty CMD : run the shell command CMD with stdin, stdout and stderr on a
# pseudo-terminal; what the terminal got is in $output
on_tty() {
	run script -qec "$1" /dev/null
}

@test "progress: es-bulk draws counts, docs/s, share of the files named and ETA on a terminal only" {
	local d=$BATS_TEST_TMPDIR n
	# gzip and plain files: the share is of the bytes of both
	gzip -c "$SAMPLE" >"$d/a.gz"
	n=$(($(grep -c . "$SAMPLE") * 2))
	on_tty "es-bulk --dry-run --dead-letter '$d/dl' '$d/a.gz' '$SAMPLE' >/dev/null"
	[ "$status" -eq 0 ]
	[[ $output == *$'\r'"es-bulk: $n read, $n indexed, 0 rejected, 0 pending, "*" docs/s, 100.0%, ETA 0s"* ]]
	# stderr redirected to a file on the same terminal: not a trace in it
	on_tty "es-bulk --dry-run --dead-letter '$d/dl' '$d/a.gz' >/dev/null 2>'$d/log'"
	[ "$status" -eq 0 ]
	[[ $output != *"docs/s"* ]]
	grep -q '"es-bulk":"final"' "$d/log"
	run ! grep -q 'docs/s' "$d/log"
	run ! grep -q $'\r' "$d/log"
	# --no-progress on a terminal, --progress into a file
	on_tty "es-bulk --no-progress --dry-run --dead-letter '$d/dl' '$d/a.gz' >/dev/null"
	[[ $output != *"docs/s"* ]]
	es-bulk --progress --dry-run --dead-letter "$d/dl" "$d/a.gz" >/dev/null 2>"$d/log2"
	grep -q "docs/s, 100.0%" "$d/log2"
	# from a pipe the size is unknown: counts and rate, no share
	on_tty "cat '$d/a.gz' | es-bulk --dry-run --dead-letter '$d/dl' >/dev/null"
	[[ $output == *"es-bulk: $((n / 2)) read, "*" docs/s"* ]]
	[[ $output != *"ETA"* ]]
}

@test "progress: buffer-spool drain counts down the records left; its es-bulk child draws nothing" {
	local d=$BATS_TEST_TMPDIR
	grep . "$SAMPLE" | buffer-spool store --buffer-db "$d/s.db" 2>/dev/null
	on_tty "buffer-spool drain --buffer-db '$d/s.db' -- es-bulk --dry-run --dead-letter '$d/dl' >/dev/null"
	[ "$status" -eq 0 ]
	[[ $output == *"buffer-spool: 0 of 44 records left, 44 sent, "*" records/s, 100.0%, ETA 0s"* ]]
	[[ $output != *"docs/s"* ]]	# the child's line
	[[ $output == *'"es-bulk":"final"'* ]]	# (its stats line still comes)
	# into a log file: nothing of it
	grep . "$SAMPLE" | buffer-spool store --buffer-db "$d/t.db" 2>/dev/null
	on_tty "buffer-spool drain --buffer-db '$d/t.db' -- es-bulk --dry-run --dead-letter '$d/dl' >/dev/null 2>'$d/log'"
	[ "$status" -eq 0 ]
	grep -q '"unsynced":0' "$d/log"
	run ! grep -q 'records left' "$d/log"
	run ! grep -q $'\r' "$d/log"
	# the option belongs to drain
	run -64 buffer-spool store --progress --buffer-db "$d/u.db" </dev/null
	[[ $output == *"--progress does not apply to 'store'"* ]]
}

@test "progress: kismet-tap --kismetdb shows devices and events done of the log's totals" {
	local d=$BATS_TEST_TMPDIR devices events
	devices=$(sqlite3 "$DB" 'SELECT COUNT(*) FROM devices')
	events=$(sqlite3 "$DB" 'SELECT (SELECT COUNT(*) FROM alerts) + (SELECT COUNT(*) FROM messages)')
	on_tty "kismet-tap --kismetdb '$DB' --events ALERT,MESSAGE >/dev/null"
	[ "$status" -eq 0 ]
	[[ $output == *"kismet-tap: $devices of $devices devices, $events of $events events, "*" records/s, 100.0%, ETA 0s"* ]]
	on_tty "kismet-tap --kismetdb '$DB' >/dev/null 2>'$d/log'"
	[ "$status" -eq 0 ]
	grep -q '"kismet-tap":"stats"' "$d/log"
	run ! grep -q 'devices, ' "$d/log"
	on_tty "kismet-tap --no-progress --kismetdb '$DB' >/dev/null"
	[[ $output != *"records/s"* ]]
}

@test "progress: kismet-tap --kismetdb --sightings counts the packets too" {
	local packets
	packets=$(sqlite3 "$DB" 'SELECT COUNT(*) FROM packets AS p JOIN devices AS d ON d.phyname = p.phyname AND d.devmac = p.sourcemac')
	[ "$packets" -gt 1000 ]
	on_tty "kismet-tap --kismetdb '$DB' --sightings 60 >/dev/null"
	[ "$status" -eq 0 ]
	[[ $output == *" of "*" devices, $packets of $packets packets, 0 of 0 events, "*" rows/s, 100.0%, ETA 0s"* ]]
	on_tty "kismet-tap --no-progress --kismetdb '$DB' --sightings 60 >/dev/null"
	[[ $output != *"rows/s"* ]]
}
