#!/usr/bin/env bats
# buffer-spool.bats - buffer-spool without a search node: the command line
# and man page, the guide's SQL run verbatim on the SQLite spool, store,
# pass, forward and drain through a test-only pipe consumer
# (tests/buffer-spool-sink, a stand-in for a consumer, not for
# Elasticsearch), kill -9 rounds, limits, locking, status and purge.  Tests
# marked [both] run once per backend (SQLite and file spool).
load lib/common
load lib/guide-sql

bats_require_minimum_version 1.5.0

SINK=$KES_TOP/tests/buffer-spool-sink

# gen N [FIRST] : N records numbered FIRST.. (device, event, other in turn)
gen() {
	awk -v n="$1" -v s="${2:-1}" 'BEGIN { for (i = s; i < s + n; i++) {
		t = i % 3 == 1 ? "device" : (i % 3 == 2 ? "event" : "other");
		printf "{\"record_type\":\"%s\",\"mac_addr\":\"02:00:00:00:%02x:%02x\",\"n\":%d}\n",
			t, int(i / 256) % 256, i % 256, i } }'
}
export -f gen

# spool BACKEND : the spool option of a backend in this test's scratch dir
spool() {
	case $1 in
	sqlite) echo "--buffer-db=$BATS_TEST_TMPDIR/s.db" ;;
	file) echo "--spool-dir=$BATS_TEST_TMPDIR/sd" ;;
	esac
}

jstatus() { buffer-spool status "$@" --json; }
unsynced_is() { [ "$(jstatus "$1" | jq .unsynced)" -eq "$2" ]; }

# n_of FILE : the record numbers in FILE, one per line
n_of() { jq -r .n "$1"; }

# sync_first N SPOOL : have the first N unsynced records acked (through
# pass and a consumer that acks each line and dies reading line N+1)
sync_first() {
	local f=$BATS_TEST_TMPDIR/acks.$RANDOM
	mkfifo "$f"
	buffer-spool pass "$2" --acks "$f" --stop-timeout 2 </dev/null 2>/dev/null |
		SINK_OUT=/dev/null SINK_DIE_AFTER=$(($1 + 1)) "$SINK" --acks 9 9<>"$f" || true
	rm -f "$f"
}

# ---------------------------------------------------------------- CLI ----

@test "buffer-spool: --help, --version and usage errors" {
	run -0 buffer-spool --help
	[[ $output == *"store"*"pass"*"forward"*"drain"*"status"*"purge"* ]]
	run -0 buffer-spool store --help
	[[ $output == usage:* ]]
	run -0 buffer-spool -V
	[[ ${lines[0]} == "buffer-spool 0.1.0" ]]
	[[ $output == *sqlite\ 3.* ]]
	run -64 --separate-stderr buffer-spool
	[[ $stderr == *"buffer-spool: a subcommand is needed"*"try 'buffer-spool --help'"* ]]
	run -64 --separate-stderr buffer-spool frobnicate
	[[ $stderr == *"unknown subcommand: frobnicate"* ]]
	run -64 --separate-stderr buffer-spool store --commit-interval abc
	[[ $stderr == *"--commit-interval 'abc': not a number"* ]]
	run -64 --separate-stderr buffer-spool store --json
	[[ $stderr == *"--json does not apply to 'store'"* ]]
	run -64 --separate-stderr buffer-spool store --buffer-db a --spool-dir b
	[[ $stderr == *"exclude each other"* ]]
	run -64 --separate-stderr buffer-spool forward --buffer-db a
	[[ $stderr == *"a consumer command is needed after '--'"* ]]
	run -64 --separate-stderr buffer-spool forward -- es-bulk --acks 5
	[[ $stderr == *"--acks is set by buffer-spool"* ]]
	run -64 --separate-stderr buffer-spool status --max-age 5x
	[ -z "$output" ]
}

@test "buffer-spool: every long option of --help is in the man page and the reverse; mandoc -Tlint is clean" {
	local man=$KES_TOP/man/buffer-spool.1 h m
	[ -f "$man" ]
	h=$(buffer-spool --help | grep -oE -- '--[a-z][a-z-]+' | sort -u)
	m=$(grep -E '^\.It Fl' "$man" | grep -oE 'Fl -?[a-z][a-z-]+' | sed 's/^Fl -\{0,1\}/--/' |
		grep -vE '^--[a-zA-Z]$' | sort -u)
	# short-only flags in the man page (.It Fl v) are not long options
	diff <(echo "$h") <(echo "$m")
	run -0 mandoc -Tlint -W warning "$man"
	[ -z "$output" ]
}

# -------------------------------------------------------------- store ----

