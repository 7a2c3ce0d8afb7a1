#!/usr/bin/env bats
# tests/e2e-scenarios.bats - the original guide's deployment scenarios and its
# "Offline/Online Sync Test", end to end: the Kismet replay server (a recorded
# Kismet 2025-09-R1, tests/kismet-replay) -> kismet-tap -> buffer-spool and/or
# es-bulk -> a real search node.  Expected values come from jq over what
# kismet-tap emitted (tee'd to a file), from sqlite3 over the Kismet log, and
# from the guide's SQL copied verbatim.
# kes: needs-node
# kes: default-flavours elasticsearch9 opensearch3
# (the whole pipeline on the newest engines; CI's ASan pass runs it on
# Elasticsearch 8; see README's Tests section)
load lib/common
load lib/node
load lib/guide-sql

bats_require_minimum_version 1.5.0

KR=$KES_TOP/tests/kismet-replay/kismet-replay
KEY=DC28D8A94C72B85B514483A49BC51BE7
KISMETDB=$KES_DATA/kismet/kismetdb/field-sample.kismet
# the recording ends at this virtual time (tests/kismet-replay/README.md)
REC_END=1795704440
SPEED=20
EVENTS=NEW_DEVICE,ALERT,MESSAGE,DOT11_WPA_HANDSHAKE,DOT11_PROBED_SSID,DATASOURCE_CLOSED,DATASOURCE_ERROR
export KISMET_APIKEY=$KEY

setup_file() { node_start_for_suite; }
teardown_file() { node_stop_for_suite; }

teardown() {
	local p
	for p in ${BG_PIDS:-}; do kill -KILL "$p" 2>/dev/null || true; done
	stop_replay
	es_delete_prefix "$(test_prefix)" || true
}

# start_replay DIR [options...]: replay server on a free port; sets KR_PID KR_PORT
start_replay() {
	local d=$1
	shift
	rm -f "$d/kr.port"
	"$KR" --port 0 --port-file "$d/kr.port" --apikey "$KEY" "$@" 2>>"$d/replay.err" &
	KR_PID=$!
	wait_for test -s "$d/kr.port"
	KR_PORT=$(cat "$d/kr.port")
}
stop_replay() {
	[ -n "${KR_PID:-}" ] || return 0
	kill "$KR_PID" 2>/dev/null || true
	wait "$KR_PID" 2>/dev/null || true
	KR_PID=
}
virtual_time() { curl -sS "http://127.0.0.1:$KR_PORT/_replay/state" | jq '.virtual_time | floor'; }
past_recording() { [ "$(virtual_time)" -ge "$REC_END" ]; }

# devices in the Kismet log (independent of kismet-tap: sqlite3 on the .kismet file)
log_devices() { sqlite3 "$KISMETDB" "SELECT COUNT(DISTINCT devmac) FROM devices"; }
emitted_devices() { jq -r 'select(.record_type == "device") | .mac_addr' "$1" 2>/dev/null | sort -u | wc -l; }
all_devices_emitted() { [ "$(emitted_devices "$1")" -ge "$(log_devices)" ]; }

# term_gone PID: SIGTERM (a process that is not our child), gone within 15 s
term_gone() {
	kill -TERM "$1" 2>/dev/null || true
	WAIT_SECS=15 wait_for bash -c "! kill -0 $1 2>/dev/null"
}

# wait_child PID: wait (up to 30 s) for a child that ends by itself; its status
wait_child() {
	local rc=0
	WAIT_SECS=30 wait_for bash -c "! kill -0 $1 2>/dev/null" || kill -KILL "$1" 2>/dev/null || true
	wait "$1" || rc=$?
	return $rc
}

esb() { es-bulk --es-hosts "$(node_url)" --index-prefix "$(test_prefix)" --flush-interval 0.2 "$@"; }

