#!/usr/bin/env bats
# tests/bad-input.bats - the bad-input matrix of the hardening issue, without a
# search node: empty input, only newlines, a 100 MB line, a line cut mid-UTF-8,
# 1 MiB of binary garbage, JSON arrays and scalars, 100,000 levels of nesting,
# numbers out of range, a Kismet that answers 401/500/HTML or breaks its
# websocket, a spool that is truncated or not SQLite, a full disk (a 2 MiB
# tmpfs), a FIFO whose reader goes away.  Every case asserts the exit status of
# the man page's EXIT STATUS, a one-line error naming the cause (program prefix,
# input name, line number), no crash (status < 128, no sanitizer report), and
# that nothing already accepted is lost.  Big inputs are made at test time.
# Small fixed inputs: tests/data/bad-input/.

load lib/common
bats_require_minimum_version 1.5.0

BI=$KES_DATA/bad-input
KR=$KES_TOP/tests/kismet-replay/kismet-replay
KEY=DC28D8A94C72B85B514483A49BC51BE7
DB=$KES_DATA/kismet/kismetdb/field-sample.kismet
NOW_FINAL=1795704347

teardown() {
	if [ -n "${TAP_PID:-}" ]; then kill -KILL "$TAP_PID" 2>/dev/null || true; wait "$TAP_PID" 2>/dev/null || true; fi
	if [ -n "${KR_PID:-}" ]; then kill "$KR_PID" 2>/dev/null || true; wait "$KR_PID" 2>/dev/null || true; fi
	if [ -n "${HS_PID:-}" ]; then kill "$HS_PID" 2>/dev/null || true; wait "$HS_PID" 2>/dev/null || true; fi
	if [ -n "${MNT:-}" ]; then umount "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null || true; fi
	return 0
}

# no_crash STATUS STDERR : exit < 128 and no sanitizer or crash report
no_crash() {
	[ "$1" -lt 128 ] || { echo "crashed: status $1"; return 1; }
	if grep -qE 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:|Segmentation fault|core dumped|stack-overflow' <<<"$2"; then
		echo "sanitizer/crash report in stderr"
		return 1
	fi
}

# diag STDERR : the diagnostic lines (not the JSON stats lines)
diag() { grep -v '^{"' <<<"$1" || true; }
# one_error STDERR PROG PATTERN : exactly one diagnostic line matches PATTERN
# (an extended regex), and it starts with "PROG: "
one_error() {
	local m
	m=$(diag "$1" | grep -E -- "$3" || true)
	echo "matching: $m"
	[ -n "$m" ] && [ "$(wc -l <<<"$m")" -eq 1 ] && [[ $m == "$2: "* ]]
}

esb_final() { grep '^{"es-bulk":"final"' <<<"$1"; }
# conserved STDERR : read = indexed + dead_lettered + pending, lines = read + empty
conserved() {
	esb_final "$1" | jq -e '.read == .indexed + .dead_lettered + .pending and .lines == .read + .empty'
}

# dry ARGS... : es-bulk --dry-run, dead letters in the test's dir
dry() { es-bulk --dry-run --dead-letter "$BATS_TEST_TMPDIR/dl.ndjson" "$@"; }
# sent : the documents of the bulk bodies in $output, one per line
sent() { printf '%s\n' "$output" | awk 'NR % 2 == 0'; }

# big_line FILE : a good line, a 100 MB JSON line, a good line
big_line() {
	{
		echo '{"timestamp":"2025-01-05T00:00:00Z","n":1}'
		printf '{"timestamp":"2025-01-05T00:00:00Z","big":"'
		head -c 100000000 /dev/zero | tr '\0' x
		echo '"}'
		echo '{"timestamp":"2025-01-05T00:00:00Z","n":3}'
	} >"$1"
}

deep() {	# FILE : 100,000 nested arrays, 100,000 nested objects, then a good object
	python3 -c 'import sys
n = 100000
sys.stdout.write("[" * n + "]" * n + "\n")
sys.stdout.write("{\"a\":" * n + "1" + "}" * n + "\n")
sys.stdout.write("{\"record_type\":\"device\",\"a\":" + "[" * n + "]" * n + "}\n")
sys.stdout.write("{\"timestamp\":\"2025-01-05T00:00:00Z\",\"ok\":1}\n")' >"$1"
}

# mount_tmpfs DIR SIZE : a small tmpfs (a full disk); sets MNT for teardown
mount_tmpfs() {
	mkdir -p "$1"
	mount -t tmpfs -o "size=$2,mode=0700" kes-bad-input "$1" || {
		echo "cannot mount a tmpfs on $1 (root needed)"
		return 1
	}
	MNT=$1
}

# --------------------------------------------------------------- es-bulk ----