@test "buffer-spool: store persists every record, prints nothing, skips blank lines, keeps bad lines as they are" {
	local db=$BATS_TEST_TMPDIR/field.db
	run --separate-stderr bash -c "{ gen 30; echo; echo '   '; echo 'not json {'; echo '[1,2]'; } |
		buffer-spool store --buffer-db '$db'"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	tail -n1 <<<"$stderr" | jq -e '.read == 34 and .stored == 32 and .blank == 2'
	[ "$(sqlite3 "$db" 'SELECT COUNT(*) FROM device_buffer WHERE synced=0')" -eq 10 ]
	[ "$(sqlite3 "$db" 'SELECT COUNT(*) FROM event_buffer WHERE synced=0')" -eq 10 ]
	[ "$(sqlite3 "$db" 'SELECT COUNT(*) FROM other_buffer WHERE synced=0')" -eq 12 ]
	# the record itself, byte for byte, and a global sequence number
	[ "$(sqlite3 "$db" 'SELECT record FROM other_buffer ORDER BY seq DESC LIMIT 1')" = '[1,2]' ]
	[ "$(sqlite3 "$db" 'SELECT record FROM device_buffer WHERE seq = 1')" = "$(gen 1)" ]
	[ "$(sqlite3 "$db" 'SELECT MAX(seq) FROM other_buffer')" -eq 32 ]
	# mode 0600, WAL
	[ "$(stat -c %a "$db")" = 600 ]
	[ "$(sqlite3 "$db" 'PRAGMA journal_mode')" = wal ]
	# created_at is SQLite datetime('now') text
	sqlite3 "$db" "SELECT created_at FROM device_buffer" | grep -Eqx '[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}'
	[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM device_buffer WHERE created_at > datetime('now', '-1 minute')")" -eq 10 ]
}

@test "buffer-spool: record_type picks the table; a nested record_type does not count" {
	local db=$BATS_TEST_TMPDIR/t.db
	printf '%s\n' '{"a":{"record_type":"device"},"record_type" : "event"}' \
		'{"x":"\"record_type\":\"device\"","y":1}' '{"record_type":"device"}' \
		'{"record_type":"devices"}' | buffer-spool store --buffer-db "$db"
	[ "$(sqlite3 "$db" 'SELECT seq FROM event_buffer')" = 1 ]
	[ "$(sqlite3 "$db" 'SELECT seq FROM device_buffer')" = 3 ]
	[ "$(sqlite3 "$db" 'SELECT group_concat(seq) FROM other_buffer')" = 2,4 ]
}

@test "buffer-spool: the guide's monitoring and status SQL, verbatim, give the right numbers" {
	local db=$BATS_TEST_TMPDIR/kismet_offline_buffer.db
	gen 300 | buffer-spool store --buffer-db "$db"
	# the first 100 records acked by a consumer
	sync_first 100 --buffer-db="$db"
	# guide: "Check buffer database"
	run -0 sqlite3 "$db" ".tables"
	[[ $output == *device_buffer* && $output == *event_buffer* ]]
	run -0 sqlite3 "$db" "SELECT COUNT(*) FROM device_buffer"
	[ "$output" -eq 100 ]
	# guide: "Check buffer growth" / "Check buffer status" (Step 2)
	run -0 sqlite3 "$db" "$PENDING_SQL"
	[ "$output" -eq 66 ]
	# guide: "Monitor buffer"
	run -0 sqlite3 "$db" "$MONITOR_SQL"
	[ "$output" = "100|66" ]
	# guide: "Buffer Management - Check buffer status"
	run -0 sqlite3 "$db" "$STATUS_SQL"
	[ "${#lines[@]}" -eq 2 ]
	[[ ${lines[0]} =~ ^Devices\|100\|66\|[0-9-]+\ [0-9:]+\|[0-9-]+\ [0-9:]+$ ]]
	[[ ${lines[1]} =~ ^Events\|100\|67\| ]]
	# and buffer-spool status agrees
	jstatus --buffer-db "$db" | jq -e '.total == 300 and
		([.tables[] | select(.table == "device_buffer")][0] | .total == 100 and .unsynced == 66) and
		([.tables[] | select(.table == "event_buffer")][0] | .total == 100 and .unsynced == 67)'
}

@test "buffer-spool: the guide's cleanup SQL, verbatim, removes only synced records older than 7 days" {
	local db=$BATS_TEST_TMPDIR/kismet_offline_buffer.db
	gen 60 | buffer-spool store --buffer-db "$db"
	# device rows: seq 1,4,..: synced+old, synced+new, unsynced+old, unsynced+new
	sqlite3 "$db" "UPDATE device_buffer SET synced = 1 WHERE seq <= 30;
		UPDATE event_buffer SET synced = 1 WHERE seq <= 30;
		UPDATE device_buffer SET created_at = datetime('now', '-8 days') WHERE seq % 2 = 1;
		UPDATE event_buffer SET created_at = datetime('now', '-8 days') WHERE seq % 2 = 1;"
	local before_d before_e
	before_d=$(sqlite3 "$db" "SELECT COUNT(*) FROM device_buffer WHERE NOT (synced = 1 AND created_at < datetime('now', '-7 days'))")
	before_e=$(sqlite3 "$db" "SELECT COUNT(*) FROM event_buffer WHERE NOT (synced = 1 AND created_at < datetime('now', '-7 days'))")
	run -0 sqlite3 "$db" "$CLEANUP_SQL"
	[ "$(sqlite3 "$db" 'SELECT COUNT(*) FROM device_buffer')" -eq "$before_d" ]
	[ "$(sqlite3 "$db" 'SELECT COUNT(*) FROM event_buffer')" -eq "$before_e" ]
	[ "$before_d" -lt 20 ]
	# unsynced old ones are all still there
	[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM device_buffer WHERE synced = 0 AND created_at < datetime('now', '-7 days')")" -gt 0 ]
	# and the spool still works after it
	gen 3 100 | buffer-spool store --buffer-db "$db"
	[ "$(sqlite3 "$db" 'SELECT MAX(seq) FROM other_buffer')" -ge 61 ]
}

