#!/usr/bin/env bats
# es-bulk.bats - es-bulk without a search node: options and exit codes,
# --help/--version and the man page, input validation and the dead-letter
# file, bulk bodies (--dry-run): index names, ids, escaping, batching, acks.
load lib/common

bats_require_minimum_version 1.5.0

SAMPLE=$KES_DATA/es-bulk/kismet-sample.ndjson

# dry ARGS... : es-bulk --dry-run with the dead-letter file in the test dir
dry() {
	es-bulk --dry-run --dead-letter "$BATS_TEST_TMPDIR/rejects.ndjson" "$@"
}

final_stats() { grep '^{"es-bulk":"final"'; }

@test "es-bulk: --help on stdout, exit 0; --version names the libraries" {
	run --separate-stderr es-bulk --help
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[[ ${lines[0]} == "Usage: es-bulk "* ]]
	run es-bulk --version
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "es-bulk 0.1.0" ]
	[[ $output == *jansson* ]]
	[[ $output == *libcurl* ]]
	[[ $output == *zlib* ]]
	[[ $output == *OpenSSL* ]]
}

@test "es-bulk: every long option of --help is in the man page, and the reverse" {
	local man=$KES_TOP/man/es-bulk.1
	mandoc -Tlint -W warning "$man"
	diff <(es-bulk --help | grep -o -- '--[a-z][a-z-]*' | sort -u) \
		<(mandoc -Tascii "$man" | col -b | grep -o -- '--[a-z][a-z-]*' | sort -u)
	# and both describe the same exit statuses
	for code in 0 64 65 66 69 74 75 77; do
		grep -q "^\.It $code\$" "$man"
		es-bulk --help | grep -q "\b$code\b"
	done
}

@test "es-bulk: usage errors exit 64 with one line and a hint" {
	local args
	for args in "--bogus" "--batch-size 0" "--batch-size x" "--workers 1000" \
		"--op upsert" "--no-id --id-field id" "--template-only --no-template" \
		"--index BAD" "--index x-%Q" "--index x-{oops" "--index-prefix Kismet" \
		"--key k.pem" "--flush-interval -1" "--max-line 1" "--acks 1"; do
		# shellcheck disable=SC2086
		run --separate-stderr es-bulk --dry-run $args </dev/null
		echo "$args -> $status: $stderr"
		[ "$status" -eq 64 ]
		[ -z "$output" ]
		[[ $stderr == "es-bulk: "* ]]
		[[ $stderr == *"try 'es-bulk --help'"* ]] || [[ $args == --index* ]]
	done
}

@test "es-bulk: a missing input file exits 66 before anything is sent" {
	run --separate-stderr dry "$SAMPLE" "$BATS_TEST_TMPDIR/nope.ndjson"
	[ "$status" -eq 66 ]
	[ -z "$output" ]
	[[ $stderr == *"nope.ndjson: No such file or directory"* ]]
}

@test "es-bulk: --dry-run prints one action line per record with monthly index names" {
	run --separate-stderr dry "$SAMPLE"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq $(( 2 * $(wc -l <"$SAMPLE") )) ]
	# documents are the input lines, byte for byte
	diff <(sed -n 'n;p' <<<"$output") "$SAMPLE"
	# index per record_type and month of the timestamp
	diff <(sed -n 'p;n' <<<"$output" | jq -r '.index._index') \
		<(jq -r '"kismet-\(.record_type)s-\(.timestamp[0:4]).\(.timestamp[5:7])"' "$SAMPLE")
	[ ! -e "$BATS_TEST_TMPDIR/rejects.ndjson" ]
}

@test "es-bulk: ids are SHA-256 of the line bytes (CRLF stripped), base64url, 24 chars" {
	local line='{"timestamp":"2025-01-21T16:30:45.123Z","record_type":"device","mac_addr":"aa:bb:cc:dd:ee:ff"}' want
	want=$(printf '%s' "$line" | openssl dgst -sha256 -binary | head -c 18 | base64 | tr '+/' '-_')
	run dry <<<"$line"
	[ "$status" -eq 0 ]
	[ "$(head -n1 <<<"$output" | jq -r .index._id)" = "$want" ]
	run dry < <(printf '%s\r\n' "$line")
	[ "$status" -eq 0 ]
	[ "$(head -n1 <<<"$output" | jq -r .index._id)" = "$want" ]
	# the CR is not part of the document either
	[ "$(sed -n 2p <<<"$output")" = "$line" ]
}

