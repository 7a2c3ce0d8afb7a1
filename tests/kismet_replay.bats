#!/usr/bin/env bats
# tests/kismet_replay.bats - fidelity tests of the Kismet replay server itself
# (tests/kismet-replay/kismet-replay) against the recordings of a real Kismet 2025-09-R1
# in tests/data/kismet (curl + jq; websockets through tests/kismet-replay/wsclient).

load lib/common

KR=$KES_TOP/tests/kismet-replay/kismet-replay
WSC=$KES_TOP/tests/kismet-replay/wsclient
KEY=DC28D8A94C72B85B514483A49BC51BE7
FINAL=$KES_DATA/kismet/rest_final
MID=$KES_DATA/kismet/rest_mid
NOW_FINAL=1795704347
NOW_MID=1795704117

# start_replay [options...]: start a server on a free port; sets KR_PID KR_PORT KR_URL KR_DIR
start_replay() {
	KR_DIR=$(scratch)
	rm -f "$KR_DIR/port"
	"$KR" --port "${KR_FORCE_PORT:-0}" --port-file "$KR_DIR/port" --apikey "$KEY" "$@" \
		2>>"$KR_DIR/stderr" &
	KR_PID=$!
	wait_for test -s "$KR_DIR/port"
	KR_PORT=$(cat "$KR_DIR/port")
	KR_URL=http://127.0.0.1:$KR_PORT
}

teardown() {
	if [ -n "${KR_PID:-}" ]; then
		kill "$KR_PID" 2>/dev/null || true
		wait "$KR_PID" 2>/dev/null || true
	fi
}

# index_body NAME DIR: the request body recorded for NAME in DIR/INDEX.txt
index_body() { sed -n "s/^$1 <= .* body: \(.*\)   \[at .*\]\$/\1/p" "$2/INDEX.txt"; }
kc() { curl -sS -H "Cookie: KISMET=$KEY" "$@"; }
kpost() { kc -H 'Content-Type: application/json' "$@"; }
code() { curl -sS -o /dev/null -w '%{http_code}' "$@"; }

@test "fields request at the final time reproduces the recording byte for byte" {
	start_replay --start-time $NOW_FINAL --freeze
	body=$(index_body devices_views_all_fields_json.json "$FINAL")
	[ -n "$body" ]
	kpost -d "$body" "$KR_URL/devices/views/all/devices.json" >"$KR_DIR/out.json"
	cmp "$KR_DIR/out.json" "$FINAL/devices_views_all_fields_json.json"
	# and, independent of the bytes: same MACs in the same order, same values
	run jq -n --slurpfile a "$KR_DIR/out.json" --slurpfile b "$FINAL/devices_views_all_fields_json.json" \
		'($a[0] | map(.mac)) == ($b[0] | map(.mac)) and $a[0] == $b[0] and ($a[0] | length) == 59'
	[ "$output" = true ]
	# the form body json= gives the same answer, and so does ekjson
	kc --data-urlencode "json=$body" "$KR_URL/devices/views/all/devices.json" | cmp - "$FINAL/devices_views_all_fields_form.json"
	kpost -d "$body" "$KR_URL/devices/views/all/devices.ekjson" | cmp - "$FINAL/devices_views_all_fields.ekjson"
}

@test "full device lists at t+100 and t+330 equal the recorded snapshots" {
	start_replay --start-time $NOW_FINAL --freeze
	kc "$KR_URL/devices/views/all/devices.json" | cmp - "$FINAL/devices_views_all.json"
	[ "$(kc "$KR_URL/devices/views/all/devices.ekjson" | wc -l)" -eq 59 ]
	kc "$KR_URL/devices/views/all/devices.ekjson" | head -1 | jq -e 'has("kismet_device_base_macaddr")'
	teardown
	start_replay --start-time $NOW_MID --freeze
	kc "$KR_URL/devices/views/all/devices.json" | cmp - "$MID/devices_views_all.json"
	body=$(index_body devices_views_all_fields_json.json "$MID")
	kpost -d "$body" "$KR_URL/devices/views/all/devices.json" | cmp - "$MID/devices_views_all_fields_json.json"
}

@test "the device set grows along the recorded timeline" {
	start_replay --start-time 1795704030 --freeze
	early=$(kc "$KR_URL/devices/views/all/devices.json" | jq length)
	teardown
	start_replay --start-time 1795704450 --freeze
	late=$(kc "$KR_URL/devices/views/all/devices.json" | jq length)
	[ "$early" -gt 0 ] && [ "$early" -lt 48 ]
	[ "$late" -eq 64 ]
	# the apple client as recorded: username set, tags present
	kc "$KR_URL/devices/by-mac/00:1c:b3:09:85:15/devices.json" | jq -e '.[0]."kismet.device.base.username" == "Bob'"'"'s iPhone"'
	# a device without a user name has no username key at all
	kc "$KR_URL/devices/by-mac/A0:40:A0:11:22:01/devices.json" | jq -e '.[0] | has("kismet.device.base.username") | not'
}

