#!/usr/bin/env bats
# tests/kismet-tap.bats - kismet-tap without a server: command line, man page, the unit
# tests of the mapping and field list (build/tests/kismet-tap-test), and the --kismetdb
# source against the real Kismet log tests/data/kismet/kismetdb/field-sample.kismet, with
# every expected value computed independently by jq from the log's device JSON.

load lib/common
bats_require_minimum_version 1.5.0

DB=$KES_DATA/kismet/kismetdb/field-sample.kismet
SENSOR=74DAB15A-E9A4-11F1-8C91-4B49534D4554
MAPJQ=$BATS_TEST_DIRNAME/kismet-tap-map.jq

# the devices.device column as one JSON object per line
db_devices() { sqlite3 -readonly "$1" "SELECT CAST(device AS TEXT) FROM devices"; }

@test "kismet-tap: --help on stdout, --version with library versions, usage errors exit 64" {
	run kismet-tap --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"--kismetdb FILE"* ]]
	run kismet-tap --version
	[ "$status" -eq 0 ]
	[[ "$output" == "kismet-tap 0.1.0"* ]]
	[[ "$output" == *jansson* && "$output" == *libcurl* && "$output" == *libwebsockets* && "$output" == *sqlite* ]]
	for bad in "--no-such-option" "--update-rate 0" "--update-rate x" "--format xml" \
	    "--once --kismetdb $DB" "--kismetdb $DB --kismet-host h" "--raw --format text" \
	    "--events bad-topic" "--kismetdb $DB --events NEW_DEVICE" "--kismet-port 70000" "extra"; do
		run kismet-tap $bad
		echo "$bad -> $status: $output"
		[ "$status" -eq 64 ]
		[[ "$output" == *"try 'kismet-tap --help'"* ]]
	done
}

@test "kismet-tap: every --help option is in the man page and the reverse; mandoc lint clean" {
	man=$KES_TOP/man/kismet-tap.1
	run mandoc -Tlint -W warning "$man"
	echo "$output"
	[ "$status" -eq 0 ]
	help_opts=$(kismet-tap --help | grep -oE -- '--[a-z][a-z-]+' | sort -u)
	man_opts=$(grep -E '^\.It Fl' "$man" | grep -oE 'Fl -[a-z][a-z-]+' | sed 's/^Fl -/--/' | sort -u)
	echo "help: $help_opts"; echo "man: $man_opts"
	[ -n "$help_opts" ]
	[ "$help_opts" = "$man_opts" ]
}

@test "kismet-tap: unit tests (field list validation, mapping edge cases, dedup)" {
	run "${KES_BIN_DIR%/bin}/tests/kismet-tap-test"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"ALL OK"* ]]
	! grep -q '^FAIL' <<<"$output"
}

@test "kismet-tap --kismetdb: every device's last state, values as computed by jq" {
	d=$(scratch)
	run --separate-stderr kismet-tap --kismetdb "$DB"
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" >"$d/got"
	[ "$(sqlite3 -readonly "$DB" 'SELECT COUNT(*) FROM devices')" -eq 64 ]
	[ "$(wc -l <"$d/got")" -eq 64 ]
	jq -S -c . "$d/got" | sort >"$d/got.s"
	db_devices "$DB" | jq -c --arg sensor "$SENSOR" -f "$MAPJQ" | jq -S -c . | sort >"$d/exp.s"
	diff "$d/exp.s" "$d/got.s"
	# the rules that matter, spelled out: lower-case MACs, no zeros for unknown values
	jq -e -s 'all(.[]; .mac_addr == (.mac_addr | ascii_downcase) and .record_type == "device"
		and (.timestamp | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$"))
		and ((has("signal_dbm") | not) or .signal_dbm != 0)
		and ((has("frequency") | not) or .frequency > 0)
		and ((has("channel") | not) or .channel != "")
		and ((has("manufacturer") | not) or .manufacturer != "Unknown")
		and ((has("username") | not) or (.username | type) == "string"))' "$d/got"
	# 22 of the 64 rows have no location (lat/lon 0.0 in the table): none in the records
	[ "$(jq -s 'map(select(has("location"))) | length' "$d/got")" -eq \
	  "$(sqlite3 -readonly "$DB" 'SELECT COUNT(*) FROM devices WHERE avg_lat != 0 OR avg_lon != 0')" ]
	# the user-named Apple client keeps its username
	jq -e -s 'map(select(.mac_addr == "00:1c:b3:09:85:15"))[0].username == "Bob'"'"'s iPhone"' "$d/got"
}