# expected_ids FILE: "index id" of every line, as es-bulk computes them (--dry-run)
expected_ids() {
	es-bulk --dry-run --index-prefix "$(test_prefix)" "$1" 2>/dev/null |
		jq -r 'select(.index) | "\(.index._index) \(.index._id)"' | sort -u
}

# indexed_ids PATTERN: "index id" of every document (scroll, so no 10k limit)
indexed_ids() {
	local url body sid
	url=$(node_url)
	es_refresh "$1"
	body=$(curl -sS --fail-with-body -H 'Content-Type: application/json' \
		"$url/$1/_search?scroll=1m&size=5000" -d '{"_source":false,"query":{"match_all":{}}}')
	while :; do
		jq -r '.hits.hits[] | "\(._index) \(._id)"' <<<"$body"
		[ "$(jq '.hits.hits | length' <<<"$body")" -gt 0 ] || break
		sid=$(jq -r '._scroll_id' <<<"$body")
		body=$(curl -sS --fail-with-body -H 'Content-Type: application/json' \
			"$url/_search/scroll" -d "{\"scroll\":\"1m\",\"scroll_id\":\"$sid\"}")
	done | sort
}

# The offline capture shared by scenarios 2, 3 and the events test: the whole
# recording (speed $SPEED) through `kismet-tap | tee | buffer-spool store`
# (guide's scenario 2: --update-rate 1 --buffer-db field_data.db), once per file.
CAP=${BATS_FILE_TMPDIR:-/nonexistent}/capture
offline_capture() {
	[ -f "$CAP/done" ] && return 0
	rm -rf "$CAP"
	mkdir -p "$CAP"
	start_replay "$CAP" --speed $SPEED
	(
		cd "$CAP" || exit 1
		{ echo "$BASHPID" >tap.pid; exec kismet-tap --kismet-port "$KR_PORT" --update-rate 1 \
			--events "$EVENTS" 2>tap.err; } | tee emitted.ndjson |
			buffer-spool store --buffer-db field_data.db 2>spool.err
	) &
	local pipe=$!
	BG_PIDS="$pipe"
	wait_for test -s "$CAP/tap.pid"
	WAIT_SECS=60 wait_for past_recording
	WAIT_SECS=30 wait_for all_devices_emitted "$CAP/emitted.ndjson"
	term_gone "$(cat "$CAP/tap.pid")"
	wait_child "$pipe" || { cat "$CAP/spool.err"; return 1; }
	BG_PIDS=
	stop_replay
	touch "$CAP/done"
}

# copy_spool DST: a consistent copy of the captured spool
copy_spool() { sqlite3 "$CAP/field_data.db" ".backup '$1'"; }