@test "body ignored unless Content-Type is exactly application/json: full list, HTTP 200" {
	start_replay --start-time $NOW_FINAL --freeze
	body=$(index_body devices_views_all_fields_json.json "$FINAL")
	for ct in 'application/json;charset=utf-8' 'text/plain' 'application/json ; charset=UTF-8'; do
		run kc -w '\n%{http_code}' -H "Content-Type: $ct" -d "$body" "$KR_URL/devices/views/all/devices.json"
		[ "${lines[1]}" = 200 ]
		echo "${lines[0]}" | jq -e 'length == 59 and (.[0] | has("dot11.device")) and (.[0] | has("mac") | not)'
	done
	run kpost -w '\n%{http_code}' -d '{"fields": [ broken' "$KR_URL/devices/views/all/devices.json"
	[ "${lines[1]}" = 200 ]
	echo "${lines[0]}" | jq -e 'length == 59 and (.[0] | has("dot11.device"))'
	# the case-insensitive "; charset=UTF-8" variant is read
	kc -H 'Content-Type: APPLICATION/JSON; CHARSET=utf-8' -d "$body" "$KR_URL/devices/views/all/devices.json" |
		jq -e 'length == 59 and (.[0] | keys | length) == 19 and .[0].mac == "50:C7:BF:33:44:02"'
}

@test "last-time boundaries: > gives 3, >= gives 5 at NOW=1795704347" {
	start_replay --start-time $NOW_FINAL --freeze
	ts=$((NOW_FINAL - 30))
	[ "$(kc "$KR_URL/devices/last-time/$ts/devices.json" | jq length)" -eq 3 ]
	[ "$(kc "$KR_URL/devices/last-time/-30/devices.json" | jq length)" -eq 3 ]
	[ "$(kc "$KR_URL/devices/views/all/last-time/$ts/devices.json" | jq length)" -eq 5 ]
	[ "$(kc "$KR_URL/devices/views/all/last-time/-30/devices.json" | jq length)" -eq 5 ]
	# same devices and values as recorded (only RRD bookkeeping inside may differ by a second)
	kc "$KR_URL/devices/views/all/last-time/$ts/devices.json" >"$KR_DIR/lt.json"
	run jq -n --slurpfile a "$KR_DIR/lt.json" --slurpfile b "$FINAL/devices_views_all_last_time_abs.json" \
		'[$a[0][] | [."kismet.device.base.macaddr", ."kismet.device.base.last_time", ."kismet.device.base.packets.total"]] ==
		 [$b[0][] | [."kismet.device.base.macaddr", ."kismet.device.base.last_time", ."kismet.device.base.packets.total"]]'
	[ "$output" = true ]
	kpost -d "{\"last_time\":$ts,\"fields\":[[\"kismet.device.base.macaddr\",\"mac\"],\"kismet.device.base.last_time\"]}" \
		"$KR_URL/devices/views/all/devices.json" | cmp - "$FINAL/devices_views_all_fields_last_time_body.json"
	# negative body last_time: no filtering at all
	[ "$(kpost -d '{"last_time":-30,"fields":["kismet.device.base.macaddr"]}' "$KR_URL/devices/views/all/devices.json" | jq length)" -eq 59 ]
	[ "$(kc "$KR_URL/devices/last-time/0/devices.json" | jq length)" -eq 59 ]
	[ "$(kc "$KR_URL/devices/last-time/$((NOW_FINAL + 3600))/devices.json")" = "[]" ]
	# POST bodies with fields work on the last-time routes too
	kpost -d '{"fields":["kismet.device.base.macaddr"]}' "$KR_URL/devices/last-time/$ts/devices.json" |
		jq -e 'length == 3 and all(.[]; keys == ["kismet.device.base.macaddr"])'
}

@test "fields quirks: unknown fields, duplicate renames, whole sub-objects, missing values" {
	start_replay --start-time $NOW_FINAL --freeze
	kpost -d "$(index_body devices_views_all_fields_unknown_field.json "$FINAL")" "$KR_URL/devices/views/all/devices.json" |
		cmp - "$FINAL/devices_views_all_fields_unknown_field.json"
	kpost -d "$(index_body devices_views_all_fields_duplicate_rename.json "$FINAL")" "$KR_URL/devices/views/all/devices.json" |
		cmp - "$FINAL/devices_views_all_fields_duplicate_rename.json"
	kpost -d "$(index_body devices_views_all_fields_whole_subtree.json "$FINAL")" "$KR_URL/devices/views/all/devices.json" >"$KR_DIR/w.json"
	run jq -n --slurpfile a "$KR_DIR/w.json" --slurpfile b "$FINAL/devices_views_all_fields_whole_subtree.json" \
		'[$a[0][] | [.mac, (."kismet.device.base.location" | if type == "object" then keys else . end)]] ==
		 [$b[0][] | [.mac, (."kismet.device.base.location" | if type == "object" then keys else . end)]]'
	[ "$output" = true ]
	# username absent -> 0; geopoint printed with 6 decimals
	kpost -d '{"fields":["kismet.device.base.username","kismet.device.base.location/kismet.common.location.avg_loc/kismet.common.location.geopoint"]}' \
		"$KR_URL/devices/by-mac/A0:40:A0:11:22:01/devices.json" >"$KR_DIR/u.json"
	grep -F '"kismet.device.base.username": 0,"kismet.common.location.geopoint": [-122.332100, 47.606200]' "$KR_DIR/u.json"
}

