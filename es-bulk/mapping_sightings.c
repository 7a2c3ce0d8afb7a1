/*
 * mapping_sightings.c - the index template's properties for sighting
 * records (kismet-tap --sightings, ARCHITECTURE.md 2c), which es-bulk
 * writes to <prefix>-sightings-YYYY.MM.  Added by template.c to the common
 * properties (mapping.c) for every field they do not define: the fields a
 * sighting shares with device records (timestamp date, mac_addr,
 * device_key, sensor, phy_type, device_type, manufacturer keyword, name
 * text+keyword, first_seen, last_seen, frequency long, signal_dbm integer,
 * location geo_point, latitude/longitude/altitude double) keep their one
 * definition there.  Here: the packet count and the signal range
 * (integers), and the Wi-Fi identity copied from the device (keywords;
 * when the common mapping defines them, its definition wins).
 */
#include "template.h"

const char esb_sightings_properties[] =
"{\n"
"  \"packets\":        {\"type\": \"integer\"},\n"
"  \"signal_min_dbm\": {\"type\": \"integer\"},\n"
"  \"signal_max_dbm\": {\"type\": \"integer\"},\n"
"  \"ssid\":           {\"type\": \"keyword\"},\n"
"  \"encryption\":     {\"type\": \"keyword\"}\n"
"}\n";
