#!/usr/bin/env bats
# kes: needs-node
# tests/kibana.bats - the Kibana saved objects (scripts/kibana/kismet-es.ndjson)
# against what es-bulk really gives a cluster: every field the data views,
# visualizations, map, saved search and dashboard use (also inside their
# JSON-in-a-string states) exists in the mapping of es-bulk's index template
# with a type that the use needs; and the panels' aggregations run on records
# es-bulk indexed, with the results computed independently from the input.
# Kibana itself is not run (not installable here).

load lib/common
load lib/node
bats_require_minimum_version 1.5.0

NDJSON=${KES_KIBANA_NDJSON:-$KES_TOP/scripts/kibana/kismet-es.ndjson}

setup_file() { node_start_for_suite; }
teardown_file() { node_stop_for_suite; }
teardown() { [ -z "${PFX:-}" ] || es_delete_prefix "$PFX-" || true; }

# Every field use in the saved objects: "field<TAB>need", need one of
# date, number, agg (aggregatable/sortable: not text), geo_point, exists.
field_uses() {
	jq -r '
	  def P: if type == "string" and test("^\\s*[\\[{]") then (try fromjson catch .) else . end;
	  def W: P | if type == "object" then ., (.[] | W) elif type == "array" then ., (.[] | W) else empty end;
	  .attributes | W | select(type == "object") |
	  ( (select(has("timeFieldName")) | [.timeFieldName, "date"]),
	    (select((.params | type) == "object" and (.params.field | type) == "string") |
	      [.params.field, ({"cardinality": "agg", "terms": "agg", "avg": "number", "sum": "number",
	        "min": "number", "max": "number", "median": "number", "histogram": "number",
	        "date_histogram": "date", "geohash_grid": "geo_point", "geotile_grid": "geo_point"}[.type] // "exists")]),
	    (select(has("geoField")) | [.geoField, "geo_point"]),
	    (select((.field | type) == "object" and .field.origin == "source" and
	      (.field.name | type) == "string" and (.field.name | test("^doc_count$|_of_") | not)) |
	      [.field.name, "number"]),
	    (select(has("type") and (.field | type) == "string") | [.field, "agg"]),
	    (select(has("topHitsSplitField")) | [.topHitsSplitField, "agg"]),
	    (select(has("sortField")) | [.sortField, "agg"]),
	    (select(has("tooltipProperties")) | .tooltipProperties[] | [., "exists"]),
	    (select((.columns | type) == "array") | .columns[] | [., "exists"]),
	    (select((.sort | type) == "array") | .sort[] | select(type == "array") | [.[0], "agg"]),
	    (select(.language == "kuery" and (.query | type) == "string") |
	      .query | gsub("\"[^\"]*\""; "\"\"") |
	      scan("([A-Za-z_][A-Za-z0-9_.]*)\\s*(?::|>=|<=|>|<)") | [.[0], "agg"])
	  ) | @tsv' "$NDJSON" | sort -u
}

# type of a (possibly dotted: name.keyword) field in a _mapping "properties"
field_type() {	# mappingfile field
	jq -r --arg f "$2" '
	  reduce ($f | split("."))[] as $p (.; if . == null then null
	    else (.properties[$p] // .fields[$p]) end) | if . == null then "MISSING"
	    else (.type // "object") end' "$1"
}

need_ok() {	# need type
	case $1:$2 in
	date:date | date:date_nanos) return 0 ;;
	number:long | number:integer | number:short | number:byte | number:double | number:float | \
	number:half_float | number:scaled_float | number:unsigned_long) return 0 ;;
	geo_point:geo_point) return 0 ;;
	agg:keyword | agg:constant_keyword | agg:ip | agg:boolean | agg:date | agg:date_nanos | \
	agg:long | agg:integer | agg:short | agg:byte | agg:double | agg:float) return 0 ;;
	exists:MISSING) return 1 ;;
	exists:*) return 0 ;;
	esac
	return 1
}