@test "a malformed field pair gives 400, the message, then the full device list" {
	start_replay --start-time $NOW_FINAL --freeze
	run kpost -w '\n%{http_code}' -d '{"fields":[["kismet.device.base.macaddr"]]}' "$KR_URL/devices/views/all/devices.json"
	[ "${lines[0]}" = "Invalid request: Invalid field map, expected [field, rename]" ]
	[ "${lines[2]}" = 400 ]
	echo "${lines[1]}" | jq -e 'length == 59 and (.[0] | has("dot11.device"))'
	grep -qxF "${lines[0]}" "$FINAL/devices_views_all_fields_bad_fieldspec.json.TRUNCATED.txt"
	run kpost -d '{"fields":[42]}' "$KR_URL/devices/views/all/devices.json"
	[ "${lines[0]}" = "Invalid request: Invalid field map, exected field or [field, rename]" ]
}

@test "regex filter and a bad regex as recorded" {
	start_replay --start-time $NOW_FINAL --freeze
	kpost -d "$(index_body devices_views_all_fields_regex_manuf.json "$FINAL")" "$KR_URL/devices/views/all/devices.json" |
		cmp - "$FINAL/devices_views_all_fields_regex_manuf.json"
	run kpost -i -d "$(index_body devices_views_all_fields_regex_bad.json "$FINAL")" "$KR_URL/devices/views/all/devices.json"
	[[ "${lines[0]}" == "HTTP/1.1 400 Bad Request"* ]]
	kpost -d "$(index_body devices_views_all_fields_regex_bad.json "$FINAL")" "$KR_URL/devices/views/all/devices.json" |
		cmp - "$FINAL/devices_views_all_fields_regex_bad.json"
}

@test "paging, multimac, by-key, all_devices.json 404" {
	start_replay --start-time $NOW_FINAL --freeze
	kpost -d '{"fields":[["kismet.device.base.macaddr","mac"],"kismet.device.base.last_time"]}' \
		"$KR_URL/devices/views/all/devices.json?page=1&length=3" | cmp - "$FINAL/devices_views_all_page1_len3_fields.json"
	# a page past the end comes back as the first page (Kismet resets the window)
	kpost -d '{"fields":[["kismet.device.base.macaddr","mac"]]}' "$KR_URL/devices/views/all/devices.json?page=99&length=3" |
		jq -e '.data[0].mac == "50:C7:BF:33:44:02" and .last_page == 20 and .total_row == 59'
	kpost -d "$(index_body devices_multimac.json "$FINAL")" "$KR_URL/devices/multimac/devices.json" | cmp - "$FINAL/devices_multimac.json"
	kc "$KR_URL/devices/by-key/4202770D00000000_158509B31C00/device.json" | jq -e '."kismet.device.base.macaddr" == "00:1C:B3:09:85:15"'
	run curl -sS -i -H "Cookie: KISMET=$KEY" "$KR_URL/devices/all_devices.json"
	[[ "${lines[0]}" == "HTTP/1.1 404 Not Found"* ]]
	[ "$(kc "$KR_URL/devices/all_devices.json")" = "$(cat "$FINAL/devices_all_devices.json")" ]
	[ "$(kc "$KR_URL/devices/all_devices.ekjson" | wc -l)" -eq 59 ]
}

@test "auth: 401 page, WWW-Authenticate only for W/g/e/t user agents, 404 and 405" {
	start_replay --start-time $NOW_FINAL --freeze
	curl -sS -i "$KR_URL/system/timestamp.json" | tr -d '\r' >"$KR_DIR/h"
	grep -qx 'HTTP/1.1 401 Unauthorized' "$KR_DIR/h"
	grep -qx 'Content-Type: text/html' "$KR_DIR/h"
	grep -qx 'Content-Length: 165' "$KR_DIR/h"
	! grep -qi '^WWW-Authenticate' "$KR_DIR/h"
	grep -q '401 Permission denied' "$KR_DIR/h"
	for ua in Wget/1.21.3 good emacs tool; do
		curl -sS -i -A "$ua" "$KR_URL/system/timestamp.json" | tr -d '\r' | grep -qx 'WWW-Authenticate: Basic realm=Kismet'
	done
	! curl -sS -i -A curl/7.88 "$KR_URL/system/timestamp.json" | grep -qi '^WWW-Authenticate'
	# unknown path: 404 with or without credentials, recorded bytes
	curl -sS -i "$KR_URL/no/such/endpoint.json" | tr -d '\r' >"$KR_DIR/h"
	grep -qx 'HTTP/1.1 404 Not Found' "$KR_DIR/h"
	grep -qx 'Content-Length: 166' "$KR_DIR/h"
	grep -qF '<code>&#x2F;no&#x2F;such&#x2F;endpoint.json</code>' "$KR_DIR/h"
	[ "$(code -X DELETE -H "Cookie: KISMET=$KEY" "$KR_URL/system/status.json")" = 405 ]
	# websocket upgrade without credentials
	[ "$(code -H 'Connection: Upgrade' -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' \
		-H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' "$KR_URL/devices/monitor.ws")" = 401 ]
}

