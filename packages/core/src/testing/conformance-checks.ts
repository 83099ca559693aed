import { it } from 'vitest';

/**
 * One check of a conformance kit: its test title, whether it applies to the implementation under
 * test, and its body, which receives the fixture of the running test (the fresh store, adapter or
 * sink `beforeEach` made). Kits keep their checks as lists of these, in files by theme, so that a
 * kit's entry is only its setup and the order of its groups.
 */
export interface ConformanceCheck<Fixture> {
  /** The test title, as it appears in the runner's output. */
  title: string;
  /**
   * Whether the check applies (from the declared capabilities or the options given); a check that
   * does not is registered as skipped, so the report shows what was not checked. Default true.
   */
  runIf?: boolean;
  run(fixture: Fixture): Promise<void> | void;
}

/**
 * Registers each check as one vitest test, in order, inside the caller's `describe`. `fixture` is
 * called when the test runs (after `beforeEach`), so each check sees that test's fresh instance.
 */
export function registerChecks<Fixture>(
  checks: ReadonlyArray<ConformanceCheck<Fixture>>,
  fixture: () => Fixture,
): void {
  for (const check of checks) it.runIf(check.runIf ?? true)(check.title, () => check.run(fixture()));
}
