import { POSTGRES_SKIP_NOTICE, postgresTestUrl } from './postgres-test-env.ts';

/** Runs once per test run: one line saying how to enable the skipped suites. */
export default function setup(): void {
  if (!postgresTestUrl) console.log(POSTGRES_SKIP_NOTICE);
  else if (!process.env.PIXELGATE_TEST_REDIS_URL)
    console.log(
      'store-postgres: the scale-out proof is skipped; set PIXELGATE_TEST_REDIS_URL=redis://127.0.0.1:6379 (and have redis-server on the PATH) to run it.',
    );
}