@test "auth: cookie, URL variable (only without a Cookie header), Bearer refused" {
	start_replay --start-time $NOW_FINAL --freeze --user kismet --password kismet-test-pw
	curl -sS -i -H "Cookie: KISMET=$KEY" "$KR_URL/system/timestamp.json" | tr -d '\r' >"$KR_DIR/h"
	grep -qx 'HTTP/1.1 200 OK' "$KR_DIR/h"
	grep -qx "Set-Cookie: KISMET=$KEY; Path=/" "$KR_DIR/h"
	grep -qx 'Transfer-Encoding: chunked' "$KR_DIR/h"
	grep -qx 'Server: Kismet' "$KR_DIR/h"
	grep -qx 'Cache-Control: no-cache' "$KR_DIR/h"
	grep -qx 'Expires: Sat, 01 Jan 2000 00:00:00 GMT' "$KR_DIR/h"
	! grep -qi '^Content-Length' "$KR_DIR/h"
	[ "$(code "$KR_URL/system/timestamp.json?KISMET=$KEY")" = 200 ]
	[ "$(code -H 'Cookie: other=1' "$KR_URL/system/timestamp.json?KISMET=$KEY")" = 401 ]
	[ "$(code -H "Authorization: Bearer $KEY" "$KR_URL/system/timestamp.json")" = 401 ]
	[ "$(code -H 'Cookie: KISMET=0123456789ABCDEF0123456789ABCDEF' "$KR_URL/system/timestamp.json")" = 401 ]
	# readonly key on an admin route
	[ "$(code -H "Cookie: KISMET=$KEY" "$KR_URL/auth/apikey/list.json")" = 401 ]
	# basic auth issues a JWT cookie that works on admin routes; wrong password 401
	[ "$(code -u kismet:wrong "$KR_URL/system/timestamp.json")" = 401 ]
	jwt=$(curl -sS -i -u kismet:kismet-test-pw "$KR_URL/session/check_login" | tr -d '\r' | sed -n 's/^Set-Cookie: KISMET=\([^;]*\); Path=\/$/\1/p')
	[ -n "$jwt" ]
	[ "$(echo "$jwt" | cut -d. -f1 | base64 -d 2>/dev/null)" = '{"alg":"HS256","typ":"JWS"}' ]
	[ "$(code -H "Cookie: KISMET=$jwt" "$KR_URL/auth/apikey/list.json")" = 200 ]
	[ "$(code "$KR_URL/system/timestamp.json?user=kismet&password=kismet-test-pw")" = 200 ]
	[ "$(code -u : "$KR_URL/system/timestamp.json")" = 401 ]
	[ "$(curl -sS "$KR_URL/session/check_setup_ok")" = "Login configured in user config" ]
	[ "$(curl -sS "$KR_URL/system/user_status.json")" = '{"kismet.system.user": "root"}' ]
}

@test "auth: before a login exists, empty basic credentials are admin" {
	start_replay --start-time $NOW_FINAL --freeze --no-login
	[ "$(code -u : "$KR_URL/system/timestamp.json")" = 200 ]
	[ "$(code -u foo:bar "$KR_URL/system/timestamp.json")" = 401 ]
	[ "$(code "$KR_URL/system/status.json")" = 401 ]
	[ "$(code "$KR_URL/session/check_setup_ok")" = 500 ]
}

@test "virtual clock: --freeze holds the recorded NOW, --speed compresses time" {
	start_replay --start-time $NOW_FINAL --freeze --server-name lab1
	kc "$KR_URL/system/timestamp.json" | jq -e ".\"kismet.system.timestamp.sec\" == $NOW_FINAL"
	kc "$KR_URL/system/status.json" | jq -e '."kismet.system.server_name" == "lab1" and
		."kismet.system.devices.count" == 59 and ."kismet.server.uuid" == "74DAB15A-E9A4-11F1-8C91-4B49534D4554"'
	teardown
	start_replay --speed 20 --start-offset 10
	t1=$(kc "$KR_URL/system/timestamp.json" | jq '."kismet.system.timestamp.sec"')
	sleep 1
	t2=$(kc "$KR_URL/system/timestamp.json" | jq '."kismet.system.timestamp.sec"')
	[ $((t2 - t1)) -ge 15 ] && [ $((t2 - t1)) -le 45 ]
	[ "$t1" -ge 1795704028 ] && [ "$t1" -lt 1795704060 ]
}

@test "eventbus: NEW_DEVICE frames are full devices, only subscribed topics arrive" {
	start_replay --speed 20
	run "$WSC" "ws://127.0.0.1:$KR_PORT/eventbus/events.ws?KISMET=$KEY" \
		--send '{"SUBSCRIBE":"NEW_DEVICE"}' --count 5 --timeout 20
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 6 ]
	for i in 0 1 2 3 4; do
		echo "${lines[$i]}" | jq -e 'keys == ["NEW_DEVICE"] and (.NEW_DEVICE | has("kismet.device.base.key") and has("kismet.device.base.seenby"))'
	done
	# the frames are verbatim lines of the recording
	for i in 0 1 2 3 4; do
		grep -qxF "${lines[$i]}" "$KES_DATA/kismet/eventbus/eventbus_ws.ndjson"
	done
	run "$WSC" "ws://127.0.0.1:$KR_PORT/eventbus/events.ws" --header "Cookie: KISMET=$KEY" \
		--send '{"SUBSCRIBE":"TIMESTAMP"}' --send '{"SUBSCRIBE":"DOT11_WPA_HANDSHAKE"}' --count 6 --timeout 20
	[ "$status" -eq 0 ]
	for i in 0 1 2 3 4 5; do
		echo "${lines[$i]}" | jq -e 'keys == ["TIMESTAMP"] or keys == ["DOT11_WPA_HANDSHAKE_BASEDEV","DOT11_WPA_HANDSHAKE_DOT11"]'
	done
}

