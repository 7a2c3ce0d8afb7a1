#!/usr/bin/env bats
# es-bulk-node.bats - es-bulk against a real Elasticsearch/OpenSearch node:
# counts, idempotent replays, dead letter, monthly indices, the template and
# the guide's sample queries, mapping conflicts, acks, gzip, TLS and auth
# through a real reverse proxy, and a node stopped and restarted mid-load.
# kes: needs-node
load lib/common
load lib/node
load lib/proxy

bats_require_minimum_version 1.5.0

SAMPLE=$KES_DATA/es-bulk/kismet-sample.ndjson

setup_file() { node_start_for_suite; }
teardown_file() { node_stop_for_suite; }
teardown() {
	[ -n "${NGINX_PID:-}" ] && kill "$NGINX_PID" 2>/dev/null
	[ -n "${PROXY_DIR:-}" ] && "$KES_TOP/scripts/tls-proxy" stop "$PROXY_DIR" >/dev/null 2>&1
	[ -n "${OWN_NODE:-}" ] && "$KES_TOP/scripts/search-node" stop "$OWN_NODE" >/dev/null 2>&1
	es_delete_prefix "$(test_prefix)" || true
}

# esb ARGS... : es-bulk against the suite's node with this test's prefix
esb() {
	es-bulk --es-hosts "$(node_url)" --index-prefix "$(test_prefix)" \
		--dead-letter "$BATS_TEST_TMPDIR/rejects.ndjson" "$@"
}

# final_stats : the final stats line from es-bulk's stderr (on stdin)
final_stats() { grep '^{"es-bulk":"final"'; }

# count_is PATTERN N : for wait_for (evaluated on every try)
count_is() { [ "$(es_count "$1")" -eq "$2" ]; }
count_at_least() { [ "$(es_count "$1")" -ge "$2" ]; }

@test "es-bulk: indexes every valid line; a replay leaves the count unchanged" {
	local p n
	p=$(test_prefix)
	n=$(grep -c . "$SAMPLE")
	run --separate-stderr esb "$SAMPLE"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ "$(es_count "$p-*")" -eq "$n" ]
	# final stats: conservation
	final_stats <<<"$stderr" | jq -e --argjson n "$n" \
		'.read == $n and .indexed == $n and .dead_lettered == 0 and .pending == 0'

	run esb "$SAMPLE"
	[ "$status" -eq 0 ]
	[ "$(es_count "$p-*")" -eq "$n" ]
	[ ! -e "$BATS_TEST_TMPDIR/rejects.ndjson" ]
}

@test "es-bulk: bad lines go to the dead-letter file with line numbers, the rest is indexed" {
	local p in=$BATS_TEST_TMPDIR/in.ndjson
	p=$(test_prefix)
	{
		sed -n 1,3p "$SAMPLE"
		echo 'this is not json'
		echo '[1,2,3]'
		echo ''
		printf '{"timestamp":"2025-01-05T00:00:00Z","name":"bad \xff utf8"}\n'
		printf '{"timestamp":"2025-01-05T00:00:00Z","record_type":"device","n":1}\r\n'
		sed -n 4,5p "$SAMPLE"
	} >"$in"
	run --separate-stderr esb "$in"
	echo "$stderr"
	[ "$status" -eq 65 ]
	[[ $stderr == *"in.ndjson:4: invalid JSON"* ]]
	[[ $stderr == *"in.ndjson:5: "*"not an object"* ]]
	[[ $stderr == *"in.ndjson:7: invalid UTF-8"* ]]
	[ "$(es_count "$p-*")" -eq 6 ]
	run jq -r '"\(.lineno) \(.error) \(.source)"' "$BATS_TEST_TMPDIR/rejects.ndjson"
	[ "${lines[0]}" = "4 invalid_json $in" ]
	[ "${lines[1]}" = "5 not_an_object $in" ]
	[ "${lines[2]}" = "7 invalid_utf8 $in" ]
	[ "${#lines[@]}" -eq 3 ]
	[ "$(stat -c %a "$BATS_TEST_TMPDIR/rejects.ndjson")" = 600 ]
	# the rejected text is kept: the invalid line as a string, the bytes in base64
	[ "$(jq -r 'select(.lineno==4) | .line' "$BATS_TEST_TMPDIR/rejects.ndjson")" = 'this is not json' ]
	cmp <(jq -r 'select(.lineno==7) | .line_base64' "$BATS_TEST_TMPDIR/rejects.ndjson" | base64 -d) \
		<(sed -n 7p "$in" | tr -d '\n')
}

