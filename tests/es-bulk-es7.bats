#!/usr/bin/env bats
# es-bulk-es7.bats - es-bulk against a real Elasticsearch 7 node (issue #3):
# 7.17 (composable _index_template) and 7.7 (before 7.8: es-bulk must fall
# back to the legacy _template API, having detected the server with GET /).
# Counts, replays, monthly indices, the template's geo_point, the guide's
# aggregations, and no mapping types in what es-bulk sends (the node logs a
# "[types removal]" deprecation for each typed request: the node's log must
# be readable, so run it through tests/run or let it start its own node).
# kes: flavours elasticsearch7 elasticsearch7-legacy
load lib/common
load lib/node

bats_require_minimum_version 1.5.0

SAMPLE=$KES_DATA/es-bulk/kismet-sample.ndjson

setup_file() {
	export ES_FLAVOR=${ES_FLAVOR:-elasticsearch7}
	node_start_for_suite
}
teardown_file() { node_stop_for_suite; }
teardown() { es_delete_prefix "$(test_prefix)" || true; }

esb() { es-bulk --es-hosts "$(node_url)" --index-prefix "$(test_prefix)" "$@"; }

# the node's version, from GET /
node_version() { es_get / | jq -er '.version.number'; }

# composable_expected : does this node have composable templates (>= 7.8)?
composable_expected() {
	node_version | jq -Rer 'split(".") | map(tonumber) | .[0] > 7 or (.[0] == 7 and .[1] >= 8)'
}

# types_warnings : number of "[types removal]" deprecations in the node's log
types_warnings() { grep -c 'types removal' "$(node_log)" || true; }

@test "es7: GET / is Elasticsearch 7.x of the flavour asked for" {
	local r
	r=$(es_get /)
	echo "$r"
	[ "$(jq -r '.version.distribution // "elasticsearch"' <<<"$r")" = elasticsearch ]
	case $ES_FLAVOR in
		elasticsearch7) [[ $(jq -r .version.number <<<"$r") == 7.17.* ]] ;;
		elasticsearch7-legacy) [[ $(jq -r .version.number <<<"$r") == 7.7.* ]] ;;
		*) [[ $(jq -r .version.number <<<"$r") == 7.* ]] ;;
	esac
}

@test "es7: every valid line is indexed, a replay changes nothing, no mapping types are sent" {
	local p in=$BATS_TEST_TMPDIR/in.ndjson n w0
	p=$(test_prefix)
	{ cat "$SAMPLE"; echo 'not json'; echo; } >"$in"
	n=$(jq -R 'fromjson? | objects' "$in" | jq -s length)
	[ "$n" -eq "$(grep -c . "$SAMPLE")" ]
	node_log >/dev/null
	w0=$(types_warnings)
	run --separate-stderr esb -vv --dead-letter "$BATS_TEST_TMPDIR/dl" "$in"
	echo "$stderr"
	[ "$status" -eq 65 ]	# the invalid line
	[ "$(es_count "$p-*")" -eq "$n" ]
	grep '^{"es-bulk":"final"' <<<"$stderr" | jq -e --argjson n "$n" '.indexed == $n and .pending == 0'
	[[ $stderr != *'"_type"'* ]]
	run esb "$SAMPLE"
	[ "$status" -eq 0 ]
	[ "$(es_count "$p-*")" -eq "$n" ]
	# the node logs a deprecation for every typed request; none from es-bulk
	grep deprecation "$(node_log)" || true
	[ "$(types_warnings)" -eq "$w0" ]
	# ... and it would have seen one: the same check on a typed bulk request
	# (X-Opaque-Id: 7.17 logs a deprecation once per key and opaque id)
	printf '{"index":{"_index":"%s-typed","_type":"_doc"}}\n{"a":1}\n' "$p" |
		curl -sS --fail-with-body -o /dev/null -H 'Content-Type: application/x-ndjson' \
			-H "X-Opaque-Id: $p" --data-binary @- "$(node_url)/_bulk"
	WAIT_SECS=10 wait_for eval '[ "$(types_warnings)" -gt "$w0" ]'
}

