import { InvalidInputError } from "../errors/index.ts";

/**
 * Sizes and ages as people write them in flags and config files (`10GiB`, `500MB`, `7d`),
 * parsed strictly: a typo is an error, never a silent zero.
 */

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1000,
  kb: 1000,
  m: 1000 ** 2,
  mb: 1000 ** 2,
  g: 1000 ** 3,
  gb: 1000 ** 3,
  t: 1000 ** 4,
  tb: 1000 ** 4,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

const AGE_UNITS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

/**
 * Bytes in a size: a whole or decimal number with an optional unit (B, KB/MB/GB/TB powers
 * of 1000, KiB/MiB/GiB/TiB powers of 1024; case-insensitive).
 *
 * @example parseSize("1.5GiB") // 1610612736
 */
export function parseSize(text: string, what = "size"): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = SIZE_UNITS[match?.[2]?.toLowerCase() ?? "?"];
  if (!match || unit === undefined) {
    throw new InvalidInputError(`${what} ${JSON.stringify(text.slice(0, 40))} is not a size`, { hint: "write sizes like 500MB, 10GiB or 1073741824 (bytes)" });
  }
  return Math.floor(Number(match[1]) * unit);
}

/**
 * Milliseconds in an age such as `90s`, `30m`, `12h`, `7d` or `2w` (units may be combined:
 * `1d12h`).
 *
 * @example parseAge("1d12h") // 129600000
 */
export function parseAge(text: string, what = "age"): number {
  const trimmed = text.trim();
  let total = 0;
  let rest = trimmed;
  while (rest.length > 0) {
    const match = /^(\d+)([smhdw])/.exec(rest);
    if (!match) {
      throw new InvalidInputError(`${what} ${JSON.stringify(text.slice(0, 40))} is not an age`, { hint: "write ages like 90s, 30m, 12h, 7d or 2w" });
    }
    total += Number(match[1]) * AGE_UNITS[match[2]!]!;
    rest = rest.slice(match[0].length);
  }
  if (trimmed.length === 0) throw new InvalidInputError(`${what} is empty`, { hint: "write ages like 90s, 30m, 12h, 7d or 2w" });
  return total;
}

/**
 * A size for people: binary units, one decimal below 10, whole numbers above.
 *
 * @example formatSize(1536) // "1.5 KiB"; formatSize(512 * 1024 ** 2) // "512 MiB"
 */
export function formatSize(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