@test "es-bulk: monthly indices follow the records' timestamps" {
	local p
	p=$(test_prefix)
	run esb "$SAMPLE"
	[ "$status" -eq 0 ]
	es_refresh
	run es_get "_cat/indices/$p-*?h=index,docs.count&s=index"
	echo "$output"
	[ "$(jq -r '[.[].index] | join(" ")' <<<"$output")" = "$p-devices-2025.01 $p-devices-2025.02 $p-events-2025.02" ]
	[ "$(jq -r --arg i "$p-devices-2025.01" '.[] | select(.index==$i) | ."docs.count"' <<<"$output")" -eq "$(grep -c '"2025-01-.*"record_type":"device"' "$SAMPLE")" ]
	[ "$(jq -r --arg i "$p-events-2025.02" '.[] | select(.index==$i) | ."docs.count"' <<<"$output")" -eq "$(grep -c '"record_type":"event"' "$SAMPLE")" ]
}

@test "es-bulk: the template maps location as geo_point; the guide's three queries aggregate" {
	local p r in=$BATS_TEST_TMPDIR/in.ndjson
	p=$(test_prefix)
	# one hour of data, so that the guide's 1-minute histogram stays small
	jq -c '.timestamp |= ("2025-01-21T16:" + .[14:])' "$SAMPLE" >"$in"
	run esb "$in"
	[ "$status" -eq 0 ]
	es_refresh
	r=$(es_get "$p-devices-2025.01/_mapping")
	echo "$r"
	[ "$(jq -r '.[].mappings.properties.location.type' <<<"$r")" = geo_point ]
	[ "$(jq -r '.[].mappings.properties.timestamp.type' <<<"$r")" = date ]
	[ "$(jq -r '.[].mappings.properties.mac_addr.type' <<<"$r")" = keyword ]
	[ "$(jq -r '.[].mappings.properties.signal_dbm.type' <<<"$r")" = integer ]
	r=$(es_get "$p-events-2025.01/_mapping")
	[ "$(jq -r '.[].mappings.properties.event_data.enabled' <<<"$r")" = false ]
	# events whose payloads clash in shape are all indexed
	[ "$(es_count "$p-events-*")" -eq "$(grep -c '"record_type":"event"' "$SAMPLE")" ]

	r=$(es_search "$p-devices-*" '{"size":0,"query":{"match_all":{}},"aggs":{"devices_over_time":{"date_histogram":{"field":"timestamp","calendar_interval":"1m"}}}}')
	[ "$(jq '[.aggregations.devices_over_time.buckets[].doc_count] | add' <<<"$r")" -eq 40 ]
	r=$(es_search "$p-devices-*" '{"size":0,"query":{"range":{"signal_dbm":{"gte":-100,"lte":0}}},"aggs":{"signal_ranges":{"histogram":{"field":"signal_dbm","interval":10}}}}')
	[ "$(jq '.aggregations.signal_ranges.buckets | length' <<<"$r")" -gt 1 ]
	[ "$(jq '[.aggregations.signal_ranges.buckets[].doc_count] | add' <<<"$r")" -eq 40 ]
	r=$(es_search "$p-devices-*" '{"size":0,"query":{"exists":{"field":"location"}},"aggs":{"device_locations":{"geohash_grid":{"field":"location","precision":5}}}}')
	[ "$(jq '.aggregations.device_locations.buckets | length' <<<"$r")" -gt 0 ]
	[ "$(jq '[.aggregations.device_locations.buckets[].doc_count] | add' <<<"$r")" -eq "$(grep -c '"location"' "$SAMPLE")" ]
}

@test "es-bulk: a mapping conflict dead-letters just that document" {
	local p in=$BATS_TEST_TMPDIR/in.ndjson
	p=$(test_prefix)
	{
		sed -n 1,2p "$SAMPLE"
		echo '{"timestamp":"2025-01-03T00:00:00Z","record_type":"device","mac_addr":"02:00:00:00:99:99","signal_dbm":"very strong"}'
		sed -n 3,4p "$SAMPLE"
	} >"$in"
	run --separate-stderr esb "$in"
	echo "$stderr"
	[ "$status" -eq 65 ]
	[ "$(es_count "$p-*")" -eq 4 ]
	run jq -r '"\(.lineno) \(.status) \(.index)"' "$BATS_TEST_TMPDIR/rejects.ndjson"
	[ "$output" = "3 400 $p-devices-2025.01" ]
	[ "$(jq -r .line "$BATS_TEST_TMPDIR/rejects.ndjson")" = "$(sed -n 3p "$in")" ]
	jq -e '.error | test("pars")' "$BATS_TEST_TMPDIR/rejects.ndjson"
	[[ $stderr == *"in.ndjson:3: rejected by the server (400 "* ]]
}

@test "es-bulk: the ack channel never decreases and ends at the line count" {
	local in=$BATS_TEST_TMPDIR/in.ndjson acks=$BATS_TEST_TMPDIR/acks n
	for i in 1 2 3 4 5; do cat "$SAMPLE"; echo; echo 'junk'; done >"$in"
	n=$(wc -l <"$in")
	run esb --batch-size 7 --workers 3 --acks 3 "$in" 3>"$acks"
	[ "$status" -eq 65 ]
	[ "$(wc -l <"$acks")" -gt 5 ]
	[ "$(tail -n1 "$acks")" -eq "$n" ]
	sort -n -c "$acks"
	# every line is a plain number
	! grep -qv '^[0-9][0-9]*$' "$acks"
}

@test "es-bulk: gzip on and off give the same documents" {
	local p
	p=$(test_prefix)
	run esb --index "$p-gz-%Y.%m" "$SAMPLE"
	[ "$status" -eq 0 ]
	run esb --no-gzip --index "$p-plain-%Y.%m" "$SAMPLE"
	[ "$status" -eq 0 ]
	es_refresh
	diff <(es_search "$p-gz-*" '{"size":100,"sort":[{"_id":"asc"}]}' | jq -c '[.hits.hits[] | [._id, ._source]]') \
		<(es_search "$p-plain-*" '{"size":100,"sort":[{"_id":"asc"}]}' | jq -c '[.hits.hits[] | [._id, ._source]]')
	[ "$(es_count "$p-gz-*")" -eq "$(grep -c . "$SAMPLE")" ]
}

# ids_of PATTERN : the sorted ids and sources under PATTERN
ids_of() {
	es_search "$1" '{"size":200,"sort":[{"_id":"asc"}]}' | jq -c '[.hits.hits[] | [._id, ._source]]'
}

@test "es-bulk: gzip input (stdin, a file next to a plain one, concatenated members) indexes what the plain files index" {
	local p a=$BATS_TEST_TMPDIR/a.ndjson b=$BATS_TEST_TMPDIR/b.ndjson n
	p=$(test_prefix)
	n=$(grep -c . "$SAMPLE")
	head -n 20 "$SAMPLE" >"$a"
	tail -n +21 "$SAMPLE" >"$b"
	gzip -c "$a" >"$a.gz"
	run --separate-stderr esb --index "$p-plain-%Y.%m" "$a" "$b"
	[ "$status" -eq 0 ]
	# a name that does not say gzip: the magic bytes decide
	gzip -c "$SAMPLE" >"$BATS_TEST_TMPDIR/sample.data"
	run --separate-stderr esb --index "$p-stdin-%Y.%m" <"$BATS_TEST_TMPDIR/sample.data"
	echo "$stderr"
	[ "$status" -eq 0 ]
	run --separate-stderr esb --index "$p-files-%Y.%m" "$a.gz" "$b"
	[ "$status" -eq 0 ]
	# `cat a.gz b.gz` on stdin, through a pipe
	gzip -c "$b" >"$b.gz"
	run --separate-stderr bash -c 'f=$1 g=$2; shift 2; cat "$f" "$g" | "$@"' _ "$a.gz" "$b.gz" \
		es-bulk --es-hosts "$(node_url)" --index "$p-cat-%Y.%m" --acks "$BATS_TEST_TMPDIR/acks"
	[ "$status" -eq 0 ]
	final_stats <<<"$stderr" | jq -e --argjson n "$n" '.read == $n and .indexed == $n'
	[ "$(tail -n1 "$BATS_TEST_TMPDIR/acks")" -eq "$n" ]
	es_refresh
	[ "$(es_count "$p-plain-*")" -eq "$n" ]
	diff <(ids_of "$p-plain-*") <(ids_of "$p-stdin-*")
	diff <(ids_of "$p-plain-*") <(ids_of "$p-files-*")
	diff <(ids_of "$p-plain-*") <(ids_of "$p-cat-*")
}

@test "es-bulk: a truncated .gz indexes and acks its complete lines, says file and byte, exits 65; line numbers are decompressed lines" {
	local p t=$BATS_TEST_TMPDIR/t.ndjson.gz size k
	p=$(test_prefix)
	{
		head -n 30 "$SAMPLE" | jq -c '. + {part: "gz"}'	# other ids than the sample's
		echo 'not json'
	} | gzip -c >"$BATS_TEST_TMPDIR/full.gz"
	size=$(( $(stat -c %s "$BATS_TEST_TMPDIR/full.gz") * 2 / 3 ))
	head -c "$size" "$BATS_TEST_TMPDIR/full.gz" >"$t"
	# the complete lines gzip itself gets out of it
	k=$(gzip -dc "$t" 2>/dev/null | tr -cd '\n' | wc -c)
	[ "$k" -gt 0 ] && [ "$k" -lt 30 ]
	run --separate-stderr esb --acks "$BATS_TEST_TMPDIR/acks" "$t" "$SAMPLE"
	echo "$stderr"
	[ "$status" -eq 65 ]
	[[ $stderr == *"es-bulk: $t: gzip data truncated at byte $size, after line $k: the rest of it is skipped"* ]]
	[ "$(grep -c 'es-bulk: ' <<<"$stderr")" -eq 1 ]
	[ "$(es_count "$p-*")" -eq "$(( k + $(grep -c . "$SAMPLE") ))" ]
	[ "$(tail -n1 "$BATS_TEST_TMPDIR/acks")" -eq "$(( k + $(grep -c . "$SAMPLE") ))" ]

	# a bad line inside an archive: numbered by decompressed lines
	run --separate-stderr esb "$BATS_TEST_TMPDIR/full.gz"
	[ "$status" -eq 65 ]
	[[ $stderr == *"full.gz:31: invalid JSON"* ]]
	[ "$(jq -r .lineno "$BATS_TEST_TMPDIR/rejects.ndjson")" -eq 31 ]
}

@test "es-bulk: --index TEMPLATE with a field, --id-field and --op create" {
	local p in=$BATS_TEST_TMPDIR/in.ndjson
	p=$(test_prefix)
	printf '%s\n' '{"kind":"Alpha","ts":1737476445,"key":"k1"}' \
		'{"kind":"beta","ts":1737476445123,"key":"k2"}' \
		'{"kind":"gamma","ts":"2025-01-21T16:30:45Z","key":"k3"}' \
		'{"kind":"Alpha","ts":1737476445,"key":"k1","again":true}' >"$in"
	run --separate-stderr esb --index "$p-{kind}-%Y.%m.%d" --time-field ts --id-field key --op create "$in"
	echo "$stderr"
	[ "$status" -eq 0 ]
	es_refresh
	run es_get "_cat/indices/$p-*?h=index&s=index"
	[ "$(jq -r '[.[].index] | join(" ")' <<<"$output")" = "$p-alpha-2025.01.21 $p-beta-2025.01.21 $p-gamma-2025.01.21" ]
	# k1 again (409 on create) counts as indexed and changes nothing
	[ "$(es_count "$p-*")" -eq 3 ]
	[ "$(es_get "$p-alpha-2025.01.21/_doc/k1" | jq -r ._source.kind)" = Alpha ]
	final_stats <<<"$stderr" | jq -e '.indexed == 4 and .dead_lettered == 0 and .no_time == 0'
}

@test "es-bulk: SIGTERM on a live stream stops cleanly; counters conserve" {
	local p fifo=$BATS_TEST_TMPDIR/fifo err=$BATS_TEST_TMPDIR/err pid
	p=$(test_prefix)
	mkfifo "$fifo"
	# es-bulk itself in the background (not a function: its subshell
	# would take the signal)
	es-bulk --es-hosts "$(node_url)" --index-prefix "$p" --dead-letter "$BATS_TEST_TMPDIR/rejects.ndjson" \
		--flush-interval 0.2 --acks "$BATS_TEST_TMPDIR/acks" <"$fifo" 2>"$err" &
	pid=$!
	exec 5>"$fifo"
	head -n 10 "$SAMPLE" >&5
	# a live stream is searchable within about a second
	WAIT_SECS=20 wait_for count_is "$p-*" 10
	kill -TERM "$pid"
	local rc=0
	wait "$pid" || rc=$?
	exec 5>&-
	cat "$err"
	[ "$rc" -eq 0 ]
	grep -q 'stopping' "$err"
	final_stats <"$err" | jq -e '.read == 10 and .indexed == 10 and .pending == 0'
	[ "$(tail -n1 "$BATS_TEST_TMPDIR/acks")" -eq 10 ]
}

@test "es-bulk: TLS, basic auth and API key through a real proxy; wrong CA and password fail clearly" {
	local p d=$BATS_TEST_TMPDIR/proxy url
	p=$(test_prefix)
	PROXY_DIR=$d
	url=$("$KES_TOP/scripts/tls-proxy" start "$d" "$(node_url)" --watch-pid $$)
	[[ $url == https://127.0.0.1:* ]]
	# basic auth, password from a file
	run --separate-stderr es-bulk -vv --es-hosts "$url" --cacert "$d/ca.pem" --es-username kes \
		--es-password-file "$d/password" --index-prefix "$p" "$SAMPLE"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[[ $stderr == *"POST $url/_bulk"* ]]
	[[ $stderr != *"$(cat "$d/password")"* ]]
	# API key from the environment, gzip off
	ES_API_KEY=$(cat "$d/apikey") run --separate-stderr es-bulk -vv --es-hosts "$url" \
		--cacert "$d/ca.pem" --index "$p-key-%Y" --no-gzip "$SAMPLE"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[[ $stderr != *"$(cat "$d/apikey")"* ]]
	[ "$(es_count "$p-*")" -eq $(( 2 * $(grep -c . "$SAMPLE") )) ]
	# wrong CA: a clear TLS message, no retrying for ever
	run --separate-stderr timeout 30 es-bulk --es-hosts "$url" --cacert "$d/wrong-ca.pem" \
		--es-username kes --es-password-file "$d/password" --index-prefix "$p" "$SAMPLE"
	echo "$stderr"
	[ "$status" -eq 69 ]
	[[ $stderr == *"es-bulk: $url: TLS: "*certificate* ]]
	# wrong password: exit 77 and the message of the issue
	ES_USERNAME=kes ES_PASSWORD=wrong-password run --separate-stderr timeout 30 es-bulk \
		--es-hosts "$url" --cacert "$d/ca.pem" --index-prefix "$p" "$SAMPLE"
	echo "$stderr"
	[ "$status" -eq 77 ]
	[[ $stderr == *"es-bulk: $url: authentication failed (401)"* ]]
	[[ $stderr != *wrong-password* ]]
	# the same with the template off: the bulk request itself is refused
	ES_API_KEY=not-the-key run --separate-stderr timeout 30 es-bulk --no-template \
		--es-hosts "$url" --cacert "$d/ca.pem" --index-prefix "$p" "$SAMPLE"
	[ "$status" -eq 77 ]
	[[ $stderr == *"authentication failed (401)"* ]]
	[[ $stderr != *not-the-key* ]]
}

@test "es-bulk: the node stopped in the middle of a load and restarted: all documents arrive, none twice" {
	local p d=$BATS_TEST_TMPDIR/node url port in=$BATS_TEST_TMPDIR/big.ndjson fifo=$BATS_TEST_TMPDIR/fifo pid n=6000
	p=$(test_prefix)
	OWN_NODE=$d
	url=$("$KES_TOP/scripts/search-node" start "$ES_FLAVOR" "$d" --watch-pid $$)
	port=${url##*:}
	awk -v n=$n 'BEGIN { for (i = 0; i < n; i++)
		printf "{\"timestamp\":\"2025-03-%02dT10:00:00.000Z\",\"record_type\":\"device\",\"mac_addr\":\"02:00:00:%02x:%02x:%02x\",\"signal_dbm\":-%d}\n",
			1 + i % 28, int(i / 65536), int(i / 256) % 256, i % 256, 30 + i % 60 }' >"$in"
	mkfifo "$fifo"
	es-bulk --es-hosts "$url" --index-prefix "$p" --batch-size 200 --flush-interval 0.2 \
		--dead-letter "$BATS_TEST_TMPDIR/rejects.ndjson" --acks "$BATS_TEST_TMPDIR/acks" \
		<"$fifo" 2>"$BATS_TEST_TMPDIR/err" &
	pid=$!
	exec 5>"$fifo"
	head -n 2000 "$in" >&5
	KES_ES_URL=$url WAIT_SECS=30 wait_for count_at_least "$p-*" 1000
	"$KES_TOP/scripts/search-node" stop "$d"
	# the rest arrives while the node is down: es-bulk must keep it (in the
	# background: es-bulk stops reading while its batches cannot be sent)
	tail -n +2001 "$in" >&5 &
	exec 5>&-
	sleep 3
	kill -0 "$pid"
	url=$("$KES_TOP/scripts/search-node" start "$ES_FLAVOR" "$d" --http-port "$port" --watch-pid $$)
	local rc=0
	WAIT_SECS=120 wait_for bash -c "! kill -0 $pid 2>/dev/null"
	wait "$pid" || rc=$?
	tail -n 5 "$BATS_TEST_TMPDIR/err"
	[ "$rc" -eq 0 ]
	[ "$(KES_ES_URL=$url es_count "$p-*")" -eq "$n" ]
	[ "$(tail -n1 "$BATS_TEST_TMPDIR/acks")" -eq "$n" ]
	grep -q 'retrying' "$BATS_TEST_TMPDIR/err"
	# the end of the outage is said once, with its length and the backlog
	grep -E "reachable again after [0-9.]+ s; [1-9][0-9]* batches \([1-9][0-9]* documents\) were waiting" "$BATS_TEST_TMPDIR/err"
	[ "$(grep -c 'reachable again' "$BATS_TEST_TMPDIR/err")" -eq 1 ]
	[ ! -e "$BATS_TEST_TMPDIR/rejects.ndjson" ]
}

@test "es-bulk: several hosts: a dead one cools down, everything goes to the live one" {
	local p port
	p=$(test_prefix)
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
	run --separate-stderr es-bulk --es-hosts "http://127.0.0.1:$port" --es-hosts "$(node_url)" \
		--index-prefix "$p" --batch-size 5 --dead-letter "$BATS_TEST_TMPDIR/rejects.ndjson" "$SAMPLE"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ "$(es_count "$p-*")" -eq "$(grep -c . "$SAMPLE")" ]
	[[ $stderr == *"http://127.0.0.1:$port: failing, sending to the other hosts"* ]]
	# ES_HOSTS with a comma list works the same
	ES_HOSTS="http://127.0.0.1:$port,$(node_url)" run es-bulk --index-prefix "$p" \
		--dead-letter "$BATS_TEST_TMPDIR/rejects.ndjson" "$SAMPLE"
	[ "$status" -eq 0 ]
	[ "$(es_count "$p-*")" -eq "$(grep -c . "$SAMPLE")" ]
}

@test "es-bulk: --op create writes into a data stream" {
	local p ds
	p=$(test_prefix)
	ds="$p-ds"
	curl -sS --fail-with-body -X PUT -H 'Content-Type: application/json' "$(node_url)/_index_template/$p-ds" \
		--data-binary '{"index_patterns":["'"$ds"'*"],"priority":500,"data_stream":{},
			"template":{"mappings":{"properties":{"@timestamp":{"type":"date"}}}}}'
	jq -c '{"@timestamp": .timestamp, mac: .mac_addr}' "$SAMPLE" >"$BATS_TEST_TMPDIR/in.ndjson"
	run --separate-stderr es-bulk --es-hosts "$(node_url)" --no-template --op create --index "$ds" \
		--time-field @timestamp --dead-letter "$BATS_TEST_TMPDIR/rejects.ndjson" "$BATS_TEST_TMPDIR/in.ndjson"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ "$(es_count "$ds")" -eq "$(grep -c . "$SAMPLE")" ]
	# a replay: 409s on create count as indexed, nothing is added
	run es-bulk --es-hosts "$(node_url)" --no-template --op create --index "$ds" \
		--time-field @timestamp --dead-letter "$BATS_TEST_TMPDIR/rejects.ndjson" "$BATS_TEST_TMPDIR/in.ndjson"
	[ "$status" -eq 0 ]
	[ "$(es_count "$ds")" -eq "$(grep -c . "$SAMPLE")" ]
	curl -sS -o /dev/null -X DELETE "$(node_url)/_index_template/$p-ds" || true
}