# -------------------------------------------------------------- purge ----

@test "buffer-spool: purge removes synced records older than N days only, and reclaims space (sqlite)" {
	local sp db=$BATS_TEST_TMPDIR/s.db
	sp=$(spool sqlite)
	gen 3000 | buffer-spool store "$sp"
	sync_first 2000 "$sp"
	[ "$(jstatus "$sp" | jq '.unsynced')" -eq 1000 ]
	# backdate: synced 1..1000 and unsynced 2501..3000 are 10 days old
	sqlite3 "$db" "UPDATE device_buffer SET created_at = datetime('now', '-10 days') WHERE seq <= 1000 OR seq > 2500;
		UPDATE event_buffer SET created_at = datetime('now', '-10 days') WHERE seq <= 1000 OR seq > 2500;
		UPDATE other_buffer SET created_at = datetime('now', '-10 days') WHERE seq <= 1000 OR seq > 2500;"
	local size0
	size0=$(stat -c %s "$db")
	run -0 --separate-stderr buffer-spool purge "$sp"
	tail -n1 <<<"$stderr" | jq -e '.removed == 1000'
	jstatus "$sp" | jq -e '.total == 2000 and .unsynced == 1000'
	for t in device_buffer event_buffer other_buffer; do
		[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM $t WHERE seq <= 1000")" -eq 0 ]
		[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM $t WHERE seq > 2500 AND synced = 0")" -gt 0 ]
	done
	[ "$(stat -c %s "$db")" -lt "$size0" ]
	# --older-than 0: every synced record; never an unsynced one
	run -0 buffer-spool purge "$sp" --older-than 0
	jstatus "$sp" | jq -e '.total == 1000 and .unsynced == 1000'
	# what is left is sent, oldest first
	rm -f "$BATS_TEST_TMPDIR/out"
	SINK_OUT=$BATS_TEST_TMPDIR/out run -0 buffer-spool drain "$sp" -- "$SINK"
	diff <(n_of "$BATS_TEST_TMPDIR/out") <(seq 2001 3000)
}

@test "buffer-spool: purge on the file spool deletes acked segments, never unsynced ones" {
	local sp
	sp=$(spool file)
	gen 3000 | buffer-spool store "$sp" --segment-size 8k --commit-records 100
	local nseg
	nseg=$(ls "$BATS_TEST_TMPDIR/sd" | grep -c ndjson)
	[ "$nseg" -gt 5 ]
	sync_first 2000 "$sp"
	jstatus "$sp" | jq -e '.unsynced == 1000'
	# fully acked segments are gone already; purge keeps the unsynced
	[ "$(ls "$BATS_TEST_TMPDIR/sd" | grep -c ndjson)" -lt "$nseg" ]
	run -0 buffer-spool purge "$sp" --older-than 0
	jstatus "$sp" | jq -e '.unsynced == 1000'
	rm -f "$BATS_TEST_TMPDIR/out"
	SINK_OUT=$BATS_TEST_TMPDIR/out run -0 buffer-spool drain "$sp" -- "$SINK"
	diff <(n_of "$BATS_TEST_TMPDIR/out") <(seq 2001 3000)
	[ "$(ls "$BATS_TEST_TMPDIR/sd" | grep -c ndjson)" -le 1 ]
}

# -------------------------------------------------------- drain/forward ----

drain_case() {
	local sp out=$BATS_TEST_TMPDIR/out
	sp=$(spool "$1")
	gen 5000 | buffer-spool store "$sp"
	unsynced_is "$sp" 5000
	run -0 --separate-stderr env SINK_OUT="$out" SINK_ACK_EVERY=7 buffer-spool drain "$sp" -- "$SINK"
	tail -n1 <<<"$stderr" | jq -e '.sent == 5000 and .acked == 5000 and .unsynced == 0'
	diff <(n_of "$out") <(seq 1 5000)
	unsynced_is "$sp" 0
	# nothing left: no consumer is started, exit 0
	run -0 --separate-stderr env SINK_OUT="$out" buffer-spool drain "$sp" -- "$SINK"
	tail -n1 <<<"$stderr" | jq -e '.consumer_starts == 0 and .sent == 0'
	[ "$(wc -l <"$out")" -eq 5000 ]
}