@test "scenario 1 (online): replay -> kismet-tap | es-bulk: every emitted device searchable, contract types and values" {
	local d p url n
	d=$(scratch) p=$(test_prefix) url=$(node_url)
	start_replay "$d" --speed $SPEED
	{ echo "$BASHPID" >"$d/tap.pid"; exec kismet-tap --kismet-port "$KR_PORT" --update-rate 0.5 \
		--events NEW_DEVICE,ALERT 2>"$d/tap.err"; } | tee "$d/emitted.ndjson" |
		es-bulk --es-hosts "$url" --index-prefix "$p" --flush-interval 0.2 \
			--dead-letter "$d/rejects.ndjson" 2>"$d/esb.err" &
	local esb_pid=$!
	BG_PIDS=$esb_pid
	wait_for test -s "$d/tap.pid"
	WAIT_SECS=60 wait_for past_recording
	WAIT_SECS=30 wait_for all_devices_emitted "$d/emitted.ndjson"
	term_gone "$(cat "$d/tap.pid")"
	# es-bulk sees the end of its input, sends the rest and exits 0
	wait_child "$esb_pid"
	BG_PIDS=
	n=$(wc -l <"$d/emitted.ndjson")
	[ "$n" -gt 0 ]
	tail -n 1 "$d/esb.err" | jq -e --argjson n "$n" '.read == $n and .indexed == $n and .dead_lettered == 0 and .pending == 0'
	[ ! -e "$d/rejects.ndjson" ]
	# every device kismet-tap emitted (all of the log's) is searchable by its MAC
	[ "$(emitted_devices "$d/emitted.ndjson")" -eq "$(log_devices)" ]
	jq -r 'select(.record_type == "device") | .mac_addr' "$d/emitted.ndjson" | sort -u >"$d/macs.exp"
	es_refresh "$p-*"
	curl -sS --fail-with-body -H 'Content-Type: application/json' "$url/$p-devices-*/_search?size=0" \
		-d '{"aggs":{"m":{"terms":{"field":"mac_addr","size":1000}}}}' |
		jq -r '.aggregations.m.buckets[].key' | sort >"$d/macs.got"
	diff "$d/macs.exp" "$d/macs.got"
	# the documents are exactly the emitted lines: same ids, same bytes
	expected_ids "$d/emitted.ndjson" >"$d/ids.exp"
	indexed_ids "$p-*" >"$d/ids.got"
	diff "$d/ids.exp" "$d/ids.got"
	jq -S -c . "$d/emitted.ndjson" | sort -u >"$d/src.exp"
	curl -sS --fail-with-body -H 'Content-Type: application/json' "$url/$p-*/_search?size=5000" \
		-d '{"query":{"match_all":{}}}' | jq -S -c '.hits.hits[]._source' | sort >"$d/src.got"
	diff "$d/src.exp" "$d/src.got"
	# the record contract's types (kismet-es(7), RECORDS) in the live mapping
	curl -sS --fail-with-body "$url/$p-devices-*/_mapping" | jq -e '
		[.[] | .mappings.properties] | length > 0 and all(
			.timestamp.type == "date" and .location.type == "geo_point" and
			(.mac_addr, .manufacturer, .phy_type, .channel, .sensor, .record_type,
			 .device_key, .device_type | .type) == "keyword" and
			(.first_seen, .last_seen, .frequency, .total_packets, .tx_packets,
			 .rx_packets, .data_size | .type) == "long" and
			(.signal_dbm.type | IN("integer", "long", "short")) and
			(.latitude, .longitude, .altitude | .type) == "double")'
	curl -sS --fail-with-body "$url/$p-events-*/_mapping" | jq -e '
		[.[] | .mappings.properties] | length > 0 and all(
			.timestamp.type == "date" and .event_type.type == "keyword" and
			.device_mac.type == "keyword")'
	# a few values, searched by field against jq on the emitted NDJSON
	local mac
	mac=$(jq -r 'select(.record_type == "device" and .signal_dbm != null and .location != null) | .mac_addr' \
		"$d/emitted.ndjson" | tail -n 1)
	jq -S -c --arg m "$mac" 'select(.mac_addr == $m)' "$d/emitted.ndjson" | sort >"$d/one.exp"
	curl -sS --fail-with-body -H 'Content-Type: application/json' "$url/$p-devices-*/_search?size=100" \
		-d "{\"query\":{\"term\":{\"mac_addr\":\"$mac\"}}}" | jq -S -c '.hits.hits[]._source' | sort >"$d/one.got"
	diff "$d/one.exp" "$d/one.got"
	# timestamp is the observation time (last_seen), searchable as a date
	exp=$(jq -s '[.[] | select(.record_type == "device") | .last_seen] | max' "$d/emitted.ndjson")
	got=$(curl -sS --fail-with-body -H 'Content-Type: application/json' "$url/$p-devices-*/_search?size=0" \
		-d '{"aggs":{"t":{"max":{"field":"timestamp"}}}}' | jq '.aggregations.t.value / 1000 | floor')
	[ "$exp" -eq "$got" ]
}


