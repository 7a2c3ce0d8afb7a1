#!/usr/bin/env bats
# tests/kismet-tap-sightings.bats - kismet-tap --kismetdb LOG --sightings S
# (ARCHITECTURE.md 2c) on the real Kismet log tests/data/kismet/kismetdb/field-sample.kismet:
# every sighting equals an independent projection computed here from the packets table
# with sqlite3 (window functions over a temporary table) and jq, window by window and
# field by field, for two window sizes; several logs in one run; a WAL log held open by
# a writer; --pseudonymize-macs; bad window sizes.

load lib/common
bats_require_minimum_version 1.5.0

DB=$KES_DATA/kismet/kismetdb/field-sample.kismet

teardown() {
	if [ -n "${wpid:-}" ]; then
		exec 7>&- || true
		kill "$wpid" 2>/dev/null || true
		wait "$wpid" 2>/dev/null || true
	fi
}

# expected_windows DB S: one JSON object per (device, window), from the packets table.
# A packet belongs to the device whose (phyname, devmac) is its (phyname, sourcemac);
# "last" is by (ts_sec, ts_usec, rowid).
expected_windows() {
	sqlite3 -readonly "$1" "
	CREATE TEMP TABLE p AS
		SELECT p.rowid AS r, d.devmac AS mac, d.devkey AS devkey, p.ts_sec AS sec,
			p.ts_usec AS usec, p.signal AS sig, p.frequency AS freq, p.lat AS lat,
			p.lon AS lon, p.alt AS alt, (p.ts_sec / $2) * $2 AS win
		FROM packets p JOIN devices d ON d.devmac = p.sourcemac AND d.phyname = p.phyname;
	CREATE INDEX temp.pw ON p(mac, win);
	SELECT json_object(
		'mac', lower(mac), 'devkey', devkey, 'win', win,
		'first_seen', MIN(sec), 'last_seen', MAX(sec), 'packets', COUNT(*),
		'ts', (SELECT strftime('%Y-%m-%dT%H:%M:%S', q.sec, 'unixepoch') || '.' ||
			printf('%03d', q.usec / 1000) || 'Z' FROM p q WHERE q.mac = g.mac AND q.win = g.win
			ORDER BY q.sec DESC, q.usec DESC, q.r DESC LIMIT 1),
		'sig', (SELECT q.sig FROM p q WHERE q.mac = g.mac AND q.win = g.win AND q.sig != 0
			ORDER BY q.sec DESC, q.usec DESC, q.r DESC LIMIT 1),
		'sigmin', MIN(NULLIF(sig, 0)), 'sigmax', MAX(NULLIF(sig, 0)),
		'freq', (SELECT CAST(round(q.freq) AS INTEGER) FROM p q WHERE q.mac = g.mac
			AND q.win = g.win AND round(q.freq) != 0
			ORDER BY q.sec DESC, q.usec DESC, q.r DESC LIMIT 1),
		'loc', json((SELECT json_array(q.lat, q.lon, q.alt) FROM p q WHERE q.mac = g.mac
			AND q.win = g.win AND NOT (q.lat = 0 AND q.lon = 0)
			AND q.lat BETWEEN -90 AND 90 AND q.lon BETWEEN -180 AND 180
			ORDER BY q.sec DESC, q.usec DESC, q.r DESC LIMIT 1)))
	FROM p g GROUP BY mac, win;"
}

# expected_sightings DB S DEVICES: the sighting records, built by jq from the windows and
# the device records kismet-tap wrote (sensor and the six copied fields), sorted.
expected_sightings() {
	expected_windows "$1" "$2" | jq -c -s --slurpfile dev "$3" '
		($dev | map(select(.record_type == "device")) | INDEX(.mac_addr)) as $d
		| ($dev[0].sensor) as $sensor
		| map(
			{timestamp: .ts, record_type: "sighting", sensor: $sensor, mac_addr: .mac,
			 device_key: .devkey}
			+ ($d[.mac] // {} | with_entries(select(.key | IN("phy_type", "device_type",
			    "manufacturer", "name", "ssid", "encryption"))))
			+ {first_seen, last_seen, packets}
			+ (if .sig then {signal_dbm: .sig, signal_min_dbm: .sigmin,
			    signal_max_dbm: .sigmax} else {} end)
			+ (if .freq then {frequency: .freq} else {} end)
			+ (if .loc then {location: {lat: .loc[0], lon: .loc[1]}, latitude: .loc[0],
			    longitude: .loc[1]} + (if .loc[2] != null then {altitude: .loc[2]}
			    else {} end) else {} end))
		| sort_by(.mac_addr, .first_seen) | .[]'
}