@test "es-bulk: empty input and only newlines: exit 0, nothing sent, empty lines acknowledged" {
	local d=$BATS_TEST_TMPDIR
	: >"$d/empty"
	run --separate-stderr dry --acks "$d/acks" "$d/empty"
	no_crash "$status" "$stderr"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ -z "$(diag "$stderr")" ]
	esb_final "$stderr" | jq -e '.lines == 0 and .read == 0'
	printf '\n\n\r\n\n' >"$d/nl"
	run --separate-stderr dry --acks "$d/acks" "$d/nl"
	no_crash "$status" "$stderr"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	esb_final "$stderr" | jq -e '.lines == 4 and .empty == 4 and .read == 0 and .resolved == 4'
	[ "$(tail -n 1 "$d/acks")" = 4 ]
	[ ! -e "$d/dl.ndjson" ]
}

@test "es-bulk: a 100 MB line (file and stdin) is dead-lettered by number, truncated; neighbours sent; memory bounded" {
	local d=$BATS_TEST_TMPDIR src
	big_line "$d/big.ndjson"
	for src in file stdin; do
		rm -f "$d/dl.ndjson"
		if [ $src = file ]; then
			run --separate-stderr /usr/bin/time -f 'maxrss_kb=%M' -o "$d/rss" \
				es-bulk --dry-run --dead-letter "$d/dl.ndjson" "$d/big.ndjson"
			name=$d/big.ndjson
		else
			run --separate-stderr bash -c '/usr/bin/time -f "maxrss_kb=%M" -o "$1/rss" es-bulk --dry-run --dead-letter "$1/dl.ndjson" <"$1/big.ndjson"' _ "$d"
			name='<stdin>'
		fi
		cat "$d/rss"
		no_crash "$status" "$stderr"
		[ "$status" -eq 65 ]
		one_error "$stderr" es-bulk "^es-bulk: $name:2: line longer than 16777216 bytes"
		[ "$(diag "$stderr" | wc -l)" -eq 1 ]
		conserved "$stderr"
		esb_final "$stderr" | jq -e '.read == 3 and .indexed == 2 and .dead_lettered == 1'
		[ "$(sent | jq -c .n | paste -sd ' ')" = "1 3" ]
		jq -e '.lineno == 2 and .error == "line_too_long" and .truncated == true and (.line | length) == 65536' "$d/dl.ndjson"
		# the line is not held in memory (RSS well under the line's 100 MB)
		[ "$(sed -n 's/^maxrss_kb=//p' "$d/rss")" -lt 90000 ]
	done
}