@test "eventbus: fields apply inside the event key; NEW_DEVICE/ paths give 0" {
	start_replay --speed 20
	run "$WSC" "ws://127.0.0.1:$KR_PORT/eventbus/events.ws?KISMET=$KEY" --count 2 --timeout 20 \
		--send '{"SUBSCRIBE":"NEW_DEVICE","fields":["kismet.device.base.macaddr",["kismet.device.base.name","name"]]}'
	[ "$status" -eq 0 ]
	echo "${lines[0]}" | jq -e '(.NEW_DEVICE | keys) == ["kismet.device.base.macaddr","name"] and (.NEW_DEVICE."kismet.device.base.macaddr" | test("^[0-9A-F:]{17}$"))'
	run "$WSC" "ws://127.0.0.1:$KR_PORT/eventbus/events.ws?KISMET=$KEY" --count 2 --timeout 20 \
		--send '{"SUBSCRIBE":"NEW_DEVICE","fields":["NEW_DEVICE/kismet.device.base.macaddr",["NEW_DEVICE/kismet.device.base.name","name"]]}'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(head -1 "$KES_DATA/kismet/eventbus/eventbus_ws_newdevice_fields_path.ndjson")" ]
}

@test "eventbus: bad messages -- invalid JSON keeps the socket, a number closes it, binary closes it" {
	start_replay --speed 10
	run "$WSC" "ws://127.0.0.1:$KR_PORT/eventbus/events.ws?KISMET=$KEY" --count 2 --timeout 10 \
		--send 'not json at all' --send '{"SUBSCRIBE":"NO_SUCH_EVENT"}' --send '{"UNSUBSCRIBE":"NOT_SUBSCRIBED"}' \
		--send '{"SUBSCRIBE":"TIMESTAMP"}'
	[ "$status" -eq 0 ]
	echo "${lines[0]}" | jq -e 'keys == ["TIMESTAMP"]'
	grep -q 'Invalid websocket request (could not parse JSON message)' "$KR_DIR/stderr"
	run "$WSC" "ws://127.0.0.1:$KR_PORT/eventbus/events.ws?KISMET=$KEY" --timeout 5 \
		--send '{"SUBSCRIBE":42}' --send '{"SUBSCRIBE":"TIMESTAMP"}'
	[ "$status" -eq 3 ]
	[[ "$output" == *"END eof"* ]]
	run "$WSC" "ws://127.0.0.1:$KR_PORT/eventbus/events.ws?KISMET=$KEY" --timeout 5 --send-binary '{"SUBSCRIBE":"TIMESTAMP"}'
	[ "$status" -eq 3 ]
	# the server survived all of it
	[ "$(code -H "Cookie: KISMET=$KEY" "$KR_URL/system/timestamp.json")" = 200 ]
}

@test "eventbus: fragmented client frames, ping/pong, close handshake, unsubscribe stops events" {
	start_replay --speed 10
	run "$WSC" "ws://127.0.0.1:$KR_PORT/eventbus/events.ws?KISMET=$KEY" --count 2 --timeout 10 \
		--send-fragmented '{"SUBSCRIBE":"TIMESTAMP"}' --ping --close
	[ "$status" -eq 0 ]
	[[ "$output" == *"pong kr-ping"* ]]
	[[ "$output" == *"close-ack 1000"* ]]
	# at speed 10 TIMESTAMP arrives ~17 times a second; after the UNSUBSCRIBE it stops
	run "$WSC" "ws://127.0.0.1:$KR_PORT/eventbus/events.ws?KISMET=$KEY" --timeout 3 \
		--send '{"SUBSCRIBE":"TIMESTAMP"}' --send-after 2 '{"UNSUBSCRIBE":"TIMESTAMP"}'
	[ "$status" -eq 0 ]
	n=$(printf '%s\n' "$output" | grep -c '^{"TIMESTAMP"')
	[ "$n" -ge 2 ] && [ "$n" -le 6 ]
}

@test "monitor.ws: the unmodified server dies (139) about 30 recorded seconds after a subscription" {
	start_replay --speed 10 --start-offset 100
	sub=$(cat "$KES_DATA/kismet/monitor/monitor_ws.subscription.json")
	t0=$(date +%s%N)
	run "$WSC" "ws://127.0.0.1:$KR_PORT/devices/monitor.ws?KISMET=$KEY" --send "$sub" --timeout 15
	t1=$(date +%s%N)
	[ "$status" -eq 3 ]                            # server vanished without a close frame
	echo "${lines[0]}" | jq -e 'has("mac") and has("avg_geopoint") and ."kismet.device.base.username" != null'
	ms=$(( (t1 - t0) / 1000000 ))
	[ "$ms" -ge 2000 ] && [ "$ms" -le 6000 ]       # 30 s / speed 10
	rc=0; wait "$KR_PID" || rc=$?
	KR_PID=
	[ "$rc" -eq 139 ]
	grep -q 'Segmentation fault' "$KR_DIR/stderr"
	[ "$(code --max-time 2 "$KR_URL/system/timestamp.json")" = 000 ]
}