@test "es-bulk: a write-blocked index (cluster_block_exception) is retried until unblocked, nothing dropped" {
	local p idx pid rc=0 err=$BATS_TEST_TMPDIR/err
	p=$(test_prefix)
	idx="$p-devices-2025.01"
	run esb --template-only
	[ "$status" -eq 0 ]
	curl -sS --fail-with-body -o /dev/null -X PUT "$(node_url)/$idx"
	curl -sS --fail-with-body -o /dev/null -X PUT -H 'Content-Type: application/json' \
		"$(node_url)/$idx/_settings" --data-binary '{"index.blocks.write":true}'
	es-bulk --es-hosts "$(node_url)" --index-prefix "$p" --dead-letter "$BATS_TEST_TMPDIR/rejects.ndjson" \
		"$SAMPLE" 2>"$err" &
	pid=$!
	WAIT_SECS=20 wait_for grep -q 'cluster_block_exception' "$err"
	# the other indices are written meanwhile
	WAIT_SECS=20 wait_for count_at_least "$p-events-*" 4
	kill -0 "$pid"
	curl -sS --fail-with-body -o /dev/null -X PUT -H 'Content-Type: application/json' \
		"$(node_url)/$idx/_settings" --data-binary '{"index.blocks.write":false}'
	WAIT_SECS=30 wait_for bash -c "! kill -0 $pid 2>/dev/null"
	wait "$pid" || rc=$?
	cat "$err"
	[ "$rc" -eq 0 ]
	[ "$(es_count "$p-*")" -eq "$(grep -c . "$SAMPLE")" ]
	[ ! -e "$BATS_TEST_TMPDIR/rejects.ndjson" ]
}