@test "es-bulk: a line cut mid-UTF-8 (inside the file and at EOF) is dead-lettered with its exact bytes" {
	local d=$BATS_TEST_TMPDIR
	printf '{"n":1}\n{"n":"\xc3"}\n{"n":3}\n{"n":"\xe2\x82' >"$d/cut.ndjson"
	run --separate-stderr dry "$d/cut.ndjson"
	no_crash "$status" "$stderr"
	[ "$status" -eq 65 ]
	one_error "$stderr" es-bulk "^es-bulk: $d/cut.ndjson:2: invalid UTF-8"
	one_error "$stderr" es-bulk "^es-bulk: $d/cut.ndjson:4: invalid UTF-8"
	[ "$(diag "$stderr" | wc -l)" -eq 2 ]
	conserved "$stderr"
	[ "$(sent | jq -c .n | paste -sd ' ')" = "1 3" ]
	run jq -r '"\(.lineno) \(.error) \(.line_base64)"' "$d/dl.ndjson"
	[ "${lines[0]}" = "2 invalid_utf8 $(printf '{"n":"\xc3"}' | base64)" ]
	[ "${lines[1]}" = "4 invalid_utf8 $(printf '{"n":"\xe2\x82' | base64)" ]
}

@test "es-bulk: 1 MiB of binary garbage: every non-empty line dead-lettered exactly, one message each, conserved" {
	local d=$BATS_TEST_TMPDIR n
	head -c 1M /dev/urandom >"$d/rnd"
	run --separate-stderr dry --acks "$d/acks" "$d/rnd"
	no_crash "$status" "$stderr"
	[ "$status" -eq 65 ]
	conserved "$stderr"
	n=$(esb_final "$stderr" | jq .dead_lettered)
	# each rejected line: one message with the file name and its line number
	[ "$(diag "$stderr" | grep -cE "^es-bulk: $d/rnd:[0-9]+: ")" -eq "$n" ]
	[ "$(diag "$stderr" | wc -l)" -eq "$n" ]
	[ "$(wc -l <"$d/dl.ndjson")" -eq "$n" ]
	[ "$(tail -n 1 "$d/acks")" -eq "$(esb_final "$stderr" | jq .lines)" ]
	# the dead-letter file holds every non-empty line, byte for byte (CRLF
	# stripped); a line of only spaces, tabs and CRs is empty (both tools' rule)
	python3 - "$d/rnd" "$d/dl.ndjson" <<-'EOF'
	import base64, json, sys
	want = [l[:-1] if l.endswith(b"\r") else l for l in open(sys.argv[1], "rb").read().split(b"\n")]
	want = [(i + 1, l) for i, l in enumerate(want) if l.strip(b" \t\r")]
	got = []
	for l in open(sys.argv[2]):
	    r = json.loads(l)
	    got.append((r["lineno"], base64.b64decode(r["line_base64"]) if "line_base64" in r else r["line"].encode()))
	assert got == want, (len(got), len(want), [(a, b) for a, b in zip(got, want) if a != b][:2])
	EOF
}

@test "es-bulk: JSON arrays and scalars are dead-lettered as not_an_object; --strict stops at the first" {
	local d=$BATS_TEST_TMPDIR
	run --separate-stderr dry "$BI/shapes.ndjson"
	no_crash "$status" "$stderr"
	[ "$status" -eq 65 ]
	for l in 1 2 3 4 5 7; do
		one_error "$stderr" es-bulk "^es-bulk: $BI/shapes.ndjson:$l: .*not an object"
	done
	[ "$(diag "$stderr" | wc -l)" -eq 6 ]
	conserved "$stderr"
	[ "$(jq -r '"\(.lineno) \(.error)"' "$d/dl.ndjson" | paste -sd ,)" = \
		"1 not_an_object,2 not_an_object,3 not_an_object,4 not_an_object,5 not_an_object,7 not_an_object" ]
	[ "$(sent | wc -l)" -eq 2 ]
	rm -f "$d/dl.ndjson"
	run --separate-stderr dry --strict "$BI/shapes.ndjson"
	no_crash "$status" "$stderr"
	[ "$status" -eq 65 ]
	one_error "$stderr" es-bulk "shapes.ndjson:1: .*not an object"
	[ -z "$output" ]
	[ ! -e "$d/dl.ndjson" ]
}

@test "es-bulk: 100,000 levels of nesting: dead-lettered (depth limit), no stack overflow, the next line sent" {
	local d=$BATS_TEST_TMPDIR
	deep "$d/deep.ndjson"
	run --separate-stderr dry "$d/deep.ndjson"
	no_crash "$status" "$stderr"
	[ "$status" -eq 65 ]
	for l in 1 2 3; do
		one_error "$stderr" es-bulk "^es-bulk: $d/deep.ndjson:$l: invalid JSON.*depth"
	done
	conserved "$stderr"
	esb_final "$stderr" | jq -e '.indexed == 1 and .dead_lettered == 3'
	[ "$(sent | jq -c .ok)" = 1 ]
}

@test "es-bulk: numbers out of range: 1e400 dead-lettered by line, -0 and 2^64 sent byte for byte" {
	local d=$BATS_TEST_TMPDIR
	run --separate-stderr dry "$BI/numbers.ndjson"
	no_crash "$status" "$stderr"
	[ "$status" -eq 65 ]
	for l in 1 4 5; do
		one_error "$stderr" es-bulk "^es-bulk: $BI/numbers.ndjson:$l: invalid JSON.*overflow"
	done
	[ "$(diag "$stderr" | grep -v 'no usable time' | wc -l)" -eq 3 ]
	conserved "$stderr"
	# the accepted lines go out exactly as read (no re-serialisation of numbers)
	diff <(sed -n '2p;3p;6p;7p;8p' "$BI/numbers.ndjson") <(sent)
}

@test "es-bulk: stdout reader gone (--dry-run | head -1): 74, one line, counts conserved" {
	local d=$BATS_TEST_TMPDIR
	seq 1 200000 | sed 's/.*/{"n":&}/' >"$d/in"
	run bash -c 'set -o pipefail; es-bulk --dry-run --dead-letter "$1/dl" "$1/in" 2>"$1/err" | head -n 1' _ "$d"
	stderr=$(cat "$d/err")
	echo "$stderr"
	no_crash "$status" "$stderr"
	[ "$status" -eq 74 ]
	one_error "$stderr" es-bulk "stdout"
	[ "$(diag "$stderr" | wc -l)" -eq 1 ]
	conserved "$stderr"
}

@test "es-bulk: ack FIFO whose reader goes away: 74, one line naming the channel, acks never ahead" {
	local d=$BATS_TEST_TMPDIR
	seq 1 5000 | sed 's/.*/{"n":&}/' >"$d/in"
	mkfifo "$d/acks"
	{ head -n 1 <"$d/acks" >"$d/got"; touch "$d/gone"; } &
	local r=$!
	# The first batch, then the rest only once the reader is gone: 500 short
	# ack lines fit in a pipe, so a reader that leaves while es-bulk runs
	# would race its exit.
	run --separate-stderr bash -c '{
		head -n 10 "$1/in"
		for _ in $(seq 200); do [ -e "$1/gone" ] && break; sleep 0.05; done
		tail -n +11 "$1/in"
	} | es-bulk --dry-run --batch-size 10 --acks "$1/acks" --dead-letter "$1/dl"' _ "$d"
	wait "$r" || true
	no_crash "$status" "$stderr"
	[ "$status" -eq 74 ]
	one_error "$stderr" es-bulk "ack channel $d/acks: "
	[ "$(diag "$stderr" | wc -l)" -eq 1 ]
	conserved "$stderr"
	[ "$(cat "$d/got")" -le "$(esb_final "$stderr" | jq .resolved)" ]
}

