import { LuaScript } from './redis-connection.ts';

/*
 * Per limit: <prefix>{t:<tenant>}:rl:<entry key>  zset of hits (member "<cost>:<nonce>:<i>", score
 * = the caller's time of the hit), and <prefix>{t:<tenant>}:rs:<entry key>  the sum of their costs.
 * The same sliding window log as the memory store, evaluated for every entry before any is
 * committed, in one script.
 *
 * KEYS = log, sum (per entry). ARGV = now, nonce, n, then limit, windowMs, cost per entry.
 * Answers per entry: allowed (1/0), remaining, resetMs, retryAfterMs (-1: none).
 */
export const consumeScript = new LuaScript(`
local now, nonce, n = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
local out, all = {}, true
local function cost_of(member) return tonumber(string.match(member, '^(%d+):')) end
for i = 1, n do
  local log, sum = KEYS[2 * i - 1], KEYS[2 * i]
  local limit, window, cost = tonumber(ARGV[1 + 3 * i]), tonumber(ARGV[2 + 3 * i]), tonumber(ARGV[3 + 3 * i])
  -- A hit at t counts while now < t + window: drop those with t <= now - window.
  local old = redis.call('ZRANGEBYSCORE', log, '-inf', now - window)
  local used = tonumber(redis.call('GET', sum) or '0')
  if #old > 0 then
    for _, member in ipairs(old) do used = used - cost_of(member) end
    redis.call('ZREMRANGEBYSCORE', log, '-inf', now - window)
    if used <= 0 then redis.call('DEL', sum) used = 0 else redis.call('SET', sum, used, 'KEEPTTL') end
  end
  local last = redis.call('ZRANGE', log, -1, -1, 'WITHSCORES')
  local reset = 0
  if #last > 0 then reset = tonumber(last[2]) + window - now end
  local allowed, remaining, retry = 1, limit - used - cost, -1
  if used + cost > limit then
    allowed, all = 0, false
    remaining = math.max(0, limit - used)
    if cost <= limit then
      -- Walk the oldest hits in pages (a large limit means a long log) until the request fits.
      local freed, start, fits = 0, 0, false
      while not fits do
        local hits = redis.call('ZRANGE', log, start, start + 99, 'WITHSCORES')
        if #hits == 0 then break end
        for j = 1, #hits, 2 do
          freed = freed + cost_of(hits[j])
          retry = tonumber(hits[j + 1]) + window - now
          if used - freed + cost <= limit then fits = true break end
        end
        start = start + 100
      end
    end
  end
  out[i] = {allowed, remaining, reset, retry, used}
end
local answer = {}
for i = 1, n do
  local d = out[i]
  local cost, window = tonumber(ARGV[3 + 3 * i]), tonumber(ARGV[2 + 3 * i])
  if all then
    if cost > 0 then
      local log, sum = KEYS[2 * i - 1], KEYS[2 * i]
      redis.call('ZADD', log, now, cost .. ':' .. nonce .. ':' .. i)
      redis.call('INCRBY', sum, cost)
      redis.call('PEXPIRE', log, window + 1000)
      redis.call('PEXPIRE', sum, window + 1000)
      d[3] = window
    end
  elseif d[1] == 1 then
    d[2] = d[2] + cost
  end
  table.insert(answer, d[1]) table.insert(answer, d[2]) table.insert(answer, d[3]) table.insert(answer, d[4])
end
return answer
`);
