#!/usr/bin/env bats
# search_node.bats - proof that the test harness talks to a real search node
# (scripts/search-node) of flavour $ES_FLAVOR: index, refresh, search, health,
# distribution/version, and the mapping features the tools rely on; and that
# scripts/tls-proxy puts HTTPS + basic-auth/API-key auth in front of it.
# kes: needs-node
load lib/common
load lib/node

setup_file() { node_start_for_suite; }
teardown_file() { node_stop_for_suite; }
teardown() {
	if [ -n "${PROXY_DIR:-}" ]; then "$KES_TOP/scripts/tls-proxy" stop "$PROXY_DIR" || true; fi
	es_delete_prefix "$(test_prefix)" || true
}

# post PATH BODY [CONTENT_TYPE] : body on stdout, fails on HTTP >= 400
post() {
	curl -sS --fail-with-body -X "${METHOD:-POST}" -H "Content-Type: ${3:-application/json}" \
		--data-binary "$2" "$(node_url)/$1"
}

@test "search-node: index two documents, refresh, search them back" {
	local p idx
	p=$(test_prefix)
	idx="$p-docs"
	printf '%s\n' \
		'{"index":{"_index":"'"$idx"'","_id":"a"}}' '{"name":"alpha","n":1}' \
		'{"index":{"_index":"'"$idx"'","_id":"b"}}' '{"name":"beta","n":2}' >"$BATS_TEST_TMPDIR/bulk"
	run curl -sS --fail-with-body -H 'Content-Type: application/x-ndjson' \
		--data-binary @"$BATS_TEST_TMPDIR/bulk" "$(node_url)/_bulk"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(jq -r '.errors' <<<"$output")" = false ]
	[ "$(jq '.items | length' <<<"$output")" -eq 2 ]

	es_refresh "$idx"
	run post "$idx/_search" '{"query":{"match_all":{}},"sort":[{"n":"asc"}]}'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(jq '.hits.total.value' <<<"$output")" -eq 2 ]
	[ "$(jq -r '.hits.hits[0]._source.name' <<<"$output")" = alpha ]
	[ "$(jq -r '.hits.hits[1]._id' <<<"$output")" = b ]

	run post "$idx/_search" '{"query":{"match":{"name":"beta"}}}'
	[ "$(jq '.hits.total.value' <<<"$output")" -eq 1 ]
	[ "$(jq -r '.hits.hits[0]._source.n' <<<"$output")" -eq 2 ]

	run es_count "$p-*"
	[ "$status" -eq 0 ]
	[ "$output" -eq 2 ]
}

@test "search-node: start FLAVOR DIR prints the URL, status/url agree, stop DIR stops the node and its watchdog" {
	local d url pid wd me=$BASHPID
	d=$BATS_TEST_TMPDIR/second
	url=$("$KES_TOP/scripts/search-node" start "$ES_FLAVOR" "$d" --watch-pid "$me")
	echo "url=$url"
	[[ "$url" =~ ^http://127\.0\.0\.1:[0-9]+$ ]]
	[ "$url" != "$(node_url)" ]
	[ "$("$KES_TOP/scripts/search-node" url "$d")" = "$url" ]
	"$KES_TOP/scripts/search-node" status "$d"
	run curl -sS --fail-with-body "$url/"
	[ "$status" -eq 0 ]
	[ "$(jq -r '.version.number' <<<"$output")" = "$(KES_ES_URL=$(node_url) es_get "" | jq -r '.version.number')" ]
	pid=$(cat "$d/pid") wd=$(cat "$d/watchdog.pid")
	kill -0 "$pid" && kill -0 "$wd"
	"$KES_TOP/scripts/search-node" stop "$d"
	! kill -0 "$pid" 2>/dev/null
	run "$KES_TOP/scripts/search-node" status "$d"
	[ "$status" -ne 0 ]
	run curl -sS -o /dev/null "$url/"
	[ "$status" -eq 7 ]
	# the watchdog ends by itself within a second or two once the node is gone
	for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$wd" 2>/dev/null || break; sleep 0.5; done
	! kill -0 "$wd" 2>/dev/null
}

@test "search-node: the node runs on the Java its flavour needs (21+ from scripts/java21 for ES 9 and OpenSearch 3)" {
	local pid exe home v
	pid=$(cat "$(dirname "$(node_log)")/pid")
	exe=$(readlink -f "/proc/$pid/exe")
	echo "node java: $exe"
	v=$("$exe" -version 2>&1 | sed -n 's/.* version "\([0-9]*\).*/\1/p' | head -1)
	case $ES_FLAVOR in
		elasticsearch9 | opensearch3)
			home=$("$KES_TOP/scripts/java21" home)
			[ "$exe" = "$(readlink -f "$home/bin/java")" ]
			[ "$v" -ge 21 ]
			# what a node needs of the runtime
			"$exe" --list-modules | grep -q '^jdk\.unsupported@'
			"$exe" --list-modules | grep -q '^java\.management@'
			;;
		*) [ "$v" -ge 17 ] ;;
	esac
}