# check_window DB S: kismet-tap's sightings equal the projection, record for record.
check_window() {
	local db=$1 s=$2 d
	d=$(scratch)
	kismet-tap --kismetdb "$db" --sightings "$s" >"$d/out" 2>"$d/err"
	jq -c 'select(.record_type == "device")' "$d/out" >"$d/dev"
	[ "$(wc -l <"$d/dev")" -eq 64 ]
	expected_sightings "$db" "$s" "$d/dev" | jq -S -c . >"$d/exp"
	jq -S -c 'select(.record_type == "sighting")' "$d/out" >"$d/got"
	echo "window $s: expected $(wc -l <"$d/exp"), got $(wc -l <"$d/got")"
	[ "$(wc -l <"$d/exp")" -gt 100 ]
	# field by field, no window missing or duplicated
	diff <(jq -c -s 'sort_by(.mac_addr, .first_seen) | .[]' "$d/got") "$d/exp"
	[ "$(jq -s 'map([.mac_addr, (.first_seen / '"$s"' | floor)]) | unique | length' "$d/got")" \
		-eq "$(wc -l <"$d/got")" ]
	# every packet of a device counted once
	[ "$(jq -s 'map(.packets) | add' "$d/got")" -eq "$(sqlite3 -readonly "$db" \
		'SELECT COUNT(*) FROM packets p JOIN devices d ON d.devmac = p.sourcemac
		 AND d.phyname = p.phyname')" ]
	# every window within S seconds, aligned; the copied fields really come along
	jq -e -s 'all(.[]; (.first_seen / '"$s"' | floor) == (.last_seen / '"$s"' | floor))' "$d/got"
	jq -e -s 'all(.[]; .phy_type and .device_type) and (map(select(.name)) | length > 20)
		and (map(select(.manufacturer)) | length > 100)' "$d/got"
	# the device records first, then the sightings, by window, then first packet
	[ "$(jq -r .record_type "$d/out" | uniq | paste -sd,)" = "device,sighting" ]
	jq -e -s '. as $a | [range(1; length) | [$a[. - 1], $a[.]]
		| (.[0].first_seen / '"$s"' | floor) < (.[1].first_seen / '"$s"' | floor) or
		  ((.[0].first_seen / '"$s"' | floor) == (.[1].first_seen / '"$s"' | floor) and
		   .[0].first_seen <= .[1].first_seen)] | all' <(grep '"sighting"' "$d/out")
	grep -q 'sightings: 20439 packets of 64 devices' "$d/err"
}

@test "sightings: 60 s windows equal the projection of the packets table, field by field" {
	check_window "$DB" 60
}

@test "sightings: 10 s windows equal the projection of the packets table, field by field" {
	check_window "$DB" 10
	# the projection itself sees what matters: some windows without signal or location
	d=$(scratch)
	expected_windows "$DB" 10 >"$d/w"
	jq -e -s 'map(select(.sig == null)) | length > 0' "$d/w"
	jq -e -s 'map(select(.freq == null)) | length > 0' "$d/w"
	[ "$(expected_windows "$DB" 10 | wc -l)" -gt "$(expected_windows "$DB" 60 | wc -l)" ]
}

@test "sightings: windows without a fix, zero signal and frequency leave the fields out" {
	d=$(scratch)
	cp "$DB" "$d/nofix.kismet"
	# one device: no fix at all and no signal; another: a fix only in its earlier packets
	sqlite3 "$d/nofix.kismet" "
		UPDATE packets SET lat = 0, lon = 0, signal = 0, frequency = 0
			WHERE sourcemac = 'A0:40:A0:11:22:01';
		UPDATE packets SET lat = 0, lon = 0 WHERE sourcemac = '50:C7:BF:33:44:02'
			AND ts_sec % 60 >= 30;
		UPDATE packets SET lat = 48.5, lon = 2.25, alt = 35 WHERE sourcemac = '50:C7:BF:33:44:02'
			AND ts_sec % 60 < 30;"
	check_window "$d/nofix.kismet" 60
	kismet-tap --kismetdb "$d/nofix.kismet" --sightings 60 2>/dev/null >"$d/out"
	jq -e -s 'map(select(.mac_addr == "a0:40:a0:11:22:01" and .record_type == "sighting"))
		| length > 2 and all(.[]; has("location") or has("signal_dbm") or has("frequency")
		| not)' "$d/out"
	jq -e -s 'map(select(.mac_addr == "50:c7:bf:33:44:02" and .record_type == "sighting"
		and .location)) | length > 2 and all(.[]; .location == {lat: 48.5, lon: 2.25}
		and .altitude == 35)' "$d/out"
}