@test "es-bulk: dead-letter file on a full disk: 74, one line; acked rejects are whole; a later run's rejects stay readable" {
	local d=$BATS_TEST_TMPDIR m=$BATS_TEST_TMPDIR/mnt
	mount_tmpfs "$m" 2m
	head -c 1500000 /dev/zero >"$m/filler"
	for _ in $(seq 1 20); do head -c 100000 /dev/zero | tr '\0' x; echo; done >"$d/bad"
	run --separate-stderr es-bulk --dry-run --acks 9 --dead-letter "$m/dl" "$d/bad" 9>"$d/acks"
	no_crash "$status" "$stderr"
	[ "$status" -eq 74 ]
	one_error "$stderr" es-bulk "dead-letter file $m/dl: No space left on device"
	conserved "$stderr"
	# every acknowledged line is a whole record in the dead-letter file
	acked=$(tail -n 1 "$d/acks" 2>/dev/null || echo 0)
	[ "$(head -n "${acked:-0}" "$m/dl" | jq -c .lineno | paste -sd ' ')" = "$(seq -s ' ' 1 "${acked:-0}")" ]
	# space again: the next rejected line must be a readable record of its own
	rm -f "$m/filler"
	run --separate-stderr bash -c 'echo "[1]" | es-bulk --dry-run --dead-letter "$1/dl"' _ "$m"
	[ "$status" -eq 65 ]
	tail -n 1 "$m/dl" | jq -e '.lineno == 1 and .line == "[1]"'
	jq -c .lineno "$m/dl" >/dev/null
	# a record torn by a crash mid-write: the next run's record starts a line of its own
	printf '{"line":"[2]","sou' >>"$m/dl"
	run --separate-stderr bash -c 'echo "[3]" | es-bulk --dry-run --dead-letter "$1/dl"' _ "$m"
	[ "$status" -eq 65 ]
	tail -n 1 "$m/dl" | jq -e '.lineno == 1 and .line == "[3]"'
	[ "$(tail -n 2 "$m/dl" | head -n 1)" = '{"line":"[2]","sou' ]
}

# ---------------------------------------------------------- buffer-spool ----

# spool BACKEND : the spool option of a backend in this test's dir
spool() {
	case $1 in
	sqlite) echo "--buffer-db=$BATS_TEST_TMPDIR/s.db" ;;
	file) echo "--spool-dir=$BATS_TEST_TMPDIR/sd" ;;
	esac
}
jstatus() { buffer-spool status "$@" --json; }
# unspool BACKEND : every stored record, oldest first, through pass
unspool() { buffer-spool pass "$(spool "$1")" </dev/null 2>/dev/null; }
# nonempty FILE : the lines of FILE that are not blank (only spaces, tabs and
# CRs: skipped by every tool), CR of CRLF stripped (the reader's rule)
nonempty() { sed 's/\r$//' "$1" | LC_ALL=C grep -av $'^[ \t\r]*$' || true; }

@test "buffer-spool: empty input and only newlines store nothing, exit 0 [both]" {
	local b d=$BATS_TEST_TMPDIR
	for b in sqlite file; do
		run --separate-stderr buffer-spool store "$(spool $b)" </dev/null
		no_crash "$status" "$stderr"
		[ "$status" -eq 0 ]
		[ -z "$(diag "$stderr")" ]
		run --separate-stderr buffer-spool pass "$(spool $b)" < <(printf '\n\n\r\n\n')
		no_crash "$status" "$stderr"
		[ "$status" -eq 0 ]
		[ -z "$output" ]
		jstatus "$(spool $b)" | jq -e '.total == 0 and .unsynced == 0'
	done
	[ "$(sqlite3 "$d/s.db" 'select count(*) from device_buffer') $(sqlite3 "$d/s.db" 'select count(*) from other_buffer')" = "0 0" ]
}

@test "buffer-spool: a 100 MB line is rejected by line number (65), the lines around it stored [both]" {
	local b d=$BATS_TEST_TMPDIR
	big_line "$d/big.ndjson"
	for b in sqlite file; do
		run --separate-stderr buffer-spool store "$(spool $b)" <"$d/big.ndjson"
		no_crash "$status" "$stderr"
		[ "$status" -eq 65 ]
		one_error "$stderr" buffer-spool '^buffer-spool: <stdin>:2: line longer than --max-line \(16777216 bytes\)'
		[ "$(diag "$stderr" | wc -l)" -eq 1 ]
		jstatus "$(spool $b)" | jq -e '.total == 2'
		[ "$(unspool $b | jq -c .n | paste -sd ' ')" = "1 3" ]
	done
	[ "$(sqlite3 "$d/s.db" 'select group_concat(json_extract(record, "$.n")) from other_buffer')" = "1,3" ]
}