@test "scenario 2 (offline): kismet-tap | buffer-spool store; the guide's Monitor buffer and Check buffer status SQL give the counts" {
	offline_capture
	local db=$CAP/field_data.db e=$CAP/emitted.ndjson nd ne
	nd=$(jq -c 'select(.record_type == "device")' "$e" | wc -l)
	ne=$(jq -c 'select(.record_type == "event")' "$e" | wc -l)
	[ "$nd" -gt 0 ] && [ "$ne" -gt 0 ]
	[ "$(wc -l <"$e")" -eq $((nd + ne)) ]
	[ "$(emitted_devices "$e")" -eq "$(log_devices)" ]
	run -0 sqlite3 "$db" "$MONITOR_SQL"
	[ "$output" = "$nd|$nd" ]
	run -0 sqlite3 "$db" "$STATUS_SQL"
	echo "$output"
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" =~ ^Devices\|$nd\|$nd\|[0-9]{4}-[0-9]{2}-[0-9]{2}\ [0-9:]{8}\|[0-9]{4}-[0-9]{2}-[0-9]{2}\ [0-9:]{8}$ ]]
	[[ "${lines[1]}" =~ ^Events\|$ne\|$ne\|[0-9]{4}-[0-9]{2}-[0-9]{2}\ [0-9:]{8}\|[0-9]{4}-[0-9]{2}-[0-9]{2}\ [0-9:]{8}$ ]]
	# the spool holds the emitted lines byte for byte, in order
	diff "$e" <(sqlite3 "$db" "SELECT record FROM (SELECT seq, record FROM device_buffer UNION ALL SELECT seq, record FROM event_buffer UNION ALL SELECT seq, record FROM other_buffer) ORDER BY seq")
	# buffer-spool status agrees with the guide's SQL
	buffer-spool status --buffer-db "$db" --json |
		jq -e --argjson nd "$nd" --argjson ne "$ne" '.total == $nd + $ne and .unsynced == $nd + $ne and
			(.tables[] | select(.table == "device_buffer") | .total == $nd) and
			(.tables[] | select(.table == "event_buffer") | .total == $ne)'
}

@test "scenario 3 (store-and-forward): drain the offline spool: every record once, spool synced, the guide's cleanup after the age limit" {
	offline_capture
	local d p db e n nd ne
	d=$(scratch) p=$(test_prefix) db=$d/field_data.db e=$CAP/emitted.ndjson
	copy_spool "$db"
	n=$(sort -u "$e" | wc -l)
	nd=$(jq -c 'select(.record_type == "device")' "$e" | wc -l)
	ne=$(jq -c 'select(.record_type == "event")' "$e" | wc -l)
	run -0 --separate-stderr buffer-spool drain --buffer-db "$db" -- \
		es-bulk --es-hosts "$(node_url)" --index-prefix "$p" --dead-letter "$d/rejects.ndjson"
	echo "$stderr" | tail -n 3
	tail -n 1 <<<"$stderr" | jq -e --argjson n $((nd + ne)) '.sent == $n and .acked == $n and .unsynced == 0'
	# all records arrive, once: count == distinct records, same ids as computed
	[ "$(es_count "$p-*")" -eq "$n" ]
	expected_ids "$e" >"$d/ids.exp"
	indexed_ids "$p-*" >"$d/ids.got"
	diff "$d/ids.exp" "$d/ids.got"
	[ ! -e "$d/rejects.ndjson" ]
	# the spool shows everything synced (guide's queries)
	[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM device_buffer WHERE synced=0")" -eq 0 ]
	run -0 sqlite3 "$db" "$MONITOR_SQL"
	[ "$output" = "$nd|0" ]
	# a record that arrives afterwards stays unsynced
	jq -c 'select(.record_type == "device") | .timestamp = "2026-12-01T00:00:00.000Z"' "$e" | tail -n 1 |
		buffer-spool store --buffer-db "$db"
	# age: backdate the first half of each table (and the new unsynced record)
	local hd=$((nd / 2)) he=$((ne / 2))
	sqlite3 "$db" "UPDATE device_buffer SET created_at = datetime('now', '-8 days') WHERE seq IN (SELECT seq FROM device_buffer ORDER BY seq LIMIT $hd);
		UPDATE device_buffer SET created_at = datetime('now', '-30 days') WHERE synced = 0;
		UPDATE event_buffer SET created_at = datetime('now', '-8 days') WHERE seq IN (SELECT seq FROM event_buffer ORDER BY seq LIMIT $he);"
	# one synced row just inside the limit is kept too
	sqlite3 "$db" "UPDATE device_buffer SET created_at = datetime('now', '-6 days') WHERE seq = (SELECT MAX(seq) FROM device_buffer WHERE synced = 1)"
	run -0 sqlite3 "$db" "$CLEANUP_SQL"
	run -0 sqlite3 "$db" "$MONITOR_SQL"
	[ "$output" = "$((nd - hd + 1))|1" ]
	[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM event_buffer")" -eq $((ne - he)) ]
	[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM device_buffer WHERE synced = 1 AND created_at < datetime('now', '-7 days')")" -eq 0 ]
	# the spool still works after the guide's cleanup: the new record drains
	run -0 --separate-stderr buffer-spool drain --buffer-db "$db" -- \
		es-bulk --es-hosts "$(node_url)" --index-prefix "$p" --dead-letter "$d/rejects.ndjson"
	[ "$(es_count "$p-*")" -eq $((n + 1)) ]
	[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM device_buffer WHERE synced=0")" -eq 0 ]
}