@test "monitor.ws: a malformed field pair kills even the fixed server at the next tick (134)" {
	start_replay --speed 1 --start-offset 100 --fixed-monitor
	run "$WSC" "ws://127.0.0.1:$KR_PORT/devices/monitor.ws?KISMET=$KEY" --timeout 5 \
		--send '{"monitor":"*","request":1,"rate":1,"fields":[["kismet.device.base.macaddr"]]}'
	[ "$status" -eq 3 ]
	[ "${#lines[@]}" -eq 1 ]                        # no messages, only END
	rc=0; wait "$KR_PID" || rc=$?
	KR_PID=
	[ "$rc" -eq 134 ]
	grep -qF "terminate called after throwing an instance of 'std::runtime_error'" "$KR_DIR/stderr"
	grep -qF 'Invalid field mapping, expected [field, name]' "$KR_DIR/stderr"
}

@test "monitor.ws --fixed-monitor: survives, bad messages only logged, by-MAC and ekjson work" {
	start_replay --speed 10 --start-offset 100 --fixed-monitor
	run "$WSC" "ws://127.0.0.1:$KR_PORT/devices/monitor.ws?KISMET=$KEY" --timeout 4.5 \
		--send 'this is not json' --send '{"monitor":"*"}' --send '{"monitor":"zz:not-a-mac","request":2,"rate":1}' \
		--send '{"monitor":"*","request":"4","rate":1}' \
		--send '{"monitor":"A0:40:A0:11:22:01","request":5,"rate":1,"format":"ekjson","fields":["kismet.device.base.macaddr"]}'
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -ge 2 ]
	echo "${lines[0]}" | jq -e '. == {"kismet_device_base_macaddr":"A0:40:A0:11:22:01"}'
	grep -q 'Invalid device monitor request: invalid device reference' "$KR_DIR/stderr"
	grep -q 'type must be number, but is string' "$KR_DIR/stderr"
	# still alive after more than 30 recorded seconds
	sleep 0.5
	kill -0 "$KR_PID"
	[ "$(code -H "Cookie: KISMET=$KEY" "$KR_URL/system/timestamp.json")" = 200 ]
}

@test "fault: restart forgets devices and JWT sessions, keeps API keys, devices reappear" {
	start_replay --speed 20 --start-offset 280 --user kismet --password pw
	jwt=$(curl -sS -i -u kismet:pw "$KR_URL/system/timestamp.json" | tr -d '\r' | sed -n 's/^Set-Cookie: KISMET=\([^;]*\);.*/\1/p')
	[ "$(code -H "Cookie: KISMET=$jwt" "$KR_URL/system/timestamp.json")" = 200 ]
	before=$(kc "$KR_URL/devices/views/all/devices.json" | jq length)
	[ "$before" -gt 40 ]
	# freeze the clock around the restart so the checks do not race the replay
	curl -sS -X POST -d '{"freeze":true}' "$KR_URL/_replay/clock" | jq -e '.frozen == true'
	curl -sS -X POST -d '{"restart":true}' "$KR_URL/_replay/fault" | jq -e '.ok == ["restart"]'
	[ "$(kc "$KR_URL/devices/views/all/devices.json" | jq length)" -eq 0 ]
	[ "$(code -H "Cookie: KISMET=$jwt" "$KR_URL/system/timestamp.json")" = 401 ]
	curl -sS -X POST -d '{"freeze":false,"speed":20}' "$KR_URL/_replay/clock" | jq -e '.frozen == false'
	# new connections see a synthetic NEW_DEVICE when a device is seen again
	run "$WSC" "ws://127.0.0.1:$KR_PORT/eventbus/events.ws?KISMET=$KEY" --send '{"SUBSCRIBE":"NEW_DEVICE"}' --count 1 --timeout 10
	[ "$status" -eq 0 ]
	echo "${lines[0]}" | jq -e '.NEW_DEVICE | has("kismet.device.base.key")'
	after=$(kc "$KR_URL/devices/views/all/devices.json" | jq length)
	[ "$after" -gt 0 ]
}

@test "fault: refuse connections, then the same port answers again" {
	start_replay --start-time $NOW_FINAL --freeze
	curl -sS -X POST -d '{"refuse_connections":1.5}' "$KR_URL/_replay/fault" | jq -e '.ok == ["refuse_connections"]'
	[ "$(code --max-time 1 "$KR_URL/system/timestamp.json")" = 000 ]
	sleep 2
	[ "$(code -H "Cookie: KISMET=$KEY" "$KR_URL/system/timestamp.json")" = 200 ]
}

@test "fault: close websockets mid-message; malformed eventbus message" {
	start_replay --speed 10
	"$WSC" "ws://127.0.0.1:$KR_PORT/eventbus/events.ws?KISMET=$KEY" --send '{"SUBSCRIBE":"TIMESTAMP"}' \
		--timeout 15 >"$KR_DIR/ws.out" 2>"$KR_DIR/ws.err" &
	ws=$!
	sleep 1
	curl -sS -X POST -d '{"malformed_event":true}' "$KR_URL/_replay/fault" | jq -e '.ok == ["malformed_event"]'
	sleep 0.5
	curl -sS -X POST -d '{"close_websockets":"fragment"}' "$KR_URL/_replay/fault" | jq -e '.ok[0] == "close_websockets:fragment:1"'
	rc=0; wait "$ws" || rc=$?
	[ "$rc" -eq 3 ]
	grep -q 'END eof (partial fragment)' "$KR_DIR/ws.err"
	# exactly one line is not JSON
	[ "$(while read -r l; do echo "$l" | jq -e . >/dev/null 2>&1 || echo bad; done <"$KR_DIR/ws.out" | wc -l)" -eq 1 ]
}