@test "es7: the index template is composable from 7.8, legacy before; location is a geo_point" {
	local p r pat
	p=$(test_prefix)
	run esb "$SAMPLE"
	[ "$status" -eq 0 ]
	pat="$p-*"
	r=$(es_get _template)
	if [ "$(composable_expected)" = true ]; then
		es_get _index_template | jq -e --arg pat "$pat" '[.index_templates[].index_template
			| select(.index_patterns | index($pat))
			| .template.mappings.properties.location.type] == ["geo_point"]'
		# and no legacy template as well
		jq -e --arg pat "$pat" '[.[] | select(.index_patterns | index($pat))] == []' <<<"$r"
	else
		# 7.7 has no composable templates at all
		run es_get _index_template
		[ "$status" -ne 0 ]
		jq -e --arg pat "$pat" '[.[] | select(.index_patterns | index($pat))
			| .mappings.properties.location.type] == ["geo_point"]' <<<"$r"
	fi
	r=$(es_get "$p-devices-2025.01/_mapping")
	[ "$(jq -r '.[].mappings.properties.location.type' <<<"$r")" = geo_point ]
	[ "$(jq -r '.[].mappings.properties.timestamp.type' <<<"$r")" = date ]
}

@test "es7: records of two months land in two monthly indices" {
	local p months
	p=$(test_prefix)
	months=$(jq -r 'select(.record_type == "device") | .timestamp[0:7] | sub("-"; ".")' "$SAMPLE" | sort -u)
	[ "$(wc -l <<<"$months")" -eq 2 ]
	run esb "$SAMPLE"
	[ "$status" -eq 0 ]
	es_refresh
	run es_get "_cat/indices/$p-devices-*?h=index&s=index"
	[ "$(jq -r '.[].index' <<<"$output")" = "$(sed "s/^/$p-devices-/" <<<"$months")" ]
	for m in $months; do
		[ "$(es_count "$p-devices-$m")" -eq "$(jq -r --arg m "${m/./-}" 'select(.record_type == "device" and (.timestamp | startswith($m))) | 1' "$SAMPLE" | wc -l)" ]
	done
}

@test "es7: geohash_grid and date_histogram aggregations return buckets" {
	local p r
	p=$(test_prefix)
	run esb "$SAMPLE"
	[ "$status" -eq 0 ]
	es_refresh
	r=$(es_search "$p-devices-*" '{"size":0,"query":{"exists":{"field":"location"}},"aggs":{"g":{"geohash_grid":{"field":"location","precision":5}}}}')
	echo "$r"
	[ "$(jq '.aggregations.g.buckets | length' <<<"$r")" -gt 0 ]
	[ "$(jq '[.aggregations.g.buckets[].doc_count] | add' <<<"$r")" -eq "$(jq -r 'select(.record_type == "device" and .location) | 1' "$SAMPLE" | wc -l)" ]
	r=$(es_search "$p-devices-*" '{"size":0,"aggs":{"h":{"date_histogram":{"field":"timestamp","calendar_interval":"1d","min_doc_count":1}}}}')
	echo "$r"
	[ "$(jq '.aggregations.h.buckets | length' <<<"$r")" -gt 1 ]
	[ "$(jq '[.aggregations.h.buckets[].doc_count] | add' <<<"$r")" -eq "$(es_count "$p-devices-*")" ]
}

@test "es7: the analyst fields (section 2b) of the field sample map and aggregate on 7.x too" {
	local p d=$BATS_TEST_TMPDIR
	p=$(test_prefix)
	kismet-tap --kismetdb "$KES_DATA/kismet/kismetdb/field-sample.kismet" --events ALERT >"$d/in" 2>/dev/null
	run --separate-stderr esb "$d/in"
	echo "$stderr"
	[ "$status" -eq 0 ]
	es_refresh "$p-*"
	es_get "$p-devices-*/_mapping" | jq -e 'to_entries[0].value.mappings.properties |
		.encryption.type == "keyword" and .ssid.fields.text.type == "text" and .ssid_cloaked.type == "boolean"
		and .clients.type == "integer" and .connected_bssids.type == "keyword"'
	es_get "$p-events-*/_mapping" | jq -e 'to_entries[0].value.mappings.properties |
		.alert.properties.header.type == "keyword" and .alert.properties.severity.type == "integer"
		and .location.type == "geo_point"'
	r=$(curl -sS --fail-with-body -H 'Content-Type: application/json' "$(node_url)/$p-events-*/_search" \
		-d '{"size":0,"query":{"term":{"alert.header":"DEAUTHFLOOD"}},"aggs":{"g":{"geohash_grid":{"field":"location","precision":5}}}}')
	[ "$(jq '.aggregations.g.buckets | length' <<<"$r")" -gt 0 ]
	[ "$(curl -sS -H 'Content-Type: application/json' "$(node_url)/$p-devices-*/_count" \
		-d '{"query":{"term":{"encryption":"Open"}}}' | jq .count)" -ge 1 ]
}