@test "buffer-spool: [both] drain sends every unsynced record once, oldest first, and exits 0 (sqlite)" { drain_case sqlite; }
@test "buffer-spool: [both] drain sends every unsynced record once, oldest first, and exits 0 (file)" { drain_case file; }

@test "buffer-spool: drain of a missing spool exits 66; a consumer that cannot run exits 69" {
	run -66 --separate-stderr buffer-spool drain --buffer-db "$BATS_TEST_TMPDIR/none.db" -- "$SINK"
	[[ $stderr == *none.db* ]]
	[ ! -e "$BATS_TEST_TMPDIR/none.db" ]
	gen 3 | buffer-spool store --buffer-db "$BATS_TEST_TMPDIR/s.db"
	run -69 --separate-stderr buffer-spool drain --buffer-db "$BATS_TEST_TMPDIR/s.db" -- /nonexistent/es-bulk
	[[ $stderr == *"cannot run /nonexistent/es-bulk: No such file or directory"* ]]
	unsynced_is --buffer-db="$BATS_TEST_TMPDIR/s.db" 3
}

@test "buffer-spool: drain gives up after --max-restarts without progress (exit 75), keeping the records" {
	gen 10 | buffer-spool store --buffer-db "$BATS_TEST_TMPDIR/s.db"
	run -75 --separate-stderr env SINK_OUT=/dev/null SINK_NO_ACK=1 timeout 30 buffer-spool drain \
		--buffer-db "$BATS_TEST_TMPDIR/s.db" --max-restarts 2 --restart-delay 0.05 -- "$SINK"
	[[ $stderr == *"giving up after 2 restarts without progress"* ]]
	tail -n1 <<<"$stderr" | jq -e '.consumer_starts == 3 and .unsynced == 10'
}

forward_die_case() {
	local sp out=$BATS_TEST_TMPDIR/out
	sp=$(spool "$1")
	# the consumer dies after 1500 lines (up to 99 of them not acked)
	run -0 --separate-stderr bash -c "gen 6000 |
		SINK_OUT='$out' SINK_DIE_AFTER=1500 SINK_ACK_EVERY=100 timeout 60 \
		buffer-spool forward '$sp' --restart-delay 0.05 -- '$SINK'"
	echo "$stderr" | tail -n 3
	[[ $stderr == *"exited with status 3 with"*"records not acked; restarting it"* ]]
	tail -n1 <<<"$stderr" | jq -e '.stored == 6000 and .acked == 6000 and .unsynced == 0 and .consumer_starts >= 5'
	# everything arrived, in order within each consumer, some twice (not acked)
	diff <(n_of "$out" | sort -n | uniq) <(seq 1 6000)
	[ "$(wc -l <"$out")" -gt 6000 ]
	unsynced_is "$sp" 0
}

@test "buffer-spool: [both] forward restarts a dying consumer and re-sends what it had not acked (sqlite)" { forward_die_case sqlite; }
@test "buffer-spool: [both] forward restarts a dying consumer and re-sends what it had not acked (file)" { forward_die_case file; }

@test "buffer-spool: forward tells es-bulk --acks N, others KES_ACK_FD and {acks}" {
	local d=$BATS_TEST_TMPDIR
	# a fake "es-bulk" that prints its argv and environment
	mkdir "$d/bin"
	printf '#!/bin/sh\necho "argv=$*" >>%s/args\necho "env=$KES_ACK_FD" >>%s/args\ncat >/dev/null\n' "$d" "$d" >"$d/bin/es-bulk"
	chmod +x "$d/bin/es-bulk"
	cp "$d/bin/es-bulk" "$d/bin/other"
	echo '{"n":1}' | timeout 20 buffer-spool forward --buffer-db "$d/a.db" --stop-timeout 1 --max-restarts 1 --restart-delay 0 -- "$d/bin/es-bulk" --es-hosts http://127.0.0.1:1 || true
	grep -qx 'argv=--es-hosts http://127.0.0.1:1 --acks 3' "$d/args"
	grep -qx 'env=3' "$d/args"
	rm "$d/args"
	echo '{"n":1}' | timeout 20 buffer-spool forward --buffer-db "$d/b.db" --stop-timeout 1 --max-restarts 1 --restart-delay 0 -- "$d/bin/other" -a '{acks}' || true
	grep -qx 'argv=-a 3' "$d/args"
	grep -qx 'env=3' "$d/args"
}