@test "the guide's Offline/Online Sync Test, steps 1-4, with short times" {
	local d p url
	d=$(scratch) p=$(test_prefix) url=$(node_url)
	start_replay "$d" --speed $SPEED --start-offset 60
	cd "$d"
	# Step 1: Collect data offline (the guide's --offline --update-rate 1, default buffer db)
	kismet-tap --kismet-port "$KR_PORT" --update-rate 1 2>tap.err | tee emitted.ndjson | buffer-spool store 2>spool.err &
	OFFLINE_PID=$!
	BG_PIDS=$OFFLINE_PID
	# Let it run for a few (virtual) minutes, then stop
	sleep 6
	kill $OFFLINE_PID
	wait $OFFLINE_PID
	BG_PIDS=
	# the rest of the pipeline ends by itself (EPIPE), cleanly
	WAIT_SECS=15 wait_for bash -c '! pgrep -f "kismet-tap --kismet-port $0 " >/dev/null' "$KR_PORT"
	grep -q '"kismet-tap":"stats"' tap.err
	# Step 2: Check buffer status
	run -0 sqlite3 kismet_offline_buffer.db "SELECT COUNT(*) FROM device_buffer WHERE synced=0"
	local k
	k=$(sqlite3 kismet_offline_buffer.db "SELECT (SELECT COUNT(*) FROM device_buffer) + (SELECT COUNT(*) FROM event_buffer) + (SELECT COUNT(*) FROM other_buffer)")
	[ "$output" -gt 0 ]
	[ "$output" -eq "$(head -n "$k" emitted.ndjson | jq -c 'select(.record_type == "device")' | wc -l)" ]
	# everything buffer-spool read before SIGTERM was persisted: the spool is
	# exactly the first k lines kismet-tap emitted
	diff <(head -n "$k" emitted.ndjson) <(sqlite3 kismet_offline_buffer.db "SELECT record FROM (SELECT seq, record FROM device_buffer UNION ALL SELECT seq, record FROM event_buffer) ORDER BY seq")
	# Step 3: Sync to Elasticsearch (--sync-only)
	run -0 --separate-stderr buffer-spool drain -- es-bulk --es-hosts "$url" --index-prefix "$p"
	# Step 4: Verify: the data appears in the <prefix>-devices-* indices
	[ "$(es_count "$p-devices-*")" -eq "$(head -n "$k" emitted.ndjson | jq -c 'select(.record_type == "device")' | sort -u | wc -l)" ]
	[ "$(es_count "$p-*")" -eq "$(head -n "$k" emitted.ndjson | sort -u | wc -l)" ]
	[ "$(sqlite3 kismet_offline_buffer.db "SELECT COUNT(*) FROM device_buffer WHERE synced=0")" -eq 0 ]
}