@test "es-bulk: invalid lines are dead-lettered with file, line number and reason; exit 65" {
	local in=$BATS_TEST_TMPDIR/in.ndjson dl=$BATS_TEST_TMPDIR/rejects.ndjson
	{
		echo '{"timestamp":"2025-01-01T00:00:00Z","record_type":"device"}'
		echo '{"broken": '
		echo '"just a string"'
		echo '   '
		printf '{"a":"\x00"}\n'
		printf '{"a":"\xc3\x28"}\n'
		printf '{"long":"%s"}\n' "$(head -c 200 /dev/zero | tr '\0' x)"
		echo '{"timestamp":"2025-02-01T00:00:00Z","record_type":"event"}'
	} >"$in"
	run --separate-stderr dry --max-line 100 "$in"
	echo "$stderr"
	[ "$status" -eq 65 ]
	[ "$(grep -c '"_index"' <<<"$output")" -eq 2 ]
	[[ $stderr == *"in.ndjson:2: invalid JSON"* ]]
	[[ $stderr == *"in.ndjson:3: a JSON value that is not an object"* ]]
	[[ $stderr == *"in.ndjson:5: NUL byte"* ]]
	[[ $stderr == *"in.ndjson:6: invalid UTF-8"* ]]
	[[ $stderr == *"in.ndjson:7: line longer than 100 bytes"* ]]
	[ "$(stat -c %a "$dl")" = 600 ]
	run jq -r '"\(.lineno) \(.error)"' "$dl"
	[ "$output" = "2 invalid_json
3 not_an_object
5 nul_byte
6 invalid_utf8
7 line_too_long" ]
	[ "$(jq -r 'select(.lineno==7) | .truncated' "$dl")" = true ]
	[ "$(jq -r 'select(.lineno==7) | .line | length' "$dl")" -eq 100 ]
	# exact bytes of lines that are not UTF-8 or hold NUL survive in base64
	cmp <(jq -r 'select(.lineno==5) | .line_base64' "$dl" | base64 -d) <(sed -n 5p "$in" | tr -d '\n')
	cmp <(jq -r 'select(.lineno==6) | .line_base64' "$dl" | base64 -d) <(sed -n 6p "$in" | tr -d '\n')
	jq -e '.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T.*Z$")' "$dl"
	jq -e -s 'all(.source | endswith("in.ndjson"))' "$dl"
}

@test "es-bulk: counters conserve; empty lines are counted but not read" {
	run --separate-stderr dry <<<$'{"a":1}\n\n{"b":2}\nnope\n\n'
	[ "$status" -eq 65 ]
	final_stats <<<"$stderr" | jq -e '.lines == 6 and .empty == 3 and .read == 3 and
		.indexed == 2 and .dead_lettered == 1 and .pending == 0 and .no_time == 2 and .resolved == 6'
}

@test "es-bulk: --strict stops at the first bad line, sends what came before, exit 65" {
	run --separate-stderr dry --strict --acks 3 3>"$BATS_TEST_TMPDIR/acks" \
		<<<$'{"a":1}\n{"b":2}\n{bad\n{"c":3}\n'
	echo "$stderr"
	[ "$status" -eq 65 ]
	[ "$(grep -c '"_index"' <<<"$output")" -eq 2 ]
	[[ $stderr == *"<stdin>:3: invalid JSON"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/rejects.ndjson" ]
	[ "$(tail -n1 "$BATS_TEST_TMPDIR/acks")" -eq 2 ]
}

@test "es-bulk: files and - are read in order, line numbers per file, acks over all lines" {
	local a=$BATS_TEST_TMPDIR/a.ndjson b=$BATS_TEST_TMPDIR/b.ndjson
	printf '{"n":1}\n{"n":2}\n' >"$a"
	printf 'bad\n{"n":5}' >"$b"	# no final newline
	run --separate-stderr dry --acks 3 "$a" - "$b" 3>"$BATS_TEST_TMPDIR/acks" <<<'{"n":3}'
	[ "$status" -eq 65 ]
	[ "$(sed -n 'n;p' <<<"$output" | jq -r .n | tr '\n' ' ')" = "1 2 3 5 " ]
	[[ $stderr == *"b.ndjson:1: invalid JSON"* ]]
	[ "$(jq -r .source "$BATS_TEST_TMPDIR/rejects.ndjson")" = "$b" ]
	[ "$(tail -n1 "$BATS_TEST_TMPDIR/acks")" -eq 5 ]
}

@test "es-bulk: batches by count and by bytes; acks never decrease" {
	local in=$BATS_TEST_TMPDIR/in.ndjson acks=$BATS_TEST_TMPDIR/acks
	for i in $(seq 1 95); do printf '{"i":%d,"pad":"%s"}\n' "$i" "$(head -c 100 /dev/zero | tr '\0' p)"; done >"$in"
	run --separate-stderr dry --batch-size 10 --acks 3 "$in" 3>"$acks"
	[ "$status" -eq 0 ]
	final_stats <<<"$stderr" | jq -e '.batches == 10 and .indexed == 95'
	# batch boundaries only, increasing, ending at the line count
	[ "$(tail -n1 "$acks")" -eq 95 ]
	sort -n -u -c "$acks"
	! grep -v -x -E '[1-9]0|95' "$acks"
	run --separate-stderr dry --batch-bytes 1k "$in"
	[ "$status" -eq 0 ]
	# no batch over 1 KiB, but more than one item per batch
	final_stats <<<"$stderr" | jq -e '.batches >= (.bytes_sent / 1024 | ceil) and .batches < 95'
}

@test "es-bulk: --index TEMPLATE with fields and time parts; action values are escaped" {
	run --separate-stderr dry --index 'x-{kind}-{a.b}-%Y.%m.%d' --time-field t --id-field id <<'EOF'
{"kind":"Big Thing/2","a":{"b":7},"t":1737476445,"id":"q\"uote"}
{"kind":"k","t":1737476445123,"id":42}
{"t":"2025-01-21T16:30:45+02:00","id":"x"}
{"kind":"k","t":"2025-01-21"}
EOF
	echo "$stderr"
	[ "$status" -eq 65 ]
	run jq -r 'select(.index) | "\(.index._index) \(.index._id)"' <<<"$output"
	[ "${lines[0]}" = 'x-big_thing_2-7-2025.01.21 q"uote' ]
	[ "${lines[1]}" = 'x-k-none-2025.01.21 42' ]
	[ "${lines[2]}" = 'x-none-none-2025.01.21 x' ]
	[ "$(jq -r .error "$BATS_TEST_TMPDIR/rejects.ndjson")" = id_missing ]
}

@test "es-bulk: records without a usable time go to the current month (no_time)" {
	run --separate-stderr dry --index-prefix k <<<$'{"record_type":"device"}\n{"record_type":"x","timestamp":"garbage"}'
	[ "$status" -eq 0 ]
	run jq -r 'select(.index) | .index._index' <<<"$output"
	[ "${lines[0]}" = "k-devices-$(date -u +%Y.%m)" ]
	[ "${lines[1]}" = "k-other-$(date -u +%Y.%m)" ]
}

@test "es-bulk: --op create and --no-id change the action line" {
	run dry --op create --no-id <<<'{"timestamp":"2025-01-01T00:00:00Z","record_type":"event"}'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = '{"create":{"_index":"kismet-events-2025.01"}}' ]
}

@test "es-bulk: --template-only --dry-run prints the index template" {
	run dry --template-only --index-prefix kismet-field
	[ "$status" -eq 0 ]
	jq -e '.index_patterns == ["kismet-field-*"] and .priority == 113 and
		.template.mappings.properties.location.type == "geo_point" and
		.template.mappings.properties.timestamp.type == "date" and
		.template.mappings.properties.event_data.enabled == false' <<<"$output"
}

@test "es-bulk: an unreachable server: retries, then exit 69 with --max-retries" {
	local port
	# a port with nothing listening: bind, note, close
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
	run --separate-stderr timeout 30 es-bulk --es-hosts "127.0.0.1:$port" --max-retries 2 \
		--dead-letter "$BATS_TEST_TMPDIR/rejects.ndjson" "$SAMPLE"
	echo "$stderr"
	[ "$status" -eq 69 ]
	[[ $stderr == *"http://127.0.0.1:$port: "*"retrying in"* ]]
	[[ $stderr == *"giving up after 2 retries"* ]]
	# the same for the bulk requests when the template is skipped
	run --separate-stderr timeout 30 es-bulk --es-hosts "127.0.0.1:$port" --max-retries 1 \
		--no-template --acks 3 "$SAMPLE" 3>"$BATS_TEST_TMPDIR/acks"
	echo "$stderr"
	[ "$status" -eq 69 ]
	final_stats <<<"$stderr" | jq -e '.indexed == 0 and .pending == .read and .read > 0'
	[ ! -s "$BATS_TEST_TMPDIR/acks" ]
}

@test "es-bulk: SIGTERM while the server is unreachable: bounded stop, exit 75, nothing lost" {
	local port pid rc=0 err=$BATS_TEST_TMPDIR/err
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
	es-bulk --es-hosts "127.0.0.1:$port" --no-template --shutdown-timeout 1 \
		--dead-letter "$BATS_TEST_TMPDIR/rejects.ndjson" "$SAMPLE" 2>"$err" &
	pid=$!
	WAIT_SECS=10 wait_for grep -q retrying "$err"
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	cat "$err"
	[ "$rc" -eq 75 ]
	grep -q 'records unresolved' "$err"
	final_stats <"$err" | jq -e '.read == .pending + .indexed + .dead_lettered and .pending > 0'
}

@test "es-bulk: secrets are refused on usage errors and never printed" {
	run --separate-stderr es-bulk --dry-run --es-password s3cr3t-pw </dev/null
	[ "$status" -eq 64 ]
	[[ $stderr == *"needs a user name"* ]]
	[[ $stderr != *s3cr3t-pw* ]]
	run --separate-stderr es-bulk --es-api-key k3y-val --es-username u --dry-run </dev/null
	[ "$status" -eq 64 ]
	[[ $stderr != *k3y-val* ]]
	run --separate-stderr es-bulk --es-password-file "$BATS_TEST_TMPDIR/none" --es-username u --dry-run </dev/null
	[ "$status" -eq 78 ]
}

@test "es-bulk: EPIPE on stdout in --dry-run exits 74 without a crash" {
	local in=$BATS_TEST_TMPDIR/in.ndjson
	for i in $(seq 1 20000); do echo "{\"i\":$i}"; done >"$in"
	run bash -c "es-bulk --dry-run --dead-letter '$BATS_TEST_TMPDIR/r' '$in' 2>'$BATS_TEST_TMPDIR/err' | head -n 1; echo \${PIPESTATUS[0]}"
	[ "${lines[1]}" -eq 74 ]
	grep -q 'stdout' "$BATS_TEST_TMPDIR/err"
}

@test "es-bulk: unit tests (response parser on captured node responses, backoff, batches, escaping)" {
	run "${KES_BIN_DIR%/bin}/tests/es-bulk-test" "$KES_DATA/es-bulk/responses"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"ALL OK"* ]]
	! grep -q '^FAIL' <<<"$output"
}