@test "buffer-spool: drain to es-bulk behind a wrapper (time, nice, env, timeout, setsid, sh -c) acks through {acks} or the appended --acks" {
	local d=$BATS_TEST_TMPDIR form i=0
	gen 300 >"$d/in"
	while IFS= read -r form; do
		i=$((i + 1))
		buffer-spool store --buffer-db "$d/$i.db" <"$d/in" 2>/dev/null
		# shellcheck disable=SC2086 # the form is split into argv on purpose
		run --separate-stderr timeout 60 buffer-spool drain --buffer-db "$d/$i.db" --max-restarts 0 -- $form
		echo "$form: $status: $stderr"
		[ "$status" -eq 0 ]
		tail -n1 <<<"$stderr" | jq -e '.sent == 300 and .acked == 300 and .consumer_starts == 1 and .unsynced == 0'
	done <<'FORMS'
/usr/bin/time es-bulk --dry-run --acks {acks}
nice -n 5 es-bulk --dry-run --acks={acks}
env KES_X=1 es-bulk --dry-run --acks {acks}
timeout 60 es-bulk --dry-run
setsid -w es-bulk --dry-run
FORMS
	# sh -c: the placeholder inside the script
	buffer-spool store --buffer-db "$d/sh.db" <"$d/in" 2>/dev/null
	run --separate-stderr timeout 60 buffer-spool drain --buffer-db "$d/sh.db" --max-restarts 0 -- \
		sh -c 'exec es-bulk --dry-run --acks {acks} >/dev/null'
	echo "$stderr"
	[ "$status" -eq 0 ]
	tail -n1 <<<"$stderr" | jq -e '.acked == 300 and .unsynced == 0'
	# a consumer --acks of its own, with no {acks}, is still refused
	run -64 buffer-spool drain --buffer-db "$d/sh.db" -- nice es-bulk --acks 5
	[[ $output == *"use {acks} to place it"* ]]
}

# --------------------------------------------------------------- pass ----

@test "buffer-spool: pass keeps reading and spooling while stdout is blocked, then sends the backlog in order" {
	local d=$BATS_TEST_TMPDIR pid
	# 4000 records of ~1 KB: far more than a pipe holds
	awk 'BEGIN { p = sprintf("%1000s", ""); gsub(/ /, "x", p);
		for (i = 1; i <= 4000; i++) printf "{\"n\":%d,\"pad\":\"%s\"}\n", i, p }' >"$d/in"
	mkfifo "$d/out"
	exec 7<>"$d/out"	# a reader that reads nothing for now
	buffer-spool pass --buffer-db "$d/s.db" <"$d/in" >"$d/out" 2>"$d/err" &
	pid=$!
	# the producer is not held up: all of it is stored while nobody reads
	wait_for bash -c "[ \"\$(buffer-spool status --buffer-db '$d/s.db' --json | jq .total)\" -eq 4000 ]"
	kill -0 "$pid"
	timeout 20 head -n 4000 <&7 >"$d/got"
	exec 7<&-
	wait "$pid"
	cmp "$d/in" "$d/got"
	tail -n1 "$d/err" | jq -e '.stored == 4000 and .sent == 4000 and .unsynced == 0'
}

@test "buffer-spool: [both] pass marks records synced only when acked and sends the rest again after a restart" {
	for b in sqlite file; do
		local d=$BATS_TEST_TMPDIR/$b sp
		mkdir "$d"
		sp=$( [ $b = sqlite ] && echo "--buffer-db=$d/s.db" || echo "--spool-dir=$d/sd")
		mkfifo "$d/acks"
		# the consumer acks every 20 lines and dies reading line 61
		gen 100 | buffer-spool pass "$sp" --acks "$d/acks" --stop-timeout 1 2>"$d/err1" |
			SINK_OUT="$d/out1" SINK_DIE_AFTER=61 SINK_ACK_EVERY=20 "$SINK" --acks 9 9<>"$d/acks" || true
		cat "$d/err1"
		tail -n1 "$d/err1" | jq -e '.stored == 100 and .acked == 60 and .unsynced == 40'
		unsynced_is "$sp" 40
		# next run: the 40 not acked come first, then the new input
		gen 10 101 | buffer-spool pass "$sp" --acks "$d/acks" 2>"$d/err2" |
			SINK_OUT="$d/out2" SINK_ACK_EVERY=3 "$SINK" --acks 9 9<>"$d/acks"
		tail -n1 "$d/err2" | jq -e '.unsynced == 0'
		diff <(n_of "$d/out2") <(seq 61 110)
		unsynced_is "$sp" 0
	done
}

@test "buffer-spool: pass without --acks counts a record synced once written; a reader that goes away is not fatal" {
	local d=$BATS_TEST_TMPDIR
	gen 50 | buffer-spool pass --buffer-db "$d/s.db" >"$d/out"
	diff <(n_of "$d/out") <(seq 1 50)
	unsynced_is --buffer-db="$d/s.db" 0
	# the reader exits at once: pass keeps storing until its input ends
	run --separate-stderr bash -c "{ gen 10 51; sleep 0.5; gen 100000 61; } | buffer-spool pass --buffer-db '$d/s.db' | true"
	[[ $stderr == *"stdout: the reader went away; storing only from now on"* ]]
	jstatus --buffer-db "$d/s.db" | jq -e '.total == 100060 and .unsynced > 0'
}

# ------------------------------------------------------------ kill -9 ----

