import { REDIS_SKIP_NOTICE, redisTestUrl } from './redis-test-env.ts';

/** Runs once per test run: one line saying how to enable the skipped suites. */
export default function setup(): void {
  if (!redisTestUrl) console.log(REDIS_SKIP_NOTICE);
}
