# tests/kismet-tap-map.jq - the record contract (ARCHITECTURE.md section 2) written
# independently of kismet-tap in jq: one Kismet device object (full or
# field-simplified keys as in REST) in, the expected device record out.  $sensor is
# passed with --arg; --arg probed 1 adds probed_ssids (kismet-tap --probed-ssids).  The
# section 2b fields (Wi-Fi identity, signal range, radios) follow ARCHITECTURE.md's
# table.  Used by tests/kismet-tap*.bats to check kismet-tap field by field.
def s($v): if ($v|type) == "string" and $v != "" then $v else null end;
def n($v): if ($v|type) == "number" then $v else null end;
def pos($v): if ($v|type) == "number" and $v > 0 then $v else null end;
def drop_nulls: with_entries(select(.value != null));
def nonempty: if length == 0 then null else . end;
def is_mac: type == "string" and test("^[0-9A-Fa-f:]+$") and test("[1-9A-Fa-f]");
def mac_keys($m): if ($m|type) == "object" then [$m | keys[] | select(is_mac) | ascii_downcase] | unique | nonempty else null end;
def members($l; $k): if ($l|type) == "array" or ($l|type) == "object"
    then [$l[] | objects | .[$k] | select(type == "string" and . != "")] | unique | nonempty else null end;
. as $d
| ($d["kismet.device.base.signal"] // {}) as $sig
| (if ($sig["kismet.common.signal.type"] // "none") == "none" then null else $sig end) as $sg
| (if $sg == null or ($sg["kismet.common.signal.last_signal"] // 0) == 0 then null else $sg["kismet.common.signal.last_signal"] end) as $sd
| (if $sg == null or ($sg["kismet.common.signal.last_noise"] // 0) == 0 then null else $sg["kismet.common.signal.last_noise"] end) as $nd
| ($d["kismet.device.base.location"] // {}) as $loc
| ($loc["kismet.common.location.last"] // null) as $last
| (if $last == null then null else ($last["kismet.common.location.fix"] // $loc["kismet.common.location.loc_fix"] // 0) end) as $fix
| (if $last == null then null else $last["kismet.common.location.geopoint"] end) as $g
| (if $sg == null or ($sg["kismet.common.signal.min_signal"] // 0) == 0 then null else $sg["kismet.common.signal.min_signal"] end) as $smin
| (if $sg == null or ($sg["kismet.common.signal.max_signal"] // 0) == 0 then null else $sg["kismet.common.signal.max_signal"] end) as $smax
| ($d["dot11.device"] // {}) as $dd
| ($dd["dot11.device.last_beaconed_ssid_record"] | if type == "object" then . else null end) as $rec
| ($d["kismet.device.base.phyname"] == "IEEE802.11") as $wifi
| (($ARGS.named.probed // "0") == "1") as $probed
| (($g != null) and ($fix >= 2) and (($g|length) == 2) and (($g[0] != 0) or ($g[1] != 0))
   and $g[1] >= -90 and $g[1] <= 90 and $g[0] >= -180 and $g[0] <= 180) as $hasloc
| {
    timestamp: ($d["kismet.device.base.last_time"] | todate | sub("Z$"; ".000Z")),
    record_type: "device",
    sensor: $sensor,
    mac_addr: ($d["kismet.device.base.macaddr"] | ascii_downcase),
    device_key: s($d["kismet.device.base.key"]),
    device_type: s($d["kismet.device.base.type"]),
    name: s($d["kismet.device.base.name"]),
    username: s($d["kismet.device.base.username"]),
    phy_type: s($d["kismet.device.base.phyname"]),
    manufacturer: (s($d["kismet.device.base.manuf"]) | if . == "Unknown" then null else . end),
    first_seen: pos($d["kismet.device.base.first_time"]),
    last_seen: $d["kismet.device.base.last_time"],
    channel: s($d["kismet.device.base.channel"]),
    frequency: pos($d["kismet.device.base.frequency"]),
    total_packets: n($d["kismet.device.base.packets.total"]),
    tx_packets: n($d["kismet.device.base.packets.tx_total"]),
    rx_packets: n($d["kismet.device.base.packets.rx_total"]),
    data_size: n($d["kismet.device.base.datasize"]),
    signal_dbm: $sd,
    noise_dbm: $nd,
    snr_db: (if $sd != null and $nd != null then $sd - $nd else null end),
    location: (if $hasloc then {lat: $g[1], lon: $g[0]} else null end),
    latitude: (if $hasloc then $g[1] else null end),
    longitude: (if $hasloc then $g[0] else null end),
    altitude: (if $hasloc and $fix >= 3 then $last["kismet.common.location.alt"] else null end),
    signal_min_dbm: $smin,
    signal_max_dbm: $smax,
    encryption: s($d["kismet.device.base.crypt"]),
    ssid: (if $rec == null then null else s($rec["dot11.advertisedssid.ssid"]) end),
    ssid_cloaked: (if $rec == null then null else ($rec["dot11.advertisedssid.cloaked"] != 0) end),
    bssid: ($dd["dot11.device.last_bssid"] | if is_mac then ascii_downcase else null end),
    clients: (if $wifi then ($dd["dot11.device.num_associated_clients"] // 0) else null end),
    wpa_handshakes: (if $wifi then ([$dd["dot11.device.wpa_handshake_list"] | objects | .[] | arrays | length] | add // 0) else null end),
    associated_clients: mac_keys($dd["dot11.device.associated_client_map"]),
    connected_bssids: mac_keys($dd["dot11.device.client_map"]),
    channel_utilization: (if $rec != null and $rec["dot11.advertisedssid.dot11e_qbss"] == 1
        then $rec["dot11.advertisedssid.dot11e_channel_utilization_perc"] else null end),
    seen_by: members($d["kismet.device.base.seenby"]; "kismet.common.seenby.uuid"),
    probed_ssids: (if $probed then members($dd["dot11.device.probed_ssid_map"]; "dot11.probedssid.ssid") else null end)
  }
| drop_nulls