kill_store_case() {
	local sp i start=1 k=20000 pid
	sp=$(spool "$1")
	for i in $(seq 1 20); do
		gen $k $start | buffer-spool store "$sp" --commit-interval 20 2>/dev/null &
		pid=$!
		sleep "0.$((RANDOM % 10))$((RANDOM % 10))"
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		# never corrupt: it opens, and the SQLite file checks out
		run -0 buffer-spool status "$sp" --json
		if [ "$1" = sqlite ]; then
			[ "$(sqlite3 "$BATS_TEST_TMPDIR/s.db" 'PRAGMA integrity_check')" = ok ]
		fi
		start=$((start + k))
	done
	gen 5 "$start" | buffer-spool store "$sp"
	run -0 env SINK_OUT="$BATS_TEST_TMPDIR/out" buffer-spool drain "$sp" -- "$SINK"
	# what survived of each round is a prefix of it, in order, never twice
	n_of "$BATS_TEST_TMPDIR/out" >"$BATS_TEST_TMPDIR/ns"
	sort -n -c "$BATS_TEST_TMPDIR/ns"
	[ -z "$(uniq -d "$BATS_TEST_TMPDIR/ns")" ]
	awk -v k=$k '{ r = int(($1 - 1) / k); if (r in last) { if ($1 != last[r] + 1) { print "gap at " $1; bad = 1 } }
		else if ($1 != r * k + 1) { print "round " r " starts at " $1; bad = 1 }; last[r] = $1 }
		END { exit bad }' "$BATS_TEST_TMPDIR/ns"
	tail -n 5 "$BATS_TEST_TMPDIR/ns" | diff - <(seq "$start" $((start + 4)))
	[ "$(wc -l <"$BATS_TEST_TMPDIR/ns")" -gt 1000 ]
}

@test "buffer-spool: [both] kill -9 of store, 20 rounds: never corrupt, each round a committed prefix (sqlite)" { kill_store_case sqlite; }
@test "buffer-spool: [both] kill -9 of store, 20 rounds: never corrupt, each round a committed prefix (file)" { kill_store_case file; }

kill_forward_case() {
	local sp i pid victim start=1 k=1500 out=$BATS_TEST_TMPDIR/out
	sp=$(spool "$1")
	for i in $(seq 1 20); do
		gen $k $start >"$BATS_TEST_TMPDIR/in"
		SINK_OUT=$out SINK_ACK_EVERY=50 SINK_DELAY=0.0001 buffer-spool forward "$sp" --restart-delay 0.05 \
			-- "$SINK" <"$BATS_TEST_TMPDIR/in" 2>/dev/null &
		pid=$!
		sleep "0.$((RANDOM % 20))"
		# odd rounds: the consumer dies; even rounds: buffer-spool itself
		if [ $((i % 2)) = 1 ]; then
			victim=$(pgrep -P "$pid" -f buffer-spool-sink || true)
			[ -n "$victim" ] && kill -9 "$victim" 2>/dev/null || true
			WAIT_SECS=60 wait_for bash -c "! kill -0 $pid 2>/dev/null"
		else
			victim=$(pgrep -P "$pid" -f buffer-spool-sink || true)
			kill -9 "$pid" 2>/dev/null || true
			[ -z "$victim" ] || WAIT_SECS=30 wait_for bash -c "! kill -0 $victim 2>/dev/null"
		fi
		wait "$pid" 2>/dev/null || true
		start=$((start + k))
	done
	run -0 env SINK_OUT="$out" buffer-spool drain "$sp" -- "$SINK"
	unsynced_is "$sp" 0
	# every record the spool took arrived at least once
	local total
	total=$(jstatus "$sp" | jq .last_seq)
	[ "$(n_of "$out" | sort -n | uniq | wc -l)" -eq "$total" ]
	[ "$total" -gt 1500 ]
}

@test "buffer-spool: [both] kill -9 of forward or of its consumer, 20 rounds: nothing stored is lost (sqlite)" { kill_forward_case sqlite; }
@test "buffer-spool: [both] kill -9 of forward or of its consumer, 20 rounds: nothing stored is lost (file)" { kill_forward_case file; }

@test "buffer-spool: SIGTERM during store commits what was read and exits 0" {
	local d=$BATS_TEST_TMPDIR pid
	mkfifo "$d/in"
	buffer-spool store --buffer-db "$d/s.db" --commit-interval 100000 --commit-records 1000000 <"$d/in" 2>"$d/err" &
	pid=$!
	exec 6>"$d/in"
	gen 777 >&6
	sleep 0.5
	kill -TERM "$pid"
	wait "$pid"
	exec 6>&-
	tail -n1 "$d/err" | jq -e '.stored == 777'
	jstatus --buffer-db "$d/s.db" | jq -e '.total == 777'
}

# ------------------------------------------------------ lock and perms ----