@test "search-node: cluster health is yellow or green" {
	run es_get "_cluster/health"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$(jq -r '.status' <<<"$output")" =~ ^(yellow|green)$ ]]
	[ "$(jq '.number_of_nodes' <<<"$output")" -ge 1 ]
}

@test "search-node: GET / reports the expected distribution" {
	run es_get ""
	echo "$output"
	[ "$status" -eq 0 ]
	# the exact version the flavour's pom names (scripts/search-node.d/F/pom.xml)
	local want
	want=$(sed -n 's:.*<\(es\|os\)\.version>\(.*\)</.*:\2:p' "$KES_TOP/scripts/search-node.d/$ES_FLAVOR/pom.xml")
	[ -n "$want" ]
	[ "$(jq -r '.version.number' <<<"$output")" = "$want" ]
	local major
	case $ES_FLAVOR in
		opensearch) major=2 ;; opensearch3) major=3 ;; elasticsearch) major=8 ;; elasticsearch9) major=9 ;;
	esac
	[[ "$(jq -r '.version.number' <<<"$output")" == "$major".* ]]
	case $ES_FLAVOR in
		opensearch | opensearch3)
			[ "$(jq -r '.version.distribution' <<<"$output")" = opensearch ]
			;;
		elasticsearch | elasticsearch9)
			[ "$(jq -r '.version.distribution // "elasticsearch"' <<<"$output")" = elasticsearch ]
			[ "$(jq -r '.tagline' <<<"$output")" = "You Know, for Search" ]
			[[ "$(jq -r '.version.build_hash' <<<"$output")" =~ ^[0-9a-f]{40}$ ]]
			;;
		*)
			echo "unknown ES_FLAVOR '$ES_FLAVOR'"
			false
			;;
	esac
}

@test "search-node: index template with geo_point, geohash_grid and date_histogram" {
	local p
	p=$(test_prefix)
	METHOD=PUT run post "_index_template/$p-tpl" '{"index_patterns":["'"$p"'-geo*"],
		"template":{"settings":{"number_of_shards":1,"number_of_replicas":0},
		"mappings":{"properties":{"location":{"type":"geo_point"},"timestamp":{"type":"date"}}}}}'
	echo "$output"
	[ "$status" -eq 0 ]
	printf '%s\n' \
		'{"index":{"_index":"'"$p"'-geo-1"}}' '{"location":{"lat":52.52,"lon":13.40},"timestamp":"2025-01-01T10:00:00Z"}' \
		'{"index":{"_index":"'"$p"'-geo-1"}}' '{"location":{"lat":52.51,"lon":13.41},"timestamp":"2025-01-02T10:00:00Z"}' \
		'{"index":{"_index":"'"$p"'-geo-1"}}' '{"location":{"lat":48.85,"lon":2.35},"timestamp":"2025-01-02T11:00:00Z"}' \
		>"$BATS_TEST_TMPDIR/bulk"
	run curl -sS --fail-with-body -H 'Content-Type: application/x-ndjson' \
		--data-binary @"$BATS_TEST_TMPDIR/bulk" "$(node_url)/_bulk?refresh=true"
	[ "$status" -eq 0 ]
	[ "$(jq -r '.errors' <<<"$output")" = false ]

	run es_get "$p-geo-1/_mapping"
	[ "$(jq -r '.[].mappings.properties.location.type' <<<"$output")" = geo_point ]

	run post "$p-geo*/_search" '{"size":0,"aggs":{
		"cells":{"geohash_grid":{"field":"location","precision":3}},
		"days":{"date_histogram":{"field":"timestamp","calendar_interval":"day"}}}}'
	echo "$output"
	[ "$status" -eq 0 ]
	# Berlin (u33) holds two points, Paris (u09) one
	[ "$(jq -r '.aggregations.cells.buckets[0].key' <<<"$output")" = u33 ]
	[ "$(jq '.aggregations.cells.buckets[0].doc_count' <<<"$output")" -eq 2 ]
	[ "$(jq -r '.aggregations.cells.buckets[1].key' <<<"$output")" = u09 ]
	[ "$(jq '[.aggregations.days.buckets[].doc_count]' -c <<<"$output")" = '[1,2]' ]

	METHOD=DELETE run post "_index_template/$p-tpl" ''
	[ "$status" -eq 0 ]
}

