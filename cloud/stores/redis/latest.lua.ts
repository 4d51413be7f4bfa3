/**
 * Compare-and-set of the latest state of many devices in one script call, each device atomic in
 * Redis. KEYS: one device hash per record. ARGV, per record in the same order: mode ('t'
 * telemetry ordered by (boot, seq) | 's' status ordered by (boot, rxTs)), seenMs, boot, order,
 * the number of field/value strings that follow, then those strings. A record not newer than the
 * stored one changes nothing (replays, out-of-order drains); `seen` only ever moves forward. Each
 * device costs one HMGET and at most one HSET. Returns how many records were applied.
 *
 * One call carries many keys, so a Redis Cluster would need them grouped by hash slot; the cloud
 * talks to one Redis server (docs/architecture.md).
 */
export const LATEST_LUA = `
local a = 1
local applied = 0
for i = 1, #KEYS do
  local key = KEYS[i]
  local bf, of = 'tboot', 'tseq'
  if ARGV[a] == 's' then bf, of = 'sboot', 'srx' end
  local seen = tonumber(ARGV[a + 1])
  local boot = tonumber(ARGV[a + 2])
  local ord = tonumber(ARGV[a + 3])
  local n = tonumber(ARGV[a + 4])
  local cur = redis.call('HMGET', key, 'seen', bf, of)
  local set = {}
  if seen > tonumber(cur[1] or '-1') then
    set[#set + 1] = 'seen'
    set[#set + 1] = ARGV[a + 1]
  end
  local eb = tonumber(cur[2] or '-1')
  if boot > eb or (boot == eb and ord > tonumber(cur[3] or '-1')) then
    set[#set + 1] = bf
    set[#set + 1] = ARGV[a + 2]
    set[#set + 1] = of
    set[#set + 1] = ARGV[a + 3]
    for j = 1, n do set[#set + 1] = ARGV[a + 4 + j] end
    applied = applied + 1
  end
  if #set > 0 then redis.call('HSET', key, unpack(set)) end
  a = a + 5 + n
end
return applied
`;