@test "es-bulk: SIGUSR1 and --stats-interval print stats lines; a live batch flushes by time" {
	local fifo=$BATS_TEST_TMPDIR/fifo out=$BATS_TEST_TMPDIR/out err=$BATS_TEST_TMPDIR/err pid rc=0
	mkfifo "$fifo"
	es-bulk --dry-run --flush-interval 0.2 --stats-interval 0.5 \
		--dead-letter "$BATS_TEST_TMPDIR/r" <"$fifo" >"$out" 2>"$err" &
	pid=$!
	exec 5>"$fifo"
	echo '{"a":1}' >&5
	# sent after the flush interval, although the batch is not full
	WAIT_SECS=20 wait_for grep -q '"a":1' "$out"
	WAIT_SECS=20 wait_for grep -q '"es-bulk":"stats"' "$err"
	: >"$err.before"
	kill -USR1 "$pid"
	WAIT_SECS=20 wait_for bash -c "[ \$(grep -c '\"es-bulk\":\"stats\"' '$err') -ge 2 ]"
	exec 5>&-
	wait "$pid" || rc=$?
	[ "$rc" -eq 0 ]
	grep '"es-bulk":"stats"' "$err" | head -n1 | jq -e '.read == 1 and .indexed == 1'
	grep -q '"es-bulk":"final"' "$err"
}

