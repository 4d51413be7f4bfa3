/**
 * Compare-and-set of one device's latest state, atomic in Redis (one key, so Redis Cluster safe).
 * ARGV: mode ('t' telemetry by (boot, seq) | 's' status by (boot, rxTs)), seenMs, boot, order,
 * then field/value pairs. A record not newer than the stored one changes nothing (replays,
 * out-of-order drains); `seen` only ever moves forward. Returns 1 when the record was applied.
 */
export const LATEST_LUA = `
local key = KEYS[1]
local seen = tonumber(ARGV[2])
local cur = tonumber(redis.call('HGET', key, 'seen') or '-1')
if seen > cur then redis.call('HSET', key, 'seen', ARGV[2]) end
local bf, of = 'tboot', 'tseq'
if ARGV[1] == 's' then bf, of = 'sboot', 'srx' end
local boot = tonumber(ARGV[3])
local ord = tonumber(ARGV[4])
local eb = tonumber(redis.call('HGET', key, bf) or '-1')
local eo = tonumber(redis.call('HGET', key, of) or '-1')
if boot > eb or (boot == eb and ord > eo) then
  redis.call('HSET', key, bf, ARGV[3], of, ARGV[4], unpack(ARGV, 5))
  return 1
end
return 0
`;