@test "buffer-spool: binary garbage and a line cut mid-UTF-8 are stored and forwarded byte for byte (NUL included) [both]" {
	local b d=$BATS_TEST_TMPDIR
	head -c 1M /dev/urandom >"$d/in"
	printf '\n{"n":"\xc3' >>"$d/in"
	for b in sqlite file; do
		run --separate-stderr buffer-spool store "$(spool $b)" <"$d/in"
		no_crash "$status" "$stderr"
		[ "$status" -eq 0 ]
		[ "$(jstatus "$(spool $b)" | jq .total)" -eq "$(nonempty "$d/in" | wc -l)" ]
		unspool $b >"$d/out.$b"
		cmp <(nonempty "$d/in") "$d/out.$b"
	done
}

@test "buffer-spool: arrays, scalars, 100,000 levels of nesting and out-of-range numbers are stored as read [both]" {
	local b d=$BATS_TEST_TMPDIR
	deep "$d/in"
	cat "$BI/shapes.ndjson" "$BI/numbers.ndjson" >>"$d/in"
	for b in sqlite file; do
		run --separate-stderr buffer-spool store "$(spool $b)" <"$d/in"
		no_crash "$status" "$stderr"
		[ "$status" -eq 0 ]
		[ -z "$(diag "$stderr")" ]
		cmp "$d/in" <(unspool $b)
	done
	# routing reads only the top level: the nested device record is a device
	[ "$(sqlite3 "$d/s.db" 'select count(*) from device_buffer')" -eq 2 ]
}

@test "buffer-spool pass: stdout reader gone: 75, one warning, every record stored and counted [both]" {
	local b d=$BATS_TEST_TMPDIR
	seq 1 100000 | sed 's/.*/{"n":&}/' >"$d/in"
	for b in sqlite file; do
		run bash -c 'set -o pipefail; buffer-spool pass "$1" --stop-timeout 2 <"$2/in" 2>"$2/err" | head -n 1' _ "$(spool $b)" "$d"
		stderr=$(cat "$d/err")
		echo "$stderr"
		no_crash "$status" "$stderr"
		[ "$status" -eq 75 ]
		one_error "$stderr" buffer-spool 'stdout: the reader went away'
		[ "$(diag "$stderr" | wc -l)" -eq 1 ]
		jstatus "$(spool $b)" | jq -e '.total == 100000 and .synced + .unsynced == .total and .last_seq == 100000'
	done
}

@test "buffer-spool: a spool that is not SQLite, empty or truncated: 74, one line naming it, file untouched" {
	local d=$BATS_TEST_TMPDIR f c
	head -c 1M /dev/urandom >"$d/garbage.db"
	seq 1 20000 | sed 's/.*/{"record_type":"device","n":&}/' |
		buffer-spool store --buffer-db "$d/full.db" 2>/dev/null
	cp "$d/full.db" "$d/half.db"
	truncate -s $(($(stat -c %s "$d/full.db") / 2)) "$d/half.db"
	chmod 600 "$d/garbage.db" "$d/half.db"
	for f in garbage half; do
		cp "$d/$f.db" "$d/$f.orig"
		for c in status store pass drain purge; do
			if [ $c = drain ]; then
				run --separate-stderr buffer-spool drain --buffer-db "$d/$f.db" -- cat </dev/null
			else
				run --separate-stderr buffer-spool $c --buffer-db "$d/$f.db" < <(echo '{"n":"new"}')
			fi
			echo "$f $c -> $status"
			no_crash "$status" "$stderr"
			[ "$status" -eq 74 ]
			one_error "$stderr" buffer-spool "^buffer-spool: $d/$f.db: .*(not a database|malformed)"
			[ -z "$output" ]
			cmp "$d/$f.db" "$d/$f.orig"
		done
	done
}