@test "buffer-spool: [both] a second writer is refused; status and sqlite3 readers work beside a writer" {
	local d=$BATS_TEST_TMPDIR pid
	for b in sqlite file; do
		local sp
		sp=$(spool $b)
		mkfifo "$d/in-$b"
		buffer-spool store "$sp" --commit-interval 10 <"$d/in-$b" 2>"$d/err-$b" &
		pid=$!
		exec 6>"$d/in-$b"
		gen 100 >&6
		wait_for unsynced_is "$sp" 100
		run -75 --separate-stderr buffer-spool store "$sp" </dev/null
		[[ $stderr == *"spool is in use by another buffer-spool process (pid $pid)"* ]]
		run -75 --separate-stderr buffer-spool drain "$sp" -- "$SINK"
		[[ $stderr == *"in use"* ]]
		run -75 buffer-spool purge "$sp"
		# readers while it keeps writing
		if [ $b = sqlite ]; then
			sqlite3 "$d/s.db" "BEGIN; SELECT COUNT(*) FROM device_buffer; SELECT COUNT(*) FROM event_buffer;" >/dev/null
		fi
		gen 100 101 >&6
		wait_for unsynced_is "$sp" 200
		if [ $b = sqlite ]; then
			[ "$(sqlite3 "$d/s.db" 'SELECT COUNT(*) FROM device_buffer WHERE synced=0')" -eq 67 ]
		fi
		exec 6>&-
		wait "$pid"
		# the lock goes with the process
		gen 1 | buffer-spool store "$sp"
		unsynced_is "$sp" 201
	done
}

@test "buffer-spool: [both] a world-writable spool is refused (exit 78)" {
	gen 1 | buffer-spool store --buffer-db "$BATS_TEST_TMPDIR/s.db"
	chmod 666 "$BATS_TEST_TMPDIR/s.db"
	run -78 --separate-stderr buffer-spool store --buffer-db "$BATS_TEST_TMPDIR/s.db" </dev/null
	[[ $stderr == *"refusing a world-writable spool (mode 666)"* ]]
	mkdir -m 777 "$BATS_TEST_TMPDIR/sd"
	run -78 --separate-stderr buffer-spool store --spool-dir "$BATS_TEST_TMPDIR/sd" </dev/null
	[[ $stderr == *"refusing a world-writable spool (mode 777)"* ]]
	# a new file spool is private
	gen 1 | buffer-spool store --spool-dir "$BATS_TEST_TMPDIR/new"
	[ "$(stat -c %a "$BATS_TEST_TMPDIR/new")" = 700 ]
	[ "$(stat -c %a "$BATS_TEST_TMPDIR"/new/*.ndjson)" = 600 ]
}

# ------------------------------------------------------------- status ----

status_case() {
	local sp
	sp=$(spool "$1")
	gen 90 | buffer-spool store "$sp"
	run -0 buffer-spool status "$sp"
	[[ $output == *"health    healthy"* ]]
	run -0 buffer-spool status "$sp" --json
	jq -e '.total == 90 and .unsynced == 90 and .synced == 0 and .last_seq == 90 and
		.healthy == true and (.oldest_unsynced | test("^[0-9-]+ [0-9:]+$"))' <<<"$output"
	run -75 buffer-spool status "$sp" --max-unsynced 89
	[[ $output == *"UNHEALTHY: 90 records unsynced (more than --max-unsynced 89)"* ]]
	run -0 buffer-spool status "$sp" --max-unsynced 90 --max-age 1h
	run -75 buffer-spool status "$sp" --json --max-unsynced 10
	jq -e '.healthy == false' <<<"$output"
	SINK_OUT=/dev/null buffer-spool drain "$sp" -- "$SINK" 2>/dev/null
	run -0 buffer-spool status "$sp" --max-unsynced 0 --max-age 0
}

@test "buffer-spool: [both] status: the report, --json, and --max-unsynced/--max-age as exit status (sqlite)" { status_case sqlite; }
@test "buffer-spool: [both] status: the report, --json, and --max-unsynced/--max-age as exit status (file)" { status_case file; }

@test "buffer-spool: status --max-age looks at the oldest unsynced record; status never writes" {
	local db=$BATS_TEST_TMPDIR/s.db
	gen 10 | buffer-spool store --buffer-db "$db"
	sqlite3 "$db" "UPDATE device_buffer SET created_at = datetime('now', '-2 hours') WHERE seq = 1"
	run -75 buffer-spool status --buffer-db "$db" --max-age 1h
	[[ $output == *"UNHEALTHY: the oldest unsynced record is 72"??" s old (more than --max-age 3600 s)"* ]]
	run -0 buffer-spool status --buffer-db "$db" --max-age 3h
	# read-only: works on a read-only copy, creates no lock, missing spool is 66
	chmod 400 "$db"
	rm -f "$db.lock"
	run -0 buffer-spool status --buffer-db "$db"
	[ ! -e "$db.lock" ]
	run -66 buffer-spool status --buffer-db "$BATS_TEST_TMPDIR/missing.db"
	[ ! -e "$BATS_TEST_TMPDIR/missing.db" ]
}

