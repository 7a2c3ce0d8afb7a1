#!/usr/bin/env bats
# tests/kismet-tap-sightings-node.bats - `kismet-tap --kismetdb LOG --sightings 60 | es-bulk`
# into a real node: every sighting lands in <prefix>-sightings-YYYY.MM, the index maps
# location as geo_point (and the counts and signals as integers, the identity fields as
# keywords), and a geohash_grid over one device's sightings (its track) returns buckets.
# kes: needs-node
load lib/common
load lib/node

bats_require_minimum_version 1.5.0

DB=$KES_DATA/kismet/kismetdb/field-sample.kismet

setup_file() { node_start_for_suite; }
teardown_file() { node_stop_for_suite; }
teardown() { es_delete_prefix "$(test_prefix)" || true; }

@test "sightings into a node: own monthly index, geo_point location, one device's track on a geohash grid" {
	local p d n mac track r
	p=$(test_prefix)
	d=$(scratch)
	kismet-tap --kismetdb "$DB" --sightings 60 2>/dev/null >"$d/in"
	n=$(grep -c '"record_type":"sighting"' "$d/in")
	[ "$n" -gt 100 ]
	run --separate-stderr es-bulk --es-hosts "$(node_url)" --index-prefix "$p" \
		--dead-letter "$d/rejects" "$d/in"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ ! -s "$d/rejects" ]
	[ "$(es_count "$p-sightings-2026.11")" -eq "$n" ]
	[ "$(es_count "$p-devices-*")" -eq 64 ]
	es_get "$p-sightings-2026.11/_mapping" | jq -e '.[].mappings.properties |
		.location.type == "geo_point" and .timestamp.type == "date" and
		.packets.type == "integer" and .signal_dbm.type == "integer" and
		.signal_min_dbm.type == "integer" and .signal_max_dbm.type == "integer" and
		.mac_addr.type == "keyword" and .device_key.type == "keyword" and
		.sensor.type == "keyword" and .manufacturer.type == "keyword"'
	# the device with the most sightings: its track
	mac=$(jq -r 'select(.record_type == "sighting" and .location) | .mac_addr' "$d/in" |
		sort | uniq -c | sort -rn | awk 'NR == 1 { print $2 }')
	track=$(jq -c 'select(.record_type == "sighting" and .mac_addr == "'"$mac"'" and .location)' "$d/in" | wc -l)
	[ "$track" -gt 3 ]
	r=$(es_search "$p-sightings-*" '{"size":100,"query":{"term":{"mac_addr":"'"$mac"'"}},
		"sort":[{"timestamp":"asc"}],
		"aggs":{"track":{"geohash_grid":{"field":"location","precision":7}}}}')
	jq -e '.aggregations.track.buckets | length > 0' <<<"$r"
	[ "$(jq '[.aggregations.track.buckets[].doc_count] | add' <<<"$r")" -eq "$track" ]
	# by time, as kismet-tap wrote them
	diff <(jq -r '.hits.hits[]._source.timestamp' <<<"$r") \
		<(jq -r 'select(.record_type == "sighting" and .mac_addr == "'"$mac"'") | .timestamp' "$d/in" | sort)
	# a replay changes nothing (the ids are the lines' hashes)
	es-bulk --es-hosts "$(node_url)" --index-prefix "$p" --dead-letter "$d/rejects" "$d/in" 2>/dev/null
	[ "$(es_count "$p-sightings-*")" -eq "$n" ]
}