@test "fault: delay, 500 with HTML, 401 for everything, clear" {
	start_replay --start-time $NOW_FINAL --freeze
	curl -sS -X POST -d '{"delay_ms":400}' "$KR_URL/_replay/fault" >/dev/null
	t=$(kc -o /dev/null -w '%{time_total}' "$KR_URL/system/timestamp.json")
	awk -v t="$t" 'BEGIN { exit !(t >= 0.4) }'
	curl -sS -X POST -d '{"delay_ms":0,"error500":true}' "$KR_URL/_replay/fault" >/dev/null
	run kc -i "$KR_URL/system/timestamp.json"
	[[ "${lines[0]}" == "HTTP/1.1 500 Internal Server Error"* ]]
	[[ "$output" == *"<html>"* ]]
	curl -sS -X POST -d '{"clear":true,"unauthorized":true}' "$KR_URL/_replay/fault" >/dev/null
	[ "$(code -H "Cookie: KISMET=$KEY" "$KR_URL/system/timestamp.json")" = 401 ]
	curl -sS -X POST -d '{"clear":true}' "$KR_URL/_replay/fault" >/dev/null
	[ "$(code -H "Cookie: KISMET=$KEY" "$KR_URL/system/timestamp.json")" = 200 ]
	curl -sS "$KR_URL/_replay/state" | jq -e '.frozen == true and .devices == 59'
}

@test "real restart: kill, start again on the same port later in the run" {
	start_replay --start-offset 50 --speed 5
	port=$KR_PORT
	kill "$KR_PID"; wait "$KR_PID" || true
	KR_FORCE_PORT=$port start_replay --start-offset 200 --speed 5
	[ "$KR_PORT" = "$port" ]
	kc "$KR_URL/system/status.json" | jq -e '."kismet.system.timestamp.start_sec" >= 1795704218'
}

@test "many concurrent keep-alive clients" {
	start_replay --start-time $NOW_FINAL --freeze
	pids=()
	for i in $(seq 1 20); do
		( for j in 1 2 3; do kc "$KR_URL/devices/views/all/devices.json" "$KR_URL/system/timestamp.json"; done |
			head -c 1000000000 | wc -c >"$KR_DIR/c$i" ) &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p"; done
	for i in $(seq 1 20); do
		[ "$(cat "$KR_DIR/c$i")" -gt $((3 * 751118)) ]
	done
}

@test "websocket frames with 16- and 64-bit lengths in both directions" {
	start_replay --speed 20
	# a 70 kB subscription message (64-bit client frame) asking for the same RRD 300 times
	sub=$(jq -cn '{SUBSCRIBE: "NEW_DEVICE", fields: ([range(300)] | map("kismet.device.base.packets.rrd") + [range(2000)] | map(if type == "number" then "kismet.device.base.macaddr" else . end))}')
	[ "${#sub}" -gt 65536 ]
	run "$WSC" "ws://127.0.0.1:$KR_PORT/eventbus/events.ws?KISMET=$KEY" --send "$sub" --count 1 --timeout 20
	[ "$status" -eq 0 ]
	[ "${#lines[0]}" -gt 65536 ]
	echo "${lines[0]}" | jq -e '.NEW_DEVICE | has("kismet.device.base.packets.rrd")'
	# duplicate keys are really there: 2300 members in the text
	[ "$(echo "${lines[0]}" | grep -o '"kismet.device.base.packets.rrd": {' | wc -l)" -eq 300 ]
}

