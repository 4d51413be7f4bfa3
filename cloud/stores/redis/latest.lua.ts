/**
 * Compare-and-set of the latest state of many devices in one script call, each device atomic in
 * Redis. KEYS: one device hash per record. ARGV[1]: the gateway the batch came from; then, per
 * record in the order of KEYS:
 * - telemetry, ordered by (boot, seq): 't', rxTs (seen), boot, seq, ts, tempC, sensor, heater, rssi;
 * - status, ordered by (boot, rxTs): 's', rxTs (seen), boot, rxTs, state, fw.
 * Absent values are empty strings. A record not newer than the stored one changes nothing
 * (replays, out-of-order drains); `seen` only ever moves forward. A record received before the
 * device's provisioning epoch (`ep`, set by EPOCH_LUA) is a replaced unit's and changes nothing:
 * the epoch is ordered before (boot, seq) (docs/adr/082-ingest-keeps-what-it-can.md). Each device costs one HMGET and
 * at most one HSET. The hash's field names are written here once; the store reads them back
 * (redis-store.ts, toState). Returns how many records were applied.
 *
 * One call carries many keys, so a Redis Cluster would need them grouped by hash slot; the cloud
 * talks to one Redis server (docs/scaling.md).
 */
export const LATEST_LUA = `
local gw = ARGV[1]
local a = 2
local applied = 0
for i = 1, #KEYS do
  local key = KEYS[i]
  local tel = ARGV[a] == 't'
  local bf, of, n = 'tboot', 'tseq', 5
  if not tel then bf, of, n = 'sboot', 'srx', 2 end
  local cur = redis.call('HMGET', key, 'seen', bf, of, 'ep')
  local old = tonumber(ARGV[a + 1]) < tonumber(cur[4] or '0')
  local fresh = not old and tonumber(ARGV[a + 1]) > tonumber(cur[1] or '-1')
  local boot, eb = tonumber(ARGV[a + 2]), tonumber(cur[2] or '-1')
  local v = a + 4
  if old then
    -- a replaced unit's record: nothing
  elseif boot > eb or (boot == eb and tonumber(ARGV[a + 3]) > tonumber(cur[3] or '-1')) then
    applied = applied + 1
    -- One HSET with its fields written out: no tables built per device (the script's own cost).
    if tel and fresh then
      redis.call('HSET', key, 'seen', ARGV[a + 1], bf, ARGV[a + 2], of, ARGV[a + 3], 'gw', gw, 'rx', ARGV[a + 1],
        'ts', ARGV[v], 'temp', ARGV[v + 1], 'sensor', ARGV[v + 2], 'heater', ARGV[v + 3], 'rssi', ARGV[v + 4])
    elseif tel then
      redis.call('HSET', key, bf, ARGV[a + 2], of, ARGV[a + 3], 'gw', gw, 'rx', ARGV[a + 1],
        'ts', ARGV[v], 'temp', ARGV[v + 1], 'sensor', ARGV[v + 2], 'heater', ARGV[v + 3], 'rssi', ARGV[v + 4])
    elseif fresh then
      redis.call('HSET', key, 'seen', ARGV[a + 1], bf, ARGV[a + 2], of, ARGV[a + 3], 'gw', gw, 'state', ARGV[v], 'fw', ARGV[v + 1])
    else
      redis.call('HSET', key, bf, ARGV[a + 2], of, ARGV[a + 3], 'gw', gw, 'state', ARGV[v], 'fw', ARGV[v + 1])
    end
  elseif fresh then
    redis.call('HSET', key, 'seen', ARGV[a + 1])
  end
  a = a + 4 + n
end
return applied
`;

/**
 * A device provisioned again under its id (a replacement unit, ADR 082): KEYS one device hash each,
 * ARGV the epoch of each (the stamp of the registry add). A stored epoch older than the given one
 * (or none) drops the device's latest state and keeps only the new epoch; the same epoch again
 * (a replay, the whole registry at a gateway start) changes nothing. Returns how many were reset.
 */
export const EPOCH_LUA = `
local reset = 0
for i = 1, #KEYS do
  local ep = tonumber(ARGV[i])
  if ep > tonumber(redis.call('HGET', KEYS[i], 'ep') or '0') then
    redis.call('DEL', KEYS[i])
    redis.call('HSET', KEYS[i], 'ep', ARGV[i])
    reset = reset + 1
  end
end
return reset
`;
