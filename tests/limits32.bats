#!/usr/bin/env bats
# limits32.bats - the limits where a 32-bit build goes wrong quietly: files
# over 4 GiB (sparse, so they cost no disk) read, counted and spooled, and
# Kismet times after 2038 (time_t) and past year 9999.  Runs on every build;
# it matters on armhf (`make test-cross CROSS=arm-linux-gnueabihf`), whose
# long and size_t are 32 bits wide.
load lib/common

bats_require_minimum_version 1.5.0

DB=$KES_DATA/kismet/kismetdb/field-sample.kismet
GiB=1073741824

# kismetdb_last_time COPY MAC SECONDS : set a device's last_time (column and JSON)
kismetdb_last_time() {
	sqlite3 "$1" "UPDATE devices SET last_time = $3, device = json_set(CAST(device AS TEXT),
		'\$.\"kismet.device.base.last_time\"', $3) WHERE devmac = '$2'"
}

@test "kismet-tap --kismetdb: Kismet times after 2038 give the right date; past year 9999 a clear error" {
	local d
	d=$(scratch)
	cp "$DB" "$d/k.kismet"
	kismetdb_last_time "$d/k.kismet" B0:B9:8A:56:8D:EA 2147483648	# 2038-01-19T03:14:08Z, 2^31
	kismetdb_last_time "$d/k.kismet" BC:5F:F4:F6:6F:D8 4102444805	# 2100-01-01T00:00:05Z, past 2^32
	kismetdb_last_time "$d/k.kismet" B0:B9:8A:56:8D:E8 253402300800	# 10000-01-01: not ISO 8601
	run --separate-stderr kismet-tap --kismetdb "$d/k.kismet"
	printf '%s\n' "$stderr"
	[ "$status" -eq 0 ]
	[ "$(jq -r 'select(.mac_addr == "b0:b9:8a:56:8d:ea") | .timestamp' <<<"$output")" = 2038-01-19T03:14:08.000Z ]
	[ "$(jq -r 'select(.mac_addr == "bc:5f:f4:f6:6f:d8") | .timestamp' <<<"$output")" = 2100-01-01T00:00:05.000Z ]
	# the year-10000 device is left out with a warning naming it, the others are kept
	[ "$(jq -s 'map(select(.mac_addr == "b0:b9:8a:56:8d:e8")) | length' <<<"$output")" -eq 0 ]
	[ "$(jq -s length <<<"$output")" -eq 63 ]
	[[ $stderr == *"last_time out of range"* ]]
}

@test "es-bulk --dry-run: record times after 2038 (ISO, epoch s and ms) go to the right monthly index" {
	local d
	d=$(scratch)
	printf '%s\n' \
		'{"record_type":"device","timestamp":"2038-01-19T03:14:08Z","n":1}' \
		'{"record_type":"event","timestamp":4102444805,"n":2}' \
		'{"record_type":"other","timestamp":4102444805123,"n":3}' \
		'{"record_type":"device","timestamp":"2106-02-07T06:28:16.500Z","n":4}' \
		'{"record_type":"device","timestamp":"10000-01-01T00:00:00Z","n":5}' >"$d/in"
	run --separate-stderr es-bulk --dry-run --no-id --dead-letter "$d/rej" "$d/in"
	printf '%s\n' "$stderr"
	[ "$status" -eq 0 ]
	# year 10000 is no usable time: the documented rule (es-bulk(1), no_time)
	# routes it to the current month, its own timestamp left as it was
	[ "$(jq -r 'select(.index) | .index._index' <<<"$output" | paste -sd' ')" = \
	  "kismet-devices-2038.01 kismet-events-2100.01 kismet-other-2100.01 kismet-devices-2106.02 kismet-devices-$(date -u +%Y.%m)" ]
	[ "$(jq -r 'select(.n == 5) | .timestamp' <<<"$output")" = 10000-01-01T00:00:00Z ]
	[ "$(grep '^{"es-bulk":"final"' <<<"$stderr" | jq .no_time)" -eq 1 ]
}

@test "es-bulk --dry-run: an input file over 4 GiB (sparse): the lines after it are read, counted and numbered" {
	local d
	d=$(scratch)
	# line 1: 4 GiB + 1 byte of NULs (refused: longer than --max-line), then two records
	truncate -s $((4 * GiB + 1)) "$d/big"
	printf '\n%s\n%s\n' '{"record_type":"device","timestamp":"2025-01-01T00:00:00Z","n":2}' \
		'{"record_type":"device","timestamp":"2025-01-01T00:00:01Z","n":3}' >>"$d/big"
	run --separate-stderr es-bulk --dry-run --dead-letter "$d/rej" "$d/big"
	[ "$status" -eq 65 ]
	[[ $stderr == *"$d/big:1: line longer than"* ]]
	[ "$(jq -s -c '[.[] | select(.n) | .n]' <<<"$output")" = "[2,3]" ]
	local fin
	fin=$(grep '^{"es-bulk":"final"' <<<"$stderr")
	[ "$(jq .bytes <<<"$fin")" -eq "$(stat -c %s "$d/big")" ]
	[ "$(jq .lines <<<"$fin")" -eq 3 ]
	[ "$(jq .indexed <<<"$fin")" -eq 2 ]
}

@test "buffer-spool: a file spool over 4 GiB: status counts its bytes, --max-bytes 5g refuses, drain sends the rest" {
	local d sp s1 s2 n1
	d=$(scratch)
	sp="--spool-dir=$d/sd"
	gen() { seq "$1" "$2" | jq -c '{record_type: "device", n: .}'; }
	gen 1 3 | buffer-spool store "$sp"
	gen 4 6 | buffer-spool store "$sp"
	s1=$(ls "$d/sd"/*.ndjson | head -n 1)
	s2=$(ls "$d/sd"/*.ndjson | tail -n 1)
	[ "$s1" != "$s2" ]
	n1=$(stat -c %s "$s1")
	# the first segment grows past 4 GiB; it is not the last, so only its size is read
	truncate -s $((5 * GiB)) "$s1"
	run -0 buffer-spool status "$sp" --json
	[ "$(jq .total <<<"$output")" -eq 6 ]
	[ "$(jq .bytes <<<"$output")" -eq $((5 * GiB + $(stat -c %s "$s2"))) ]
	# a limit between 4 and 8 GiB is a limit (not one wrapped around 2^32)
	run -74 --separate-stderr buffer-spool store "$sp" --max-bytes 5g < <(gen 7 7)
	[[ $stderr == *"spool full"* ]]
	run -0 buffer-spool store "$sp" --max-bytes 6g < <(gen 7 7)
	[ "$(buffer-spool status "$sp" --json | jq .total)" -eq 7 ]
	# records 1-3 synced: the 5 GiB segment is deleted, drain sends 4..7 once
	echo 3 >"$d/sd/acked"
	run -0 env SINK_OUT="$d/out" buffer-spool drain "$sp" -- "$KES_TOP/tests/buffer-spool-sink"
	[ "$(jq -s -c 'map(.n)' "$d/out")" = "[4,5,6,7]" ]
	[ ! -e "$s1" ]
	run -0 buffer-spool status "$sp" --json
	[ "$(jq .unsynced <<<"$output")" -eq 0 ]
	[ "$(jq .bytes <<<"$output")" -lt "$n1$n1" ]
}
