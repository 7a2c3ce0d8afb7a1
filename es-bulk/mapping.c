/*
 * mapping.c - the index template's settings and mappings, compiled in.
 *
 * event_data is "type":"object","enabled":false: event payloads differ by
 * event type (the same key is a string in one and an object in another), so
 * indexing them would make mapping conflicts that reject events, and grow
 * the mapping with every new payload shape (mapping explosion).  Disabled,
 * the payload is kept in _source, returned by searches, and never mapped.
 * ("flattened" would make it searchable but exists only in Elasticsearch;
 * OpenSearch calls its variant flat_object.)  What analysts search in an
 * event is mapped on its own: an ALERT's "alert" object and location
 * (ARCHITECTURE.md section 2b).
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
"      \"signal_min_dbm\": {\"type\": \"integer\"},\n"
"      \"signal_max_dbm\": {\"type\": \"integer\"},\n"
"      \"encryption\":    {\"type\": \"keyword\"},\n"
"      \"ssid\":     {\"type\": \"keyword\", \"fields\": {\"text\": {\"type\": \"text\"}}},\n"
"      \"ssid_cloaked\":  {\"type\": \"boolean\"},\n"
"      \"bssid\":         {\"type\": \"keyword\"},\n"
"      \"clients\":       {\"type\": \"integer\"},\n"
"      \"wpa_handshakes\": {\"type\": \"integer\"},\n"
"      \"associated_clients\": {\"type\": \"keyword\"},\n"
"      \"connected_bssids\":   {\"type\": \"keyword\"},\n"
"      \"channel_utilization\": {\"type\": \"integer\"},\n"
"      \"seen_by\":       {\"type\": \"keyword\"},\n"
"      \"probed_ssids\":  {\"type\": \"keyword\"},\n"
"      \"alert\": {\"properties\": {\n"
"        \"header\":          {\"type\": \"keyword\"},\n"
"        \"class\":           {\"type\": \"keyword\"},\n"
"        \"severity\":        {\"type\": \"integer\"},\n"
"        \"text\":            {\"type\": \"text\"},\n"
"        \"source_mac\":      {\"type\": \"keyword\"},\n"
"        \"dest_mac\":        {\"type\": \"keyword\"},\n"
"        \"transmitter_mac\": {\"type\": \"keyword\"},\n"
"        \"other_mac\":       {\"type\": \"keyword\"},\n"
"        \"channel\":         {\"type\": \"keyword\"},\n"
"        \"frequency\":       {\"type\": \"long\"}\n"
"      }},\n"
"      \"event_data\":    {\"type\": \"object\", \"enabled\": false}\n"
"    }\n"
"  }\n"
"}\n";