@test "kismet-tap --kismetdb --events ALERT,MESSAGE: alerts and messages as event records" {
	d=$(scratch)
	kismet-tap --kismetdb "$DB" --events ALERT,MESSAGE --sensor field-1 >"$d/out" 2>"$d/err"
	[ "$(jq -s 'map(select(.record_type == "device")) | length' "$d/out")" -eq 64 ]
	[ "$(jq -s 'map(select(.event_type == "ALERT")) | length' "$d/out")" -eq \
	  "$(sqlite3 -readonly "$DB" 'SELECT COUNT(*) FROM alerts')" ]
	[ "$(jq -s 'map(select(.event_type == "MESSAGE")) | length' "$d/out")" -eq \
	  "$(sqlite3 -readonly "$DB" 'SELECT COUNT(*) FROM messages')" ]
	jq -e -s 'all(.[]; .sensor == "field-1")' "$d/out"
	# an alert's device_mac is its transmitter, lower case; its time is the float timestamp
	exp=$(sqlite3 -readonly "$DB" "SELECT CAST(json AS TEXT) FROM alerts WHERE header='DEAUTHFLOOD' ORDER BY ts_sec, ts_usec LIMIT 1" |
		jq -c '{m: (."kismet.alert.transmitter_mac" | ascii_downcase),
			t: ((."kismet.alert.timestamp" * 1000 | round) as $ms | ($ms / 1000 | floor | todate | sub("Z$"; "")) + "." + ($ms % 1000 | tostring | ("00" + .) | .[-3:]) + "Z")}')
	got=$(jq -c -s 'map(select(.event_type == "ALERT" and .event_data."kismet.alert.header" == "DEAUTHFLOOD"))[0] | {m: .device_mac, t: .timestamp}' "$d/out")
	[ "$exp" = "$got" ]
	# the system alert ROOTUSER concerns no device: no device_mac
	jq -e -s 'map(select(.event_data."kismet.alert.header" == "ROOTUSER"))[0] | has("device_mac") | not' "$d/out"
}

@test "kismet-tap --kismetdb: read-only, several files, missing file exits 66" {
	d=$(scratch)
	cp "$DB" "$d/a.kismet"
	cp "$DB" "$d/b.kismet"
	chmod 0444 "$d/a.kismet"
	sum=$(sha256sum <"$d/a.kismet")
	run --separate-stderr kismet-tap --kismetdb "$d/a.kismet" --kismetdb "$d/b.kismet"
	[ "$status" -eq 0 ]
	# the same device states in both files are written once
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 64 ]
	[ "$(sha256sum <"$d/a.kismet")" = "$sum" ]
	[ ! -e "$d/a.kismet-wal" ]
	# a log without a SYSTEM snapshot: the sensor is the file's name
	sqlite3 "$d/b.kismet" "DELETE FROM snapshots"
	run --separate-stderr kismet-tap --kismetdb "$d/b.kismet"
	[ "$(printf '%s\n' "$output" | jq -r .sensor | sort -u)" = "b.kismet" ]
	run kismet-tap --kismetdb "$d/nonexistent.kismet"
	[ "$status" -eq 66 ]
	[[ "$output" == *"nonexistent.kismet"* ]]
	echo "not sqlite" >"$d/junk.kismet"
	run kismet-tap --kismetdb "$d/junk.kismet"
	[ "$status" -eq 66 ]
}

@test "kismet-tap --kismetdb: a log being written (WAL, writer holding a transaction) is read" {
	d=$(scratch)
	cp "$DB" "$d/w.kismet"
	sqlite3 "$d/w.kismet" "PRAGMA journal_mode=WAL;" >/dev/null
	# a writer with an open write transaction for 3 s
	( printf 'BEGIN IMMEDIATE;\nUPDATE devices SET bytes_data = bytes_data WHERE 0;\nSELECT 1;\n'; sleep 3; printf 'COMMIT;\n' ) |
		sqlite3 "$d/w.kismet" >/dev/null &
	w=$!
	sleep 0.5
	run --separate-stderr timeout 20 kismet-tap --kismetdb "$d/w.kismet"
	wait "$w"
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 64 ]
}

@test "kismet-tap --kismetdb --raw: Kismet's JSON with '_' keys plus record_type, sensor, timestamp" {
	run --separate-stderr kismet-tap --kismetdb "$DB" --raw
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" | jq -e -s 'length == 64 and all(.[]; .record_type == "device"
		and .sensor == "'"$SENSOR"'" and has("kismet_device_base_macaddr")
		and (has("kismet.device.base.macaddr") | not)
		and (.timestamp | endswith(".000Z")))'
	# nested keys too
	printf '%s\n' "$output" | jq -e -s '[.[] | .. | objects | keys[] | select(contains("."))] | length == 0'
}

@test "kismet-tap --format text: one readable line per record" {
	run --separate-stderr kismet-tap --kismetdb "$DB" --format text
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 64 ]
	printf '%s\n' "$output" | grep -q '^2026-11-26T[0-9:.]*Z  device  00:1c:b3:09:85:15 .*Bob.s iPhone'
}

@test "kismet-tap --kismetdb | head -1: one line, clean exit (74), no core" {
	d=$(scratch)
	run bash -c "set -o pipefail; kismet-tap --kismetdb '$DB' --raw 2>'$d/err' | head -1"
	echo "status $status"; cat "$d/err"
	[ "$status" -eq 74 ]
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 1 ]
	[ "$(grep -c EPIPE "$d/err")" -eq 1 ]
	! grep -qiE 'segmentation|core|sanitizer' "$d/err"
}