# ------------------------------------------------------------- limits ----

limit_case() {
	local sp seg=
	sp=$(spool "$1")
	[ "$1" = file ] && seg="--segment-size=1k --commit-records=5"
	run --separate-stderr bash -c "gen 100 | buffer-spool store '$sp' $seg --max-records 60"
	[ "$status" -eq 74 ]
	[[ $stderr == *"spool full (60 records"*"refusing new records"* ]]
	jstatus "$sp" | jq -e '.total == 60'
	# 50 of them acked; with drop-synced the oldest synced make room
	sync_first 50 "$sp"
	unsynced_is "$sp" 10
	run -0 --separate-stderr buffer-spool store "$sp" $seg --max-records 60 --on-full drop-synced < <(gen 30 1000)
	# (the file spool deleted its fully acked segments already)
	[ "$1" = file ] || [[ $stderr == *"spool limit reached: dropped"* ]]
	jstatus "$sp" | jq -e '.total <= 60 and .unsynced == 40'
	# unsynced ones are never dropped: full is full
	run -74 --separate-stderr buffer-spool store "$sp" $seg --max-records 60 --on-full drop-synced < <(gen 30 2000)
	[[ $stderr == *"spool full (60 records"* ]]
	jstatus "$sp" | jq -e '.total == 60'
	local k
	k=$(( $(jstatus "$sp" | jq .unsynced) - 40 ))
	[ "$k" -gt 0 ]
	run -0 env SINK_OUT="$BATS_TEST_TMPDIR/out" buffer-spool drain "$sp" -- "$SINK"
	diff <(n_of "$BATS_TEST_TMPDIR/out") <({ seq 51 60; seq 1000 1029; seq 2000 $((2000 + k - 1)); })
}

@test "buffer-spool: [both] --max-records: refuse by default, drop-synced drops only synced records (sqlite)" { limit_case sqlite; }
@test "buffer-spool: [both] --max-records: refuse by default, drop-synced drops only synced records (file)" { limit_case file; }

@test "buffer-spool: [both] --max-bytes and a full disk (file size limit): clear error, the spool stays readable" {
	local d=$BATS_TEST_TMPDIR
	run -74 --separate-stderr buffer-spool store --buffer-db "$d/a.db" --max-bytes 2k < <(gen 100)
	[[ $stderr == *"spool full"* ]]
	[ "$(jstatus --buffer-db "$d/a.db" | jq .total)" -lt 50 ]
	# the file system says no (RLIMIT_FSIZE: EFBIG, like ENOSPC to us)
	for b in sqlite file; do
		run --separate-stderr bash -c "ulimit -f 2048; gen 100000 | buffer-spool store $(spool $b) --commit-records 500"
		echo "$stderr" | tail -n 3
		[ "$status" -eq 74 ]
		[[ $stderr == *"File too large"* ]]
		run -0 buffer-spool status $(spool $b) --json
		local total
		total=$(jq .total <<<"$output")
		[ "$total" -gt 0 ]
		if [ $b = sqlite ]; then
			[ "$(sqlite3 "$d/s.db" 'PRAGMA integrity_check')" = ok ]
		fi
		SINK_OUT="$d/out-$b" run -0 buffer-spool drain $(spool $b) -- "$SINK"
		diff <(n_of "$d/out-$b") <(seq 1 "$total")
	done
}

@test "buffer-spool: a line longer than --max-line is rejected with its line number (exit 65), the rest stored" {
	run -65 --separate-stderr bash -c "{ echo '{\"n\":1}'; printf '{\"n\":2,\"p\":\"%0200d\"}\n' 0; echo '{\"n\":3}'; } |
		buffer-spool store --buffer-db '$BATS_TEST_TMPDIR/s.db' --max-line 100"
	[[ $stderr == *"<stdin>:2: line longer than --max-line (100 bytes): rejected"* ]]
	[ "$(sqlite3 "$BATS_TEST_TMPDIR/s.db" 'SELECT group_concat(record) FROM other_buffer')" = '{"n":1},{"n":3}' ]
}

@test "buffer-spool: file spool: a torn last record (kill -9 mid-write) is cut at restart; acked segments are deleted" {
	local sd=$BATS_TEST_TMPDIR/sd f
	gen 10 | buffer-spool store --spool-dir "$sd"
	f=$(ls "$sd"/*.ndjson)
	printf '{"n":11,"tor' >>"$f"
	run -0 --separate-stderr buffer-spool store --spool-dir "$sd" < <(gen 2 12)
	[[ $stderr == *"cutting 12 bytes of an incomplete last record"* ]]
	SINK_OUT=$BATS_TEST_TMPDIR/out run -0 buffer-spool drain --spool-dir "$sd" -- "$SINK"
	diff <(n_of "$BATS_TEST_TMPDIR/out") <({ seq 1 10; seq 12 13; })
	[ "$(cat "$sd/acked")" -eq 12 ]
	[ -z "$(ls "$sd" | grep ndjson)" ]
}
