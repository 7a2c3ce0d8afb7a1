# tests/lib/guide-sql.bash - the original guide's monitoring and cleanup SQL,
# copied verbatim, once, for every suite that runs it against a spool
# (`load lib/guide-sql`).  Do not "fix" their spacing: they must run as the
# guide prints them.

# the guide's "Offline/Online Sync Test, Step 2: Check buffer status" query, verbatim
PENDING_SQL="SELECT COUNT(*) FROM device_buffer WHERE synced=0"
# the guide's "Testing Procedures / Monitor buffer" query, verbatim
MONITOR_SQL="SELECT COUNT(*) as total_devices, COUNT(CASE WHEN synced=0 THEN 1 END) as unsynced FROM device_buffer"
# the guide's "Buffer Management / Check buffer status" query, verbatim
STATUS_SQL="
SELECT 
    'Devices' as type,
    COUNT(*) as total,
    COUNT(CASE WHEN synced=0 THEN 1 END) as unsynced,
    MIN(created_at) as oldest,
    MAX(created_at) as newest
FROM device_buffer
UNION ALL
SELECT 
    'Events' as type,
    COUNT(*) as total,
    COUNT(CASE WHEN synced=0 THEN 1 END) as unsynced,
    MIN(created_at) as oldest,
    MAX(created_at) as newest
FROM event_buffer;
"
# the guide's "Clean up old synced data", verbatim
CLEANUP_SQL="
DELETE FROM device_buffer 
WHERE synced = 1 AND created_at < datetime('now', '-7 days');

DELETE FROM event_buffer 
WHERE synced = 1 AND created_at < datetime('now', '-7 days');

VACUUM;
"