@test "kibana: every field the saved objects use is in es-bulk's index template with a fitting type" {
	PFX=$(test_prefix)
	url=$(node_url)
	run es-bulk --template-only --es-hosts "$url" --index-prefix "$PFX"
	echo "$output"
	[ "$status" -eq 0 ]
	# an index of each data view's pattern, made by the template alone
	s=$(scratch)
	for kind in devices events sightings; do
		curl -sS --fail-with-body -X PUT "$url/$PFX-$kind-2025.01" -H 'Content-Type: application/json' -d '{}' >/dev/null
		es_get "$PFX-$kind-2025.01/_mapping" | jq ".[\"$PFX-$kind-2025.01\"].mappings" > "$s/$kind.json"
	done
	field_uses > "$s/uses"
	cat "$s/uses"
	# the extraction sees the guide's panels (else the loop below proves nothing)
	for want in "timestamp	date" "mac_addr	agg" "manufacturer	agg" "signal_dbm	number" \
	    "location	geo_point" "event_type	agg" "encryption	agg" "alert.header	agg" \
	    "bssid	exists" "clients	exists" "device_type	agg" "alert.severity	exists" \
	    "packets	exists" "signal_min_dbm	exists"; do
		grep -qxF "$want" "$s/uses" || { echo "not extracted: $want"; false; }
	done
	bad=0
	while IFS=$'\t' read -r field need; do
		for kind in devices events sightings; do
			t=$(field_type "$s/$kind.json" "$field")
			echo "$kind $field: need $need, mapped $t"
			need_ok "$need" "$t" || bad=$((bad + 1))
		done
	done < "$s/uses"
	[ "$bad" -eq 0 ]
}