@test "buffer-spool: file spool whose last segment is cut mid-record: one warning, the rest kept, numbering goes on" {
	local d=$BATS_TEST_TMPDIR seg
	seq 1 1000 | sed 's/.*/{"n":&}/' | buffer-spool store --spool-dir "$d/sd" 2>/dev/null
	seg=$(ls "$d"/sd/*.ndjson)
	truncate -s -3 "$seg"
	run --separate-stderr buffer-spool status --spool-dir "$d/sd" --json
	[ "$status" -eq 0 ]
	jq -e '.total == 999' <<<"$output"
	run --separate-stderr buffer-spool store --spool-dir "$d/sd" < <(echo '{"n":"new"}')
	no_crash "$status" "$stderr"
	[ "$status" -eq 0 ]
	one_error "$stderr" buffer-spool "incomplete last record"
	diff <(seq 1 999; echo '"new"') <(unspool file | jq -c .n)
}

@test "buffer-spool: file spool with a corrupt acked file: refused or ignored, never a deleted record" {
	local d=$BATS_TEST_TMPDIR v
	for v in garbage 99999999999999999999999 5000 -1; do
		rm -rf "$d/sd"
		seq 1 1000 | sed 's/.*/{"n":&}/' | buffer-spool store --spool-dir "$d/sd" 2>/dev/null
		echo "$v" >"$d/sd/acked"
		run --separate-stderr buffer-spool store --spool-dir "$d/sd" < <(echo '{"n":"new"}')
		echo "acked=$v: store -> $status: $stderr"
		no_crash "$status" "$stderr"
		[ "$status" -eq 0 ] || [ "$status" -eq 74 ]
		[ "$(diag "$stderr" | wc -l)" -le 1 ]
		# the 1000 records are still on disk, whatever the spool made of the file
		[ "$(cat "$d"/sd/*.ndjson | grep -c '"n":[0-9]')" -eq 1000 ]
		run --separate-stderr buffer-spool status --spool-dir "$d/sd" --json
		echo "status -> $status: $output"
		# a status that answers must not report more records synced than exist
		[ "$status" -ne 0 ] || jq -e '.total >= 1000 and .unsynced >= 0 and .synced_upto <= .last_seq' <<<"$output"
	done
}

@test "buffer-spool: file spool whose last segment is empty (killed before the batch was written): the records before it kept" {
	local d=$BATS_TEST_TMPDIR
	seq 1 1000 | sed 's/.*/{"n":&}/' | buffer-spool store --spool-dir "$d/sd" --segment-size 1k 2>/dev/null
	echo 500 >"$d/sd/acked"
	: >"$d/sd/00000000000000001001-1700000000.ndjson"
	run --separate-stderr buffer-spool store --spool-dir "$d/sd" < <(echo '{"n":"new"}')
	no_crash "$status" "$stderr"
	[ "$status" -eq 0 ]
	run --separate-stderr buffer-spool status --spool-dir "$d/sd" --json
	jq -e '.last_seq == 1001 and .synced_upto == 500 and .unsynced == 501' <<<"$output"
	diff <(seq 501 1000; echo '"new"') <(unspool file | jq -c .n)
}

@test "buffer-spool: full disk (2 MiB tmpfs): 74, one line; what was committed is readable, status works [both]" {
	local b d=$BATS_TEST_TMPDIR m=$BATS_TEST_TMPDIR/mnt n
	mount_tmpfs "$m" 2m
	seq 1 200000 | sed 's/.*/{"record_type":"device","n":&,"pad":"xxxxxxxxxxxxxxxxxxxxxxxx"}/' >"$d/in"
	for b in sqlite file; do
		if [ $b = sqlite ]; then opt=--buffer-db=$m/s.db; else opt=--spool-dir=$m/sd; fi
		run --separate-stderr buffer-spool store "$opt" --commit-records 1000 <"$d/in"
		echo "$stderr"
		no_crash "$status" "$stderr"
		[ "$status" -eq 74 ]
		one_error "$stderr" buffer-spool "^buffer-spool: $m/(s\.db|sd): .*(No space left on device|disk is full)"
		[ "$(diag "$stderr" | wc -l)" -eq 1 ]
		# the failed batch is not counted as stored
		grep '^{"buffer-spool":"stats"' <<<"$stderr" | jq -e '.stored == .last_seq and .read > .stored'
		run --separate-stderr buffer-spool status "$opt" --json
		[ "$status" -eq 0 ]
		n=$(jq .total <<<"$output")
		[ "$n" -ge 1000 ]
		jq -e '.last_seq == .total and .unsynced == .total' <<<"$output"
		if [ $b = sqlite ]; then
			[ "$(sqlite3 "$m/s.db" 'select count(*) || " " || min(seq) || " " || max(seq) from device_buffer')" = "$n 1 $n" ]
			sqlite3 "$m/s.db" 'pragma integrity_check' | grep -qx ok
		else
			# only whole records, the committed prefix of the input
			cmp <(head -n "$n" "$d/in") <(cat "$m"/sd/*.ndjson | head -n "$n")
		fi
		cmp <(head -n "$n" "$d/in") <(buffer-spool pass "$opt" </dev/null 2>/dev/null) || {
			# pass may fail for lack of space to mark records synced; the spool must then still hold them
			buffer-spool status "$opt" --json | jq -e --argjson n "$n" '.total == $n'
		}
		rm -rf "${m:?}"/*
	done
}

# ------------------------------------------------------------ kismet-tap ----

@test "kismet-tap --kismetdb: empty, random, truncated, foreign SQLite, missing: 66, one line naming the file" {
	local d=$BATS_TEST_TMPDIR f
	: >"$d/empty.kismet"
	head -c 1M /dev/urandom >"$d/random.kismet"
	cp "$DB" "$d/half.kismet"
	truncate -s $(($(stat -c %s "$DB") / 2)) "$d/half.kismet"
	sqlite3 "$d/foreign.kismet" 'create table t(a); insert into t values (1);'
	for f in empty random half foreign missing; do
		run --separate-stderr kismet-tap --kismetdb "$d/$f.kismet"
		echo "$f -> $status: $stderr"
		no_crash "$status" "$stderr"
		[ "$status" -eq 66 ]
		[ -z "$output" ]
		one_error "$stderr" kismet-tap "^kismet-tap: $d/$f.kismet: "
		[ "$(diag "$stderr" | wc -l)" -eq 1 ]
	done
	# a bad file beside a good one: the good one's devices are still written
	run --separate-stderr kismet-tap --kismetdb "$DB" --kismetdb "$d/random.kismet"
	[ "$status" -eq 66 ]
	[ "$(printf '%s\n' "$output" | jq -r .mac_addr | sort -u | wc -l)" -eq 64 ]
}

@test "kismet-tap --kismetdb: bad device rows (array, scalar, deep, 1e400, 2^64, cut UTF-8, binary, empty) skipped one line each" {
	local d=$BATS_TEST_TMPDIR
	cp "$DB" "$d/bad.kismet"
	python3 - "$d/bad.kismet" >"$d/badmacs" <<-'EOF'
	import sqlite3, sys
	c = sqlite3.connect(sys.argv[1])
	rows = c.execute("select rowid, devmac from devices order by rowid limit 8").fetchall()
	n = 100000
	bad = [b"[1,2]", b'"str"', b'{"a":' * n + b"1" + b"}" * n,
	       b'{"kismet.device.base.macaddr":"AA:BB:CC:DD:EE:FF","kismet.device.base.last_time":1e400}',
	       b'{"kismet.device.base.name":"\xc3', bytes(range(1, 256)) * 4000, b"",
	       b'{"kismet.device.base.macaddr":"AA:BB:CC:DD:EE:01","kismet.device.base.last_time":18446744073709551616}']
	for (rid, mac), b in zip(rows, bad):
	    c.execute("update devices set device=? where rowid=?", (b, rid))
	    print(mac.lower())
	c.commit()
	EOF
	run --separate-stderr kismet-tap --kismetdb "$d/bad.kismet"
	no_crash "$status" "$stderr"
	[ "$status" -eq 0 ]
	[ "$(diag "$stderr" | wc -l)" -eq 8 ]
	while read -r mac; do
		one_error "$stderr" kismet-tap "^kismet-tap: $d/bad.kismet: devices row [0-9]+ \\(${mac^^}\\): skipped: "
	done <"$d/badmacs"
	grep '"kismet-tap":"stats"' <<<"$stderr" | jq -e '.bad == 8 and .devices_out == 56'
	# every other device is written exactly as from the intact log
	printf '%s\n' "$output" | jq -S -c . | sort >"$d/got"
	# (by mac_addr: other devices name the bad rows' MACs too, as bssid or clients)
	kismet-tap --kismetdb "$DB" --sensor "$(jq -r .sensor <<<"${lines[0]}")" 2>/dev/null |
		jq -c --rawfile bad "$d/badmacs" 'select(.mac_addr as $m | $bad | split("\n") | index($m) | not)' |
		jq -S -c . | sort >"$d/want"
	diff "$d/want" "$d/got"
}

@test "kismet-tap --kismetdb, stdout's reader gone: 74, one line" {
	# The reader's end is closed before kismet-tap starts: the sample's output
	# (41 kB) fits in a pipe, so `| head -n 1` would race kismet-tap's exit.
	run python3 -c 'import os, subprocess, sys
r, w = os.pipe(); os.close(r)
sys.exit(subprocess.call(sys.argv[1:], stdout=w, stderr=open(os.environ["BATS_TEST_TMPDIR"] + "/err", "w")))' \
		kismet-tap --kismetdb "$DB"
	stderr=$(cat "$BATS_TEST_TMPDIR/err")
	no_crash "$status" "$stderr"
	[ "$status" -eq 74 ]
	[ "$(diag "$stderr" | wc -l)" -eq 1 ]
}

# start_replay [options] : the replay server on a free port; sets KR_PID KR_PORT
start_replay() {
	rm -f "$BATS_TEST_TMPDIR/port"
	"$KR" --port 0 --port-file "$BATS_TEST_TMPDIR/port" --apikey "$KEY" "$@" \
		2>>"$BATS_TEST_TMPDIR/replay.err" &
	KR_PID=$!
	wait_for test -s "$BATS_TEST_TMPDIR/port"
	KR_PORT=$(cat "$BATS_TEST_TMPDIR/port")
}
ctl() { curl -sS -XPOST -d "$2" "http://127.0.0.1:$KR_PORT/_replay/$1" >/dev/null; }

@test "kismet-tap --once: Kismet answers 401 (77), 500 HTML (69), a non-Kismet HTML page (69): one line each" {
	export KISMET_APIKEY=$KEY
	start_replay --start-time $NOW_FINAL --freeze --fault-401
	run --separate-stderr kismet-tap --once --kismet-port "$KR_PORT"
	no_crash "$status" "$stderr"
	[ "$status" -eq 77 ]
	[ -z "$output" ]
	one_error "$stderr" kismet-tap '401'
	[ "$(diag "$stderr" | wc -l)" -eq 1 ]
	kill "$KR_PID"; wait "$KR_PID" || true; KR_PID=
	start_replay --start-time $NOW_FINAL --freeze --fault-500
	run --separate-stderr kismet-tap --once --kismet-port "$KR_PORT"
	no_crash "$status" "$stderr"
	[ "$status" -eq 69 ]
	[ -z "$output" ]
	# warnings for the retries, then one error; every line is one line
	[ "$(diag "$stderr" | grep -vc 'warning: ')" -eq 1 ]
	diag "$stderr" | grep -v 'warning: ' | grep -q '^kismet-tap: .*HTTP 500'
	kill "$KR_PID"; wait "$KR_PID" || true; KR_PID=
	# a web server that is not Kismet: HTML with 200 where JSON is expected
	local w=$BATS_TEST_TMPDIR/www
	mkdir -p "$w/system"
	echo '<html><body>not kismet</body></html>' >"$w/system/status.json"
	python3 -c 'import http.server, functools, sys
h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), h)
open(sys.argv[2] + ".tmp", "w").write(str(s.server_address[1])); __import__("os").rename(sys.argv[2] + ".tmp", sys.argv[2])
s.serve_forever()' "$w" "$BATS_TEST_TMPDIR/hs.port" 2>/dev/null &
	HS_PID=$!
	wait_for test -s "$BATS_TEST_TMPDIR/hs.port"
	run --separate-stderr kismet-tap --once --kismet-port "$(cat "$BATS_TEST_TMPDIR/hs.port")"
	no_crash "$status" "$stderr"
	[ "$status" -eq 69 ]
	[ -z "$output" ]
	[ "$(diag "$stderr" | grep -vc 'warning: ')" -eq 1 ]
	diag "$stderr" | grep -v 'warning: ' | grep -q '^kismet-tap: .*/system/status.json: invalid JSON'
}

@test "kismet-tap live: websocket cut mid-message (fragment, truncated), garbage event, 500 then 401: one line each, no bad record" {
	export KISMET_APIKEY=$KEY
	local d=$BATS_TEST_TMPDIR
	start_replay --start-offset 95 --speed 10
	kismet-tap --kismet-port "$KR_PORT" --update-rate 0.5 --events NEW_DEVICE,ALERT >"$d/out" 2>"$d/err" &
	TAP_PID=$!
	WAIT_SECS=20 wait_for grep -q 'eventbus: connected' "$d/err"
	ctl fault '{"close_websockets": "fragment"}'
	WAIT_SECS=20 wait_for bash -c "[ \$(grep -c 'eventbus: connected' '$d/err') -ge 2 ]"
	ctl fault '{"close_websockets": "truncated"}'
	WAIT_SECS=20 wait_for bash -c "[ \$(grep -c 'eventbus: connected' '$d/err') -ge 3 ]"
	ctl fault '{"malformed_event": true}'
	WAIT_SECS=20 wait_for grep -q 'skipped: invalid JSON' "$d/err"
	ctl fault '{"error500": true}'
	WAIT_SECS=20 wait_for grep -q 'HTTP 500' "$d/err"
	ctl fault '{"clear": true}'
	WAIT_SECS=20 wait_for grep -q 'reachable again' "$d/err"
	ctl fault '{"unauthorized": true}'
	local st=0
	WAIT_SECS=20 wait_for bash -c "! kill -0 $TAP_PID 2>/dev/null"
	wait "$TAP_PID" || st=$?
	TAP_PID=
	cat "$d/err"
	no_crash "$st" "$(cat "$d/err")"
	[ "$st" -eq 77 ]
	stderr=$(cat "$d/err")
	[ "$(diag "$stderr" | grep -c 'eventbus: connection lost')" -eq 2 ]
	[ "$(diag "$stderr" | grep -c 'skipped: invalid JSON')" -eq 1 ]
	[ "$(diag "$stderr" | grep -c 'HTTP 500')" -eq 1 ]
	[ "$(diag "$stderr" | grep -v 'warning: ' | grep -c '401')" -eq 1 ]
	# every record written is one whole JSON object (no half message became an event)
	[ -s "$d/out" ]
	jq -e 'type == "object" and (.record_type == "device" or .record_type == "event")' "$d/out" >/dev/null
	grep '"kismet-tap":"stats"' "$d/err" | jq -e '.bad == 1'
}