@test "es-bulk: a password given in argv is hidden from /proc/PID/cmdline" {
	local fifo=$BATS_TEST_TMPDIR/fifo pid rc=0
	mkfifo "$fifo"
	es-bulk --dry-run --es-username u --es-password 'pw-in-argv-123' \
		--dead-letter "$BATS_TEST_TMPDIR/r" <"$fifo" >/dev/null 2>"$BATS_TEST_TMPDIR/err" &
	pid=$!
	exec 5>"$fifo"
	WAIT_SECS=5 wait_for grep -q 'visible to other users' "$BATS_TEST_TMPDIR/err"
	! tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'pw-in-argv-123'
	tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- '--es-password \*'
	exec 5>&-
	wait "$pid" || rc=$?
	[ "$rc" -eq 0 ]
	! grep -q 'pw-in-argv-123' "$BATS_TEST_TMPDIR/err"
}

@test "es-bulk: sighting records go to <prefix>-sightings-YYYY.MM by their timestamp; the template maps them" {
	# a sighting by its own month; a near-miss record_type is "other"
	idx=$(dry --index-prefix k 2>/dev/null <<<$'{"record_type":"sighting","timestamp":"2026-11-26T14:40:59.088Z","mac_addr":"a0:40:a0:11:22:01"}\n{"record_type":"sightings","timestamp":"2026-10-26T14:40:59Z"}' |
		jq -r 'select(.index) | .index._index' | paste -sd' ')
	[ "$idx" = "k-sightings-2026.11 k-other-2026.10" ]
	run dry --template-only
	[ "$status" -eq 0 ]
	jq -e '.template.mappings.properties | .packets.type == "integer" and
		.signal_min_dbm.type == "integer" and .signal_max_dbm.type == "integer" and
		.signal_dbm.type == "integer" and .location.type == "geo_point" and
		.mac_addr.type == "keyword" and .device_key.type == "keyword" and
		.sensor.type == "keyword" and (.ssid.type == "keyword" or .ssid.fields.keyword.type == "keyword") and
		.encryption.type == "keyword"' <<<"$output"
}
