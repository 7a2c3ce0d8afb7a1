/*
 * mapping.c - the index template's settings and mappings, compiled in.
 *
 * event_data is "type":"object","enabled":false: event payloads differ by
 * event type (the same key is a string in one and an object in another), so
 * indexing them would make mapping conflicts that reject events, and grow
 * the mapping with every new payload shape (mapping explosion).  Disabled,
 * the payload is kept in _source, returned by searches, and never mapped.
 * ("flattened" would make it searchable but exists only in Elasticsearch;
 * OpenSearch calls its variant flat_object.)
 */
#include "template.h"

const char esb_template_body[] =
"{\n"
"  \"settings\": {\n"
"    \"index\": {\"number_of_shards\": 1}\n"
"  },\n"
"  \"mappings\": {\n"
"    \"dynamic\": true,\n"
"    \"properties\": {\n"
"      \"timestamp\":     {\"type\": \"date\"},\n"
"      \"record_type\":   {\"type\": \"keyword\"},\n"
"      \"sensor\":        {\"type\": \"keyword\"},\n"
"      \"mac_addr\":      {\"type\": \"keyword\"},\n"
"      \"device_key\":    {\"type\": \"keyword\"},\n"
"      \"device_type\":   {\"type\": \"keyword\"},\n"
"      \"device_mac\":    {\"type\": \"keyword\"},\n"
"      \"event_type\":    {\"type\": \"keyword\"},\n"
"      \"manufacturer\":  {\"type\": \"keyword\"},\n"
"      \"phy_type\":      {\"type\": \"keyword\"},\n"
"      \"channel\":       {\"type\": \"keyword\"},\n"
"      \"name\":     {\"type\": \"text\",\n"
"                   \"fields\": {\"keyword\": {\"type\": \"keyword\", \"ignore_above\": 256}}},\n"
"      \"username\": {\"type\": \"text\",\n"
"                   \"fields\": {\"keyword\": {\"type\": \"keyword\", \"ignore_above\": 256}}},\n"
"      \"first_seen\":    {\"type\": \"long\"},\n"
"      \"last_seen\":     {\"type\": \"long\"},\n"
"      \"frequency\":     {\"type\": \"long\"},\n"
"      \"total_packets\": {\"type\": \"long\"},\n"
"      \"tx_packets\":    {\"type\": \"long\"},\n"
"      \"rx_packets\":    {\"type\": \"long\"},\n"
"      \"data_size\":     {\"type\": \"long\"},\n"
"      \"signal_dbm\":    {\"type\": \"integer\"},\n"
"      \"noise_dbm\":     {\"type\": \"integer\"},\n"
"      \"snr_db\":        {\"type\": \"integer\"},\n"
"      \"location\":      {\"type\": \"geo_point\"},\n"
"      \"latitude\":      {\"type\": \"double\"},\n"
"      \"longitude\":     {\"type\": \"double\"},\n"
"      \"altitude\":      {\"type\": \"double\"},\n"
"      \"event_data\":    {\"type\": \"object\", \"enabled\": false}\n"
"    }\n"
"  }\n"
"}\n";
