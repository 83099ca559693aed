import { POSTGRES_SKIP_NOTICE, postgresTestUrl } from './postgres-test-env.ts';

/** Runs once per test run: one line saying how to enable the skipped suites. */
export default function setup(): void {
  if (!postgresTestUrl) console.log(POSTGRES_SKIP_NOTICE);
}
