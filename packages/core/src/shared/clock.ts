/** A source of the current time; replaced in tests to move through budget periods and token expiry. */
export interface Clock {
  now(): number;
}

/** The system clock. */
export const systemClock: Clock = { now: () => Date.now() };
