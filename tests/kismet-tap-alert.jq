# tests/kismet-tap-alert.jq - ARCHITECTURE.md section 2b for ALERT events, written
# independently of kismet-tap in jq: one Kismet alert payload (kismet.alert.*) in, the
# searchable part of the event record out: {alert, location, latitude, longitude,
# altitude}.  Used by tests/kismet-tap*.bats to check every alert field by field.
def s($v): if ($v|type) == "string" and $v != "" then $v else null end;
def mac($v): if ($v|type) == "string" and ($v|test("[1-9A-Fa-f]")) then $v | ascii_downcase else null end;
def drop_nulls: with_entries(select(.value != null));
. as $a
| ($a["kismet.alert.location"] // {}) as $loc
| ($loc["kismet.common.location.geopoint"] // null) as $g
| ($loc["kismet.common.location.fix"] // 0) as $fix
| (($g|type) == "array" and ($g|length) == 2 and $fix >= 2 and (($g[0] != 0) or ($g[1] != 0))
   and $g[1] >= -90 and $g[1] <= 90 and $g[0] >= -180 and $g[0] <= 180) as $hasloc
| {
    alert: ({
      header: s($a["kismet.alert.header"]),
      class: s($a["kismet.alert.class"]),
      severity: $a["kismet.alert.severity"],
      text: s($a["kismet.alert.text"]),
      source_mac: mac($a["kismet.alert.source_mac"]),
      dest_mac: mac($a["kismet.alert.dest_mac"]),
      transmitter_mac: mac($a["kismet.alert.transmitter_mac"]),
      other_mac: mac($a["kismet.alert.other_mac"]),
      channel: (s($a["kismet.alert.channel"]) | if . == "0" then null else . end),
      frequency: ($a["kismet.alert.frequency"] | if . == 0 then null else . end)
    } | drop_nulls),
    location: (if $hasloc then {lat: $g[1], lon: $g[0]} else null end),
    latitude: (if $hasloc then $g[1] else null end),
    longitude: (if $hasloc then $g[0] else null end),
    altitude: (if $hasloc and $fix >= 3 then $loc["kismet.common.location.alt"] else null end)
  }
| drop_nulls