@test "sightings: several logs in one run, each log's sightings after its devices" {
	d=$(scratch)
	cp "$DB" "$d/a.kismet"
	cp "$DB" "$d/b.kismet"
	# the second log: the same drive a day later
	sqlite3 "$d/b.kismet" "UPDATE packets SET ts_sec = ts_sec + 86400"
	kismet-tap --kismetdb "$d/a.kismet" --sightings 60 >"$d/a" 2>/dev/null
	kismet-tap --kismetdb "$d/b.kismet" --sightings 60 >"$d/b" 2>/dev/null
	run --separate-stderr kismet-tap --kismetdb "$d/a.kismet" --kismetdb "$d/b.kismet" --sightings 60
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" >"$d/both"
	# log a whole, then b's sightings (b's devices are unchanged: de-duplicated)
	diff "$d/both" <(cat "$d/a"; grep '"record_type":"sighting"' "$d/b")
	[ "$(grep -c '"sighting"' "$d/a")" -gt 100 ]
	# b's sightings are a's, a day later
	diff <(jq -c 'select(.record_type == "sighting") | del(.timestamp)' "$d/a") \
		<(jq -c 'select(.record_type == "sighting") | .first_seen -= 86400
			| .last_seen -= 86400 | del(.timestamp)' "$d/b")
	[ "$(jq -r 'select(.record_type == "sighting") | .timestamp[0:10]' "$d/b" | sort -u)" = 2026-11-27 ]
	[ "$(grep -c 'sightings: 20439 packets' <<<"$stderr")" -eq 2 ]
}

@test "sightings: a WAL log that a writer holds open (committed packets in, uncommitted out)" {
	d=$(scratch)
	cp "$DB" "$d/live.kismet"
	[ "$(sqlite3 "$d/live.kismet" 'PRAGMA journal_mode=WAL')" = wal ]
	mkfifo "$d/w"
	sqlite3 "$d/live.kismet" <"$d/w" >"$d/writer.out" 2>&1 &
	wpid=$!
	exec 7>"$d/w"
	cols="ts_sec, ts_usec, phyname, sourcemac, frequency, lat, lon, alt, signal"
	echo "INSERT INTO packets ($cols) VALUES (1795710000, 500000, 'IEEE802.11',
		'A0:40:A0:11:22:01', 5180000, 47.7, -122.4, 10, -40);" >&7
	echo "BEGIN; INSERT INTO packets ($cols) VALUES (1795720000, 0, 'IEEE802.11',
		'A0:40:A0:11:22:01', 2412000, 1, 1, 1, -30);" >&7
	committed() { [ "$(sqlite3 -readonly "$d/live.kismet" \
		'SELECT COUNT(*) FROM packets WHERE ts_sec = 1795710000')" = 1 ]; }
	WAIT_SECS=10 wait_for committed
	[ -s "$d/live.kismet-wal" ]
	run --separate-stderr timeout 20 kismet-tap --kismetdb "$d/live.kismet" --sightings 60
	exec 7>&-
	wait "$wpid" || true
	echo "$stderr"
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" >"$d/out"
	jq -c 'select(.first_seen >= 1795710000)' "$d/out" >"$d/new"
	cat "$d/new"
	[ "$(wc -l <"$d/new")" -eq 1 ]
	jq -e 'del(.sensor, .device_key, .phy_type, .device_type, .manufacturer, .name, .ssid,
		.encryption) == {timestamp: "2026-11-26T16:20:00.500Z", record_type: "sighting",
		mac_addr: "a0:40:a0:11:22:01", first_seen: 1795710000, last_seen: 1795710000,
		packets: 1, signal_dbm: -40, signal_min_dbm: -40, signal_max_dbm: -40,
		frequency: 5180000, location: {lat: 47.7, lon: -122.4}, latitude: 47.7,
		longitude: -122.4, altitude: 10}' "$d/new"
	# the rest as in the log before
	[ "$(grep -c '"sighting"' "$d/out")" -eq $(( $(kismet-tap --kismetdb "$DB" --sightings 60 2>/dev/null | grep -c '"sighting"') + 1 )) ]
}