@test "multikey (Kismet 2025-09-R1's multikey_endp_handler): request order, unknown keys skipped, a bad key fails all" {
	start_replay --start-time $NOW_FINAL --freeze
	k1=$(jq -r '.[3]."kismet.device.base.key"' "$FINAL/devices_views_all.json")
	k2=$(jq -r '.[0]."kismet.device.base.key"' "$FINAL/devices_views_all.json")
	# the same objects as the view, in request order; an unknown (well-formed) key is skipped;
	# hex case does not matter (Kismet compares keys as numbers)
	lk2=$(tr 'A-F' 'a-f' <<<"$k2")
	kpost -d "{\"devices\":[\"$k1\",\"0000000000000000_1\",\"$lk2\"]}" "$KR_URL/devices/multikey/devices.json" >"$KR_DIR/mk.json"
	jq -e --slurpfile v "$FINAL/devices_views_all.json" '. == [$v[0][3], $v[0][0]]' "$KR_DIR/mk.json"
	# fields as everywhere
	run kpost -d "{\"devices\":[\"$k1\"],\"fields\":[[\"kismet.device.base.macaddr\",\"mac\"],\"kismet.device.base.packets.total\"]}" \
		"$KR_URL/devices/multikey/devices.json"
	jq -e --slurpfile v "$FINAL/devices_views_all.json" \
		'. == [{mac: $v[0][3]."kismet.device.base.macaddr", "kismet.device.base.packets.total": $v[0][3]."kismet.device.base.packets.total"}]' <<<"$output"
	# a malformed key, a missing list: 500 with Kismet's runtime_error text; POST only
	[ "$(code -H "Cookie: KISMET=$KEY" -H 'Content-Type: application/json' -d "{\"devices\":[\"$k1\",\"AA:BB\"]}" "$KR_URL/devices/multikey/devices.json")" = 500 ]
	kpost -d '{"devices":["AA:BB"]}' "$KR_URL/devices/multikey/devices.json" | grep -q "Invalid device key 'AA:BB' in 'devices' list"
	kpost -d '{"fields":["kismet.device.base.key"]}' "$KR_URL/devices/multikey/devices.json" | grep -q "Missing 'devices' key"
	[ "$(code -H "Cookie: KISMET=$KEY" "$KR_URL/devices/multikey/devices.json")" = 405 ]
	[ "$(code "$KR_URL/devices/multikey/devices.json" -d '{}')" = 401 ]
}

@test "synthetic mode: N devices; packet times lag the server clock by 0..L s; rx-only changes move counters, not last_time" {
	start_replay --synthetic 500 --synthetic-changes 200 --synthetic-lag 4 --synthetic-rx-only 50
	sleep 2
	curl -sS "$KR_URL/_replay/synthetic/journal" >"$KR_DIR/j1"
	curl -sS -XPOST -d '{"freeze": true}' "$KR_URL/_replay/clock" >/dev/null
	sleep 0.2
	now=$(curl -sS "$KR_URL/_replay/state" | jq .virtual_time)
	# every device answers like a recorded one, under its own key and MAC
	kpost -d '{"fields":["kismet.device.base.key","kismet.device.base.macaddr","kismet.device.base.last_time","kismet.device.base.mod_time","kismet.device.base.packets.total","kismet.device.base.packets.rx_total","kismet.device.base.packets.tx_total"]}' \
		"$KR_URL/devices/views/all/devices.json" >"$KR_DIR/all.json"
	jq -e 'length == 500 and (map(."kismet.device.base.key") | unique | length) == 500
		and (map(."kismet.device.base.macaddr") | unique | length) == 500
		and all(.[]; ."kismet.device.base.packets.total" == ."kismet.device.base.packets.rx_total" + ."kismet.device.base.packets.tx_total")' "$KR_DIR/all.json"
	# changes happened at the configured rates (virtual time ~2 s)
	jq -e 'map(select(.[3] == "tx")) | length >= 200' "$KR_DIR/j1"
	jq -e 'map(select(.[3] == "rx")) | length >= 40' "$KR_DIR/j1"
	# a device whose last change (a new packet) was in the last 2 s: mod_time = that server
	# second, last_time 0..4 s behind it; a device that only received: last_time stayed
	curl -sS "$KR_URL/_replay/synthetic/journal" >"$KR_DIR/j2"
	jq -e --argjson now "$now" --slurpfile j "$KR_DIR/j2" '
		($j[0] | reduce .[] as $e ({}; .[$e[0]] = $e)) as $last
		| [.[] | ($last[."kismet.device.base.key"]) as $e | select($e != null and $e[3] == "tx" and $e[2] >= $now - 2)
		| ."kismet.device.base.mod_time" - ."kismet.device.base.last_time"] | length > 50 and all(.[]; . >= 0 and . <= 5)
		and any(.[]; . >= 3)' "$KR_DIR/all.json"
	jq -e --slurpfile j "$KR_DIR/j2" '
		($j[0] | group_by(.[0]) | map(select(all(.[]; .[3] == "rx"))) | map(.[0][0])) as $rxonly
		| [.[] | select(."kismet.device.base.key" | IN($rxonly[])) | select(."kismet.device.base.mod_time" - ."kismet.device.base.last_time" >= 60)]
		| length >= 5' "$KR_DIR/all.json"
	# the time filter is Kismet's (last_time >=), and a full object is the template's shape
	ts=$(( ${now%.*} - 1 ))
	n=$(jq --argjson ts "$ts" 'map(select(."kismet.device.base.last_time" >= $ts)) | length' "$KR_DIR/all.json")
	[ "$(kpost -d "{\"last_time\":$ts,\"fields\":[\"kismet.device.base.key\"]}" "$KR_URL/devices/views/all/devices.json" | jq length)" -eq "$n" ]
	kc "$KR_URL/devices/views/all/devices.json?page=1&length=2" | jq -e '.data | length == 2 and (.[0] | has("dot11.device") and has("kismet.device.base.signal"))'
	# the counters of what the server serialised
	curl -sS "$KR_URL/_replay/stats" | jq -e '.device_requests == 3 and .largest == 500 and .field_values >= 500 * 7'
	# a restart forgets every device; they come back, counters from zero, at their next change
	curl -sS -XPOST -d '{"restart": true}' "$KR_URL/_replay/fault" >/dev/null || true
	[ "$(kpost -d '{"fields":["kismet.device.base.key"]}' "$KR_URL/devices/views/all/devices.json" | jq length)" -eq 0 ]
	curl -sS -XPOST -d '{"freeze": false}' "$KR_URL/_replay/clock" >/dev/null
	sleep 1
	kpost -d '{"fields":["kismet.device.base.packets.total","kismet.device.base.first_time"]}' "$KR_URL/devices/views/all/devices.json" |
		jq -e 'length > 50 and all(.[]; ."kismet.device.base.packets.total" < 20)'
}