@test "kismet-tap --kismetdb --events ALERT: every alert's alert object and location, as computed by jq" {
	d=$(scratch)
	kismet-tap --kismetdb "$DB" --events ALERT >"$d/out" 2>"$d/err"
	n=$(sqlite3 -readonly "$DB" 'SELECT COUNT(*) FROM alerts')
	[ "$n" -eq 58 ]
	# in log order (ts_sec, ts_usec, rowid): the same order kismet-tap reads them
	sqlite3 -readonly "$DB" "SELECT CAST(json AS TEXT) FROM alerts ORDER BY ts_sec, ts_usec, rowid" |
		jq -S -c -f "$BATS_TEST_DIRNAME/kismet-tap-alert.jq" >"$d/exp"
	jq -S -c 'select(.event_type == "ALERT") | {alert, location, latitude, longitude, altitude}
		| with_entries(select(.value != null))' "$d/out" >"$d/got"
	[ "$(wc -l <"$d/got")" -eq "$n" ]
	diff "$d/exp" "$d/got"
	# the raw payload stays in event_data; what the rules spell out, spelled out
	jq -e -s 'map(select(.event_type == "ALERT")) | all(.[];
		(.event_data | has("kismet.alert.header")) and .alert.header == .event_data."kismet.alert.header"
		and ((.alert | has("other_mac")) | not)
		and ((.alert | has("channel")) | not) and ((.alert | has("frequency")) | not))' "$d/out"
	jq -e -s 'map(select(.alert.header == "DEAUTHFLOOD")) | length > 0 and all(.[];
		.alert.transmitter_mac == (.alert.transmitter_mac | ascii_downcase) and has("location")
		and .alert.class == "DENIAL" and (.alert.severity | type) == "number")' "$d/out"
}

@test "kismet-tap --kismetdb: the Wi-Fi fields (section 2b) follow their presence rules" {
	d=$(scratch)
	kismet-tap --kismetdb "$DB" >"$d/out" 2>"$d/err"
	# encryption strings as Kismet writes them, absent when empty
	[ "$(jq -r 'select(has("encryption")) | .encryption' "$d/out" | sort -u | paste -sd'|')" = \
	  "$(db_devices "$DB" | jq -r '."kismet.device.base.crypt" | select(. != "")' | sort -u | paste -sd'|')" ]
	jq -e -s 'any(.[]; .encryption == "Open") and any(.[]; .encryption | tostring | startswith("WPA2"))' "$d/out"
	# only devices that beacon an SSID have ssid_cloaked; the hidden AP has no ssid
	jq -e -s 'all(.[]; (has("ssid_cloaked") | not) or .device_type == "Wi-Fi AP")' "$d/out"
	jq -e -s 'all(.[]; (has("ssid") | not) or has("ssid_cloaked"))' "$d/out"
	jq -e -s 'map(select(.mac_addr == "78:8a:20:77:88:05"))[0] | .ssid_cloaked == true and (has("ssid") | not)' "$d/out"
	# clients and handshakes for every Wi-Fi device, 0 included; lists sorted, lower case
	jq -e -s 'all(.[]; (.phy_type != "IEEE802.11") or ((.clients | type) == "number" and (.wpa_handshakes | type) == "number"))' "$d/out"
	jq -e -s 'any(.[]; .wpa_handshakes > 0) and any(.[]; .clients > 0)' "$d/out"
	jq -e -s 'all(.[]; [.associated_clients, .connected_bssids, .seen_by] | all(.[];
		. == null or (. == (. | unique) and length > 0)))' "$d/out"
	jq -e -s 'all(.[]; [(.associated_clients // [])[], (.connected_bssids // [])[], (.bssid // "a")] | all(.[]; . == ascii_downcase))' "$d/out"
	jq -e -s 'all(.[]; .bssid != "00:00:00:00:00:00")' "$d/out"
	# an AP's clients name it as their bssid or connected AP
	jq -e -s '(map(select(.clients > 0))[0]) as $ap | $ap.associated_clients as $c
		| map(select(.mac_addr as $m | $c | index([$m]))) | length > 0 and
		  all(.[]; (.connected_bssids // []) | index([$ap.mac_addr]))' "$d/out"
	# probed_ssids only when asked for
	! grep -q probed_ssids "$d/out"
	kismet-tap --kismetdb "$DB" --probed-ssids >"$d/probed" 2>/dev/null
	db_devices "$DB" | jq -c --arg sensor "$SENSOR" --arg probed 1 -f "$MAPJQ" | jq -S -c . | sort >"$d/exp.s"
	jq -S -c . "$d/probed" | sort >"$d/got.s"
	diff "$d/exp.s" "$d/got.s"
	jq -e -s 'map(select(has("probed_ssids"))) | length > 0' "$d/probed"
}

@test "kismet-tap --format text: encryption, SSID and BSSID where known" {
	run --separate-stderr kismet-tap --kismetdb "$DB" --format text
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" | grep -E '^\S+  device  a0:40:a0:11:22:01 .*ssid "HomeNet"  WPA2 WPA2-PSK AES-CCMP  bssid a0:40:a0:11:22:01'
	printf '%s\n' "$output" | grep -E '^\S+  device  00:1c:b3:09:85:15 .* bssid a0:40:a0:11:22:01'
}