# limit_proxy DIR MAX_BODY : nginx in front of the node, refusing bodies over
# MAX_BODY with 413 (a real fault, not a fake server); sets NGINX_PID and LIMIT_URL
limit_proxy() {
	node_proxy "$1" "client_max_body_size $2;"
	LIMIT_URL=$PROXY_URL
}

@test "es-bulk: a request refused with 413 is split and retried; a document too large alone is dead-lettered" {
	local p in=$BATS_TEST_TMPDIR/in.ndjson
	p=$(test_prefix)
	limit_proxy "$BATS_TEST_TMPDIR/nginx" 8k
	{
		head -n 20 "$SAMPLE"
		printf '{"timestamp":"2025-01-09T00:00:00Z","record_type":"device","name":"%s"}\n' \
			"$(head -c 9000 /dev/zero | tr '\0' n)"
		sed -n 21,40p "$SAMPLE"
	} >"$in"
	run --separate-stderr es-bulk --es-hosts "$LIMIT_URL" --index-prefix "$p" --no-gzip \
		--dead-letter "$BATS_TEST_TMPDIR/rejects.ndjson" "$in"
	echo "$stderr" | tail -n 5
	[ "$status" -eq 65 ]
	[[ $stderr == *"request too large (413): splitting batch"* ]]
	[ "$(es_count "$p-*")" -eq 40 ]
	run jq -r '"\(.lineno) \(.status) \(.error)"' "$BATS_TEST_TMPDIR/rejects.ndjson"
	[ "$output" = "21 413 request_too_large" ]
}