@test "search-node: gzip-encoded bulk body is accepted" {
	local p
	p=$(test_prefix)
	printf '%s\n' '{"index":{"_index":"'"$p"'-gz"}}' '{"k":"v"}' | gzip >"$BATS_TEST_TMPDIR/bulk.gz"
	run curl -sS --fail-with-body -H 'Content-Type: application/x-ndjson' -H 'Content-Encoding: gzip' \
		--data-binary @"$BATS_TEST_TMPDIR/bulk.gz" "$(node_url)/_bulk?refresh=true"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(jq -r '.errors' <<<"$output")" = false ]
	run es_count "$p-gz"
	[ "$output" -eq 1 ]
}

@test "tls-proxy: HTTPS with basic auth or API key, refusals, wrong CA" {
	local p url d me=$BASHPID # this test's process, taken outside $(...)
	p=$(test_prefix)
	PROXY_DIR=$BATS_TEST_TMPDIR/proxy
	d=$PROXY_DIR
	url=$("$KES_TOP/scripts/tls-proxy" start "$d" "$(node_url)" --watch-pid "$me")
	[[ "$url" == https://127.0.0.1:* ]]
	[ -s "$d/ca.pem" ] && [ -s "$d/wrong-ca.pem" ] && [ -s "$d/password" ] && [ -s "$d/apikey" ]
	# credentials go to curl through files, never argv
	printf 'user = "kes:%s"\n' "$(cat "$d/password")" >"$BATS_TEST_TMPDIR/basic.cfg"
	printf 'user = "kes:wrong-%s"\n' "$(cat "$d/password")" >"$BATS_TEST_TMPDIR/badbasic.cfg"
	printf 'Authorization: ApiKey %s\n' "$(cat "$d/apikey")" >"$BATS_TEST_TMPDIR/apikey.hdr"
	printf 'Authorization: ApiKey x%s\n' "$(cat "$d/apikey")" >"$BATS_TEST_TMPDIR/badkey.hdr"

	run curl -s -o /dev/null -w '%{http_code}' --cacert "$d/ca.pem" "$url/_cluster/health"
	[ "$output" = 401 ]
	run curl -s -o /dev/null -w '%{http_code}' --cacert "$d/ca.pem" -K "$BATS_TEST_TMPDIR/badbasic.cfg" "$url/"
	[ "$output" = 401 ]
	run curl -s -o /dev/null -w '%{http_code}' --cacert "$d/ca.pem" -H @"$BATS_TEST_TMPDIR/badkey.hdr" "$url/"
	[ "$output" = 401 ]

	run curl -sS --fail-with-body --cacert "$d/ca.pem" -K "$BATS_TEST_TMPDIR/basic.cfg" "$url/_cluster/health"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$(jq -r '.status' <<<"$output")" =~ ^(yellow|green)$ ]]

	# the certificate also names localhost
	run curl -sS --fail-with-body --cacert "$d/ca.pem" -H @"$BATS_TEST_TMPDIR/apikey.hdr" \
		"https://localhost:${url##*:}/_cluster/health"
	[ "$status" -eq 0 ]

	# an unrelated CA must not verify the server
	run curl -sS -o /dev/null --cacert "$d/wrong-ca.pem" -K "$BATS_TEST_TMPDIR/basic.cfg" "$url/"
	[ "$status" -eq 60 ]

	# a gzip-encoded bulk body passes through untouched, with the API key
	printf '%s\n' '{"index":{"_index":"'"$p"'-px"}}' '{"via":"proxy"}' | gzip >"$BATS_TEST_TMPDIR/bulk.gz"
	run curl -sS --fail-with-body --cacert "$d/ca.pem" -H @"$BATS_TEST_TMPDIR/apikey.hdr" \
		-H 'Content-Type: application/x-ndjson' -H 'Content-Encoding: gzip' \
		--data-binary @"$BATS_TEST_TMPDIR/bulk.gz" "$url/_bulk?refresh=true"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(jq -r '.errors' <<<"$output")" = false ]
	run es_count "$p-px"
	[ "$output" -eq 1 ]

	"$KES_TOP/scripts/tls-proxy" stop "$d"
	run curl -s -o /dev/null --cacert "$d/ca.pem" "$url/"
	[ "$status" -eq 7 ]
}