@test "events: NEW_DEVICE, ALERT, MESSAGE and the other recorded events land in the events index" {
	offline_capture
	local d p url db e
	d=$(scratch) p=$(test_prefix) url=$(node_url) db=$d/spool.db e=$CAP/emitted.ndjson
	copy_spool "$db"
	run -0 --separate-stderr buffer-spool drain --buffer-db "$db" -- \
		es-bulk --es-hosts "$url" --index-prefix "$p" --dead-letter "$d/rejects.ndjson"
	es_refresh "$p-*"
	# per event type: distinct emitted event lines == documents in the events index
	jq -c 'select(.record_type == "event")' "$e" | sort -u | jq -r '.event_type' | sort | uniq -c |
		awk '{print $2, $1}' >"$d/types.exp"
	for t in NEW_DEVICE ALERT MESSAGE DOT11_PROBED_SSID; do grep -q "^$t " "$d/types.exp"; done
	curl -sS --fail-with-body -H 'Content-Type: application/json' "$url/$p-events-*/_search?size=0" \
		-d '{"aggs":{"t":{"terms":{"field":"event_type","size":100}}}}' |
		jq -r '.aggregations.t.buckets[] | "\(.key) \(.doc_count)"' | sort >"$d/types.got"
	diff "$d/types.exp" "$d/types.got"
	# nothing of type event went to the devices index, and vice versa
	[ "$(curl -sS "$url/$p-devices-*/_count?q=record_type:event" | jq .count)" -eq 0 ]
	[ "$(curl -sS "$url/$p-events-*/_count?q=record_type:device" | jq .count)" -eq 0 ]
	# every NEW_DEVICE event names a device that is in the devices index
	jq -r 'select(.event_type == "NEW_DEVICE") | .device_mac' "$e" | sort -u >"$d/new.macs"
	[ -s "$d/new.macs" ]
	curl -sS --fail-with-body -H 'Content-Type: application/json' "$url/$p-devices-*/_search?size=0" \
		-d '{"aggs":{"m":{"terms":{"field":"mac_addr","size":1000}}}}' |
		jq -r '.aggregations.m.buckets[].key' | sort >"$d/dev.macs"
	[ -z "$(comm -23 "$d/new.macs" "$d/dev.macs")" ]
	# event payloads are kept as sent (event_data, stored not indexed)
	jq -S -c 'select(.event_type == "ALERT")' "$e" | sort -u >"$d/alerts.exp"
	curl -sS --fail-with-body -H 'Content-Type: application/json' "$url/$p-events-*/_search?size=1000" \
		-d '{"query":{"term":{"event_type":"ALERT"}}}' | jq -S -c '.hits.hits[]._source' | sort >"$d/alerts.got"
	diff "$d/alerts.exp" "$d/alerts.got"
	# the Kismet log's ALERT and MESSAGE rows (kismet-tap --kismetdb) too
	kismet-tap --kismetdb "$KISMETDB" --events ALERT,MESSAGE 2>/dev/null >"$d/db.ndjson"
	run -0 --separate-stderr es-bulk --es-hosts "$url" --index-prefix "$p-db" "$d/db.ndjson"
	[ "$(es_count "$p-db-events-*")" -eq "$(jq -c 'select(.record_type == "event")' "$d/db.ndjson" | sort -u | wc -l)" ]
	[ "$(es_count "$p-db-events-*")" -gt 0 ]
	[ "$(sqlite3 "$KISMETDB" "SELECT COUNT(*) FROM alerts")" -eq "$(jq -c 'select(.event_type == "ALERT")' "$d/db.ndjson" | wc -l)" ]
	es_delete_prefix "$p-db"
}