@test "sightings: --pseudonymize-macs leaves no real MAC or device key, consistent with the device records" {
	d=$(scratch)
	head -c 32 /dev/urandom >"$d/key" && chmod 600 "$d/key"
	kismet-tap --kismetdb "$DB" --sightings 10 >"$d/clear" 2>/dev/null
	kismet-tap --kismetdb "$DB" --sightings 10 --pseudonymize-macs "$d/key" >"$d/out" 2>"$d/err"
	kismet-tap --kismetdb "$DB" --sightings 10 --pseudonymize-macs "$d/key" --format text >>"$d/out" 2>>"$d/err"
	sqlite3 -readonly "$DB" "SELECT devmac FROM devices; SELECT DISTINCT sourcemac FROM packets" |
		grep -vxE '00(:00){5}|FF(:FF){5}' | sort -u >"$d/real"
	sqlite3 -readonly "$DB" "SELECT devkey FROM devices" | sed 's/^.*_/_/' | sort -u >"$d/tails"
	[ "$(wc -l <"$d/real")" -gt 60 ]
	grep -q -i -F -f "$d/real" "$d/clear"
	grep -q -F -f "$d/tails" "$d/clear"
	! grep -i -F -f "$d/real" "$d/out" "$d/err"
	! grep -F -f "$d/tails" "$d/out" "$d/err"
	# the same number of sightings, and each one's MAC and key are its device record's
	[ "$(grep -c '"sighting"' "$d/clear")" -eq "$(grep -c '"record_type":"sighting"' "$d/out")" ]
	jq -e -s '(map(select(.record_type == "device") | [.mac_addr, .device_key]) | unique) as $dev
		| map(select(.record_type == "sighting") | [.mac_addr, .device_key]) | unique
		| length == '"$(jq -s 'map(select(.record_type == "sighting") | .mac_addr) | unique
		| length' "$d/clear")"' and all(.[]; . as $p | $dev | index([$p]) != null)' \
		<(grep '^{' "$d/out")
	# the text lines: one per sighting, pseudonymized too
	[ "$(grep -c '^[^{].*  sighting  ' "$d/out")" -eq "$(grep -c '"sighting"' "$d/clear")" ]
}

@test "sightings: bad window sizes and combinations exit 64 with one line naming the option" {
	for bad in 0 -1 1.5 x "" 60s 31622401 99999999999999999999999; do
		run --separate-stderr kismet-tap --kismetdb "$DB" --sightings "$bad"
		echo "'$bad' -> $status: $stderr"
		[ "$status" -eq 64 ]
		[ -z "$output" ]
		[[ "${stderr_lines[0]}" == "kismet-tap: --sightings '$bad': "* ]]
		[[ "$stderr" == *"try 'kismet-tap --help'"* ]]
	done
	run --separate-stderr kismet-tap --sightings 60
	[ "$status" -eq 64 ]
	[[ "$stderr" == *"--sightings"*"only with --kismetdb"* ]]
	# the largest window is accepted: one sighting per device with packets
	run --separate-stderr kismet-tap --kismetdb "$DB" --sightings 31622400
	[ "$status" -eq 0 ]
	[ "$(grep -c '"sighting"' <<<"$output")" -eq "$(sqlite3 -readonly "$DB" \
		'SELECT COUNT(DISTINCT sourcemac) FROM packets p JOIN devices d ON d.devmac = p.sourcemac')" ]
}

@test "sightings: a log whose packets table cannot be read: its other records, exit 65, one line naming it" {
	d=$(scratch)
	cp "$DB" "$d/nopackets.kismet"
	sqlite3 "$d/nopackets.kismet" "DROP TABLE packets"
	run --separate-stderr kismet-tap --kismetdb "$d/nopackets.kismet" --kismetdb "$DB" --sightings 60 --events ALERT
	echo "$stderr"
	[ "$status" -eq 65 ]
	[ "$(grep -c "^kismet-tap: $d/nopackets.kismet: sightings: packets: no such table: packets" <<<"$stderr")" -eq 1 ]
	# the broken log's devices and alerts, then the good log's sightings (its devices are the same)
	[ "$(jq -r .record_type <<<"$output" | uniq -c | awk '{ print $2 }' | paste -sd,)" = device,event,sighting,event ]
	[ "$(grep -c '"sighting"' <<<"$output")" -gt 100 ]
}

@test "sightings: packets without a usable time are skipped with one warning, the rest unchanged" {
	d=$(scratch)
	cp "$DB" "$d/badtime.kismet"
	cols="ts_sec, ts_usec, phyname, sourcemac, signal"
	sqlite3 "$d/badtime.kismet" "INSERT INTO packets ($cols) VALUES
		(-5, 0, 'IEEE802.11', 'A0:40:A0:11:22:01', -40),
		(300000000000, 0, 'IEEE802.11', 'A0:40:A0:11:22:01', -40),
		(9223372036854775807, 999999, 'IEEE802.11', 'A0:40:A0:11:22:01', -40),
		(NULL, 0, 'IEEE802.11', 'A0:40:A0:11:22:01', -40),
		('yesterday', 0, 'IEEE802.11', 'A0:40:A0:11:22:01', -40),
		(1795704100.5, 0, 'IEEE802.11', 'A0:40:A0:11:22:01', -40),
		(1795704100, 2000000, 'IEEE802.11', 'A0:40:A0:11:22:01', -40),
		(1795704100, -1, 'IEEE802.11', 'A0:40:A0:11:22:01', -40)"
	run --separate-stderr kismet-tap --kismetdb "$d/badtime.kismet" --sightings 60
	[ "$status" -eq 0 ]
	[ "$(grep -c "sightings: 8 packets skipped: no usable time" <<<"$stderr")" -eq 1 ]
	diff <(grep '"sighting"' <<<"$output") <(kismet-tap --kismetdb "$DB" --sightings 60 2>/dev/null | grep '"sighting"')
}
