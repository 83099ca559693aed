import { LuaScript } from './redis-connection.ts';

/*
 * Layout per budget bucket (all keys of one request share the tenant's hash tag):
 *   <prefix>{t:<tenant>}:b:<bucket key>  hash  spent (micro-dollars), reserved (micro-dollars),
 *                                              h:<reservation id> (micro-dollars held by it)
 *   <prefix>{t:<tenant>}:l:<bucket key>  zset  reservation id -> lease end (ms, Redis server time)
 *   <prefix>{t:<tenant>}:d:<reservation id>    marker: settled or released (idempotence)
 * Lease ends are read from the Redis server's clock (TIME), so replicas with skewed clocks agree.
 */

/** Shared Lua: the server's time in ms, and giving back the holds whose lease has ended. */
const PURGE = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function purge(bucket, leases, now)
  local expired = redis.call('ZRANGEBYSCORE', leases, '-inf', now)
  for _, id in ipairs(expired) do
    local held = tonumber(redis.call('HGET', bucket, 'h:' .. id) or '0')
    redis.call('HDEL', bucket, 'h:' .. id)
    -- Never negate zero: Lua would send "-0", which HINCRBY refuses.
    if held > 0 then redis.call('HINCRBY', bucket, 'reserved', -held) end
  end
  if #expired > 0 then redis.call('ZREMRANGEBYSCORE', leases, '-inf', now) end
end
local function used(bucket)
  local values = redis.call('HMGET', bucket, 'spent', 'reserved')
  return tonumber(values[1] or '0') + tonumber(values[2] or '0')
end
`;

/**
 * Reserve: KEYS = bucket, leases (per bucket), done marker. ARGV = id, amount, leaseMs, n,
 * retainMs, then limit and window end (0 for none) per bucket. Answers {1} granted,
 * {0, index, remaining} refused by bucket `index`, {-1} id already in use.
 */
export const reserveScript = new LuaScript(`${PURGE}
local id, amount, lease, n, retain = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local now = now_ms()
if redis.call('EXISTS', KEYS[2 * n + 1]) == 1 then return {-1} end
for i = 1, n do
  local bucket, leases = KEYS[2 * i - 1], KEYS[2 * i]
  purge(bucket, leases, now)
  if redis.call('HEXISTS', bucket, 'h:' .. id) == 1 then return {-1} end
  local limit = tonumber(ARGV[4 + 2 * i])
  local current = used(bucket)
  if current + amount > limit then
    local remaining = limit - current
    if remaining < 0 then remaining = 0 end
    return {0, i, remaining}
  end
end
for i = 1, n do
  local bucket, leases = KEYS[2 * i - 1], KEYS[2 * i]
  redis.call('HINCRBY', bucket, 'reserved', amount)
  redis.call('HSET', bucket, 'h:' .. id, amount)
  redis.call('ZADD', leases, now + lease, id)
  local window_end = tonumber(ARGV[5 + 2 * i])
  if window_end > 0 then
    local keep = math.max(window_end + retain, now + 2 * lease)
    redis.call('PEXPIREAT', bucket, keep)
    redis.call('PEXPIREAT', leases, keep)
  end
end
return {1}
`);

/**
 * Settle or release: KEYS = bucket, leases (per bucket), done marker. ARGV = id, actual cost
 * (0 to release), n, marker lifetime, retainMs, then the window end (0 for none) per bucket. Takes
 * the hold back where it still exists and adds the actual cost; a second call for the same
 * reservation finds the marker and changes nothing. A hold whose lease already ended is gone, but
 * the actual cost is still counted.
 */
export const finishScript = new LuaScript(`${PURGE}
local id, actual, n, keep, retain = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
if redis.call('SET', KEYS[2 * n + 1], '1', 'NX', 'PX', keep) == false then return 0 end
local now = now_ms()
for i = 1, n do
  local bucket, leases = KEYS[2 * i - 1], KEYS[2 * i]
  local held = redis.call('HGET', bucket, 'h:' .. id)
  if held then
    redis.call('HDEL', bucket, 'h:' .. id)
    if tonumber(held) > 0 then redis.call('HINCRBY', bucket, 'reserved', -tonumber(held)) end
    redis.call('ZREM', leases, id)
  end
  if actual > 0 then
    redis.call('HINCRBY', bucket, 'spent', actual)
    local window_end = tonumber(ARGV[5 + i])
    if window_end > 0 then redis.call('PEXPIREAT', bucket, math.max(window_end + retain, now + keep)) end
  end
end
return 1
`);

/** Used: KEYS = bucket, leases. Gives back ended leases, answers spent + reserved (micro-dollars). */
export const usedScript = new LuaScript(`${PURGE}
purge(KEYS[1], KEYS[2], now_ms())
return used(KEYS[1])
`);
