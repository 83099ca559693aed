/** A concrete pixel size. */
export interface PixelSize {
  width: number;
  height: number;
}

const SIZE_PATTERN = /^(\d{1,5})x(\d{1,5})$/;
const RATIO_PATTERN = /^(\d{1,3}):(\d{1,3})$/;

/** Parses `1024x768`; returns undefined for anything else (including `auto`). */
export function parseSize(value: string): PixelSize | undefined {
  const match = SIZE_PATTERN.exec(value);
  if (!match) return undefined;
  const width = Number(match[1]);
  const height = Number(match[2]);
  return width > 0 && height > 0 ? { width, height } : undefined;
}

/** Formats a size the way OpenAI writes it: `WIDTHxHEIGHT`. */
export function formatSize(size: PixelSize): string {
  return `${size.width}x${size.height}`;
}

/** Parses `16:9` into its two terms; undefined for anything else. */
export function parseAspectRatio(value: string): { width: number; height: number } | undefined {
  const match = RATIO_PATTERN.exec(value);
  if (!match) return undefined;
  const width = Number(match[1]);
  const height = Number(match[2]);
  return width > 0 && height > 0 ? { width, height } : undefined;
}

/** Width divided by height of a `W:H` ratio or a pixel size. */
export function ratioValue(value: { width: number; height: number }): number {
  return value.width / value.height;
}

/**
 * Distance between two ratios on a log scale, so that 2:1 and 1:2 are equally far from 1:1.
 * Used to pick the nearest supported ratio or size under the `coerce` policy.
 */
export function ratioDistance(a: number, b: number): number {
  return Math.abs(Math.log(a) - Math.log(b));
}

/** Reduces a pixel size to its simplest ratio (`1792x1024` gives `7:4`). */
export function reduceRatio(size: PixelSize): string {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  const divisor = gcd(size.width, size.height);
  return `${size.width / divisor}:${size.height / divisor}`;
}