@test "kibana: data view patterns match es-bulk's indices and the panels' aggregations work on them" {
	PFX=$(test_prefix)
	url=$(node_url)
	s=$(scratch)
	cd "$s"
	cat > in.ndjson <<-'EOF'
	{"timestamp":"2025-01-21T16:30:45.123Z","record_type":"device","sensor":"s1","mac_addr":"aa:bb:cc:00:00:01","phy_type":"IEEE802.11","manufacturer":"Apple","channel":"6","frequency":2437000,"signal_dbm":-45,"location":{"lat":40.7128,"lon":-74.006},"latitude":40.7128,"longitude":-74.006}
	{"timestamp":"2025-01-21T16:31:45.123Z","record_type":"device","sensor":"s1","mac_addr":"aa:bb:cc:00:00:01","phy_type":"IEEE802.11","manufacturer":"Apple","channel":"6","frequency":2437000,"signal_dbm":-55,"location":{"lat":40.7129,"lon":-74.0061},"latitude":40.7129,"longitude":-74.0061}
	{"timestamp":"2025-01-21T16:32:10.000Z","record_type":"device","sensor":"s1","mac_addr":"aa:bb:cc:00:00:02","phy_type":"IEEE802.11","manufacturer":"Apple","signal_dbm":-71}
	{"timestamp":"2025-01-21T16:40:00.500Z","record_type":"device","sensor":"s2","mac_addr":"aa:bb:cc:00:00:03","phy_type":"Bluetooth","manufacturer":"Samsung","signal_dbm":-88,"location":{"lat":48.8566,"lon":2.3522},"latitude":48.8566,"longitude":2.3522}
	{"timestamp":"2025-01-21T16:30:46.000Z","record_type":"event","sensor":"s1","event_type":"NEW_DEVICE","device_mac":"aa:bb:cc:00:00:01","event_data":{"kismet.device.base.key":"4202770D00000000_0100000000AA"}}
	{"timestamp":"2025-01-21T16:41:00.000Z","record_type":"event","sensor":"s1","event_type":"ALERT","event_data":{"kismet.alert.header":"DEAUTHFLOOD"}}
	EOF
	run es-bulk --es-hosts "$url" --index-prefix "$PFX" in.ndjson
	echo "$output"
	[ "$status" -eq 0 ]
	es_refresh "$PFX-*"
	dev=$(jq -r 'select(.type == "index-pattern" and .id == "kismet-es-devices") | .attributes.title' "$NDJSON")
	evt=$(jq -r 'select(.type == "index-pattern" and .id == "kismet-es-events") | .attributes.title' "$NDJSON")
	[ "$dev" = "kismet-devices-*" ] && [ "$evt" = "kismet-events-*" ]
	dev=$PFX-${dev#kismet-}
	evt=$PFX-${evt#kismet-}
	[ "$(es_count "$dev")" -eq "$(jq -s 'map(select(.record_type == "device")) | length' in.ndjson)" ]
	[ "$(es_count "$evt")" -eq "$(jq -s 'map(select(.record_type == "event")) | length' in.ndjson)" ]
	# the aggregations behind the panels, on the indexed records
	q='{"size":0,"aggs":{
	  "unique":{"cardinality":{"field":"mac_addr"}},
	  "maker":{"terms":{"field":"manufacturer","size":10},"aggs":{"u":{"cardinality":{"field":"mac_addr"}}}},
	  "t":{"date_histogram":{"field":"timestamp","fixed_interval":"5m","min_doc_count":1},"aggs":{"s":{"avg":{"field":"signal_dbm"}}}},
	  "sig":{"histogram":{"field":"signal_dbm","interval":10}},
	  "geo":{"geohash_grid":{"field":"location","precision":5}}}}'
	r=$(curl -sS --fail-with-body -H 'Content-Type: application/json' "$url/$dev/_search" -d "$q")
	echo "$r" | jq -c .aggregations
	[ "$(jq .aggregations.unique.value <<<"$r")" -eq "$(jq -rs '[.[] | select(.record_type == "device") | .mac_addr] | unique | length' in.ndjson)" ]
	[ "$(jq -c '[.aggregations.maker.buckets[] | {(.key): .u.value}] | add' <<<"$r")" = \
	  "$(jq -sc '[.[] | select(.record_type == "device")] | group_by(.manufacturer) | map({(.[0].manufacturer): (map(.mac_addr) | unique | length)}) | add' in.ndjson)" ]
	# avg signal per 5 minutes
	[ "$(jq -c '[.aggregations.t.buckets[] | .s.value]' <<<"$r")" = \
	  "$(jq -sc '[.[] | select(.record_type == "device") | {b: (.timestamp | sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601 / 300 | floor), s: .signal_dbm}] | group_by(.b) | map(map(.s) | add / length)' in.ndjson)" ]
	[ "$(jq '[.aggregations.sig.buckets[].doc_count] | add' <<<"$r")" -eq "$(jq -s 'map(select(.signal_dbm)) | length' in.ndjson)" ]
	[ "$(jq '[.aggregations.geo.buckets[].doc_count] | add' <<<"$r")" -eq "$(jq -s 'map(select(.location)) | length' in.ndjson)" ]
	# the new-device alerts: the saved search's own KQL, as a term query
	kql=$(jq -r 'select(.id == "kismet-es-new-devices") | .attributes.kibanaSavedObjectMeta.searchSourceJSON | fromjson | .query.query' "$NDJSON")
	[[ "$kql" =~ ^([a-z_]+)\ :\ \"([A-Z_]+)\"$ ]]
	f=${BASH_REMATCH[1]} v=${BASH_REMATCH[2]}
	r=$(curl -sS --fail-with-body -H 'Content-Type: application/json' "$url/$evt/_search" \
		-d "{\"query\":{\"term\":{\"$f\":\"$v\"}},\"sort\":[{\"timestamp\":\"desc\"}]}")
	[ "$(jq '.hits.hits | length' <<<"$r")" -eq "$(jq -s "map(select(.$f == \"$v\")) | length" in.ndjson)" ]
	[ "$(jq -r '.hits.hits[0]._source.device_mac' <<<"$r")" = aa:bb:cc:00:00:01 ]
}

@test "kibana: the Wi-Fi security panels on the field sample (kismet-tap | es-bulk): encryption terms, alerts by header, alerts on a map" {
	PFX=$(test_prefix)
	url=$(node_url)
	s=$(scratch)
	db=$KES_DATA/kismet/kismetdb/field-sample.kismet
	kismet-tap --kismetdb "$db" --events ALERT >"$s/in.ndjson" 2>"$s/tap.err"
	run es-bulk --es-hosts "$url" --index-prefix "$PFX" "$s/in.ndjson"
	echo "$output"
	[ "$status" -eq 0 ]
	es_refresh "$PFX-*"
	# the mapping es-bulk's template gave the new fields
	es_get "$PFX-devices-*/_mapping" | jq -e 'to_entries[0].value.mappings.properties |
		.encryption.type == "keyword" and .ssid.type == "keyword" and .ssid.fields.text.type == "text"
		and .ssid_cloaked.type == "boolean" and .bssid.type == "keyword" and .clients.type == "integer"
		and .seen_by.type == "keyword" and .associated_clients.type == "keyword"'
	es_get "$PFX-events-*/_mapping" | jq -e 'to_entries[0].value.mappings.properties |
		.alert.properties.header.type == "keyword" and .alert.properties.severity.type == "integer"
		and .alert.properties.text.type == "text" and .alert.properties.source_mac.type == "keyword"
		and .location.type == "geo_point"'
	# networks by encryption: the panel's aggregation returns the sample's crypt strings
	vis=$(jq -r 'select(.id == "kismet-es-encryption") | .attributes.visState' "$NDJSON")
	f=$(jq -r '.aggs[] | select(.type == "terms") | .params.field' <<<"$vis")
	[ "$f" = encryption ]
	r=$(curl -sS --fail-with-body -H 'Content-Type: application/json' "$url/$PFX-devices-*/_search" \
		-d "{\"size\":0,\"aggs\":{\"e\":{\"terms\":{\"field\":\"$f\",\"size\":50}}}}")
	[ "$(jq -r '[.aggregations.e.buckets[].key] | sort | join("|")' <<<"$r")" = \
	  "$(sqlite3 -readonly "$db" 'SELECT CAST(device AS TEXT) FROM devices' |
		jq -r '."kismet.device.base.crypt" | select(. != "")' | sort -u | paste -sd'|')" ]
	# open networks: the map's KQL as a term query finds the open AP
	[ "$(curl -sS -H 'Content-Type: application/json' "$url/$PFX-devices-*/_count" \
		-d '{"query":{"term":{"encryption":"Open"}}}' | jq .count)" -eq \
	  "$(jq -s 'map(select(.encryption == "Open")) | length' "$s/in.ndjson")" ]
	# alerts over time by header, and a geohash grid over DEAUTHFLOOD alerts
	r=$(curl -sS --fail-with-body -H 'Content-Type: application/json' "$url/$PFX-events-*/_search" -d '{"size":0,
		"query":{"term":{"alert.header":"DEAUTHFLOOD"}},
		"aggs":{"g":{"geohash_grid":{"field":"location","precision":6}},
		        "t":{"date_histogram":{"field":"timestamp","fixed_interval":"1m","min_doc_count":1}}}}')
	echo "$r" | jq -c .aggregations
	n=$(jq -s 'map(select(.alert.header == "DEAUTHFLOOD")) | length' "$s/in.ndjson")
	[ "$n" -gt 0 ]
	[ "$(jq '.aggregations.g.buckets | length' <<<"$r")" -gt 0 ]
	[ "$(jq '[.aggregations.g.buckets[].doc_count] | add' <<<"$r")" -eq \
	  "$(jq -s 'map(select(.alert.header == "DEAUTHFLOOD" and .location)) | length' "$s/in.ndjson")" ]
	[ "$(jq '[.aggregations.t.buckets[].doc_count] | add' <<<"$r")" -eq "$n" ]
	r=$(curl -sS --fail-with-body -H 'Content-Type: application/json' "$url/$PFX-events-*/_search" \
		-d '{"size":0,"aggs":{"h":{"terms":{"field":"alert.header","size":50}}}}')
	[ "$(jq -S -c '[.aggregations.h.buckets[] | {(.key): .doc_count}] | add' <<<"$r")" = \
	  "$(sqlite3 -readonly "$db" 'SELECT header, COUNT(*) FROM alerts GROUP BY header' |
		jq -R -s -S -c 'split("\n") | map(select(. != "") | split("|") | {(.[0]): (.[1] | tonumber)}) | add')" ]
}

@test "kibana: the sightings data view, map layer and device track search work on kismet-tap --sightings records" {
	PFX=$(test_prefix)
	url=$(node_url)
	s=$(scratch)
	kismet-tap --kismetdb "$KES_DATA/kismet/kismetdb/field-sample.kismet" --sightings 60 2>/dev/null |
		grep '"record_type":"sighting"' >"$s/in.ndjson"
	run es-bulk --es-hosts "$url" --index-prefix "$PFX" "$s/in.ndjson"
	[ "$status" -eq 0 ]
	pat=$(jq -r 'select(.type == "index-pattern" and .id == "kismet-es-sightings") | .attributes.title' "$NDJSON")
	[ "$pat" = "kismet-sightings-*" ]
	pat=$PFX-${pat#kismet-}
	[ "$(es_count "$pat")" -eq "$(wc -l <"$s/in.ndjson")" ]
	# the map layer's documents: its geo field, its sort, its colour field on every point
	layer=$(jq -c 'select(.id == "kismet-es-sightings-map") | .attributes.layerListJSON | fromjson |
		map(select(.sourceDescriptor.type == "ES_SEARCH"))[0]' "$NDJSON")
	geo=$(jq -r .sourceDescriptor.geoField <<<"$layer")
	sort=$(jq -r .sourceDescriptor.sortField <<<"$layer")
	colour=$(jq -r .style.properties.fillColor.options.field.name <<<"$layer")
	r=$(es_search "$pat" '{"size":1000,"query":{"exists":{"field":"'"$geo"'"}},"sort":[{"'"$sort"'":"asc"}]}')
	[ "$(jq '.hits.hits | length' <<<"$r")" -eq "$(jq -s 'map(select(.location)) | length' "$s/in.ndjson")" ]
	[ "$(jq '[.hits.hits[]._source | .'"$colour"' | numbers] | length' <<<"$r")" -eq \
		"$(jq -s 'map(select(.location and .signal_dbm)) | length' "$s/in.ndjson")" ]
	[ "$(jq -s 'map(select(.signal_dbm)) | length' "$s/in.ndjson")" -gt 50 ]
	# the device track: the saved KQL with one real MAC, in the saved order
	meta=$(jq -c 'select(.id == "kismet-es-device-track") | .attributes' "$NDJSON")
	kql=$(jq -r '.kibanaSavedObjectMeta.searchSourceJSON | fromjson | .query.query' <<<"$meta")
	[[ "$kql" =~ ^([a-z_]+)\ :\ \"[0-9a-f:]{17}\"$ ]]
	f=${BASH_REMATCH[1]}
	mac=$(jq -r 'select(.signal_dbm and .frequency) | .mac_addr' "$s/in.ndjson" | sort | uniq -c | sort -rn | awk 'NR == 1 { print $2 }')
	r=$(es_search "$pat" '{"size":1000,"query":{"term":{"'"$f"'":"'"$mac"'"}},
		"sort":[{"'"$(jq -r '.sort[0][0]' <<<"$meta")"'":"'"$(jq -r '.sort[0][1]' <<<"$meta")"'"}]}')
	diff <(jq -r '.hits.hits[]._source.timestamp' <<<"$r") \
		<(jq -r 'select(.mac_addr == "'"$mac"'") | .timestamp' "$s/in.ndjson" | sort)
	[ "$(jq '.hits.hits | length' <<<"$r")" -gt 3 ]
	# every column of the search exists in the sightings
	for c in $(jq -r '.columns[]' <<<"$meta"); do
		jq -e '[.hits.hits[]._source | has("'"$c"'")] | any' <<<"$r" >/dev/null || { echo "column $c: never set"; false; }
	done
}
