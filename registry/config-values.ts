import * as v from "valibot";

/**
 * Value schemas shared by the fields of registry/config.ts. Flags, environment variables and
 * YAML all arrive here, so each accepts the spellings those sources produce: an environment
 * variable is always a string, a YAML duration may be a number of seconds.
 */

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * Parses `90s`, `15m`, `1h30m`, `7d`, `250ms` or a bare number of seconds into milliseconds;
 * undefined when malformed.
 *
 * @example parseDuration("1h30m") // 5_400_000
 */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? value * 1000 : undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  if (!/^(\d+(ms|s|m|h|d))+$/.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+)(ms|s|m|h|d)/g)) total += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  return total;
}

/**
 * Formats milliseconds the way a person writes a duration: `1h30m`, `45s`, `0s`.
 *
 * @example formatDuration(5_400_000) // "1h30m"
 */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  let rest = Math.round(ms);
  let out = "";
  for (const unit of ["d", "h", "m", "s"] as const) {
    const size = UNIT_MS[unit];
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return rest > 0 ? `${out}${rest}ms` : out;
}

/**
 * A duration in milliseconds, written as `30s`, `15m`, `24h`, `7d` or a number of seconds.
 *
 * @example v.parse(Duration, "90s") // 90000
 */
export const Duration = v.pipe(
  v.union([v.number(), v.string()], "must be a duration such as 30s, 15m, 24h or 7d"),
  v.check((value) => parseDuration(value) !== undefined, "must be a duration such as 30s, 15m, 24h or 7d"),
  v.transform((value) => parseDuration(value)!),
);

/**
 * A duration between `min` and `max` milliseconds.
 *
 * @example v.parse(DurationBetween(1000, 60_000), "2m") // throws: must be between 1s and 1m
 */
export function DurationBetween(min: number, max: number) {
  return v.pipe(
    Duration,
    v.check((ms) => ms >= min && ms <= max, `must be between ${formatDuration(min)} and ${formatDuration(max)}`),
  );
}

const TRUE = ["true", "1", "yes", "on"];
const FALSE = ["false", "0", "no", "off"];

/**
 * A boolean, also written `true/false`, `1/0`, `yes/no` or `on/off` (environment variables).
 *
 * @example v.parse(Switch, "yes") // true
 */
export const Switch = v.pipe(
  v.union([v.boolean(), v.picklist([...TRUE, ...FALSE])], "must be true or false"),
  v.transform((value) => (typeof value === "boolean" ? value : TRUE.includes(value))),
);

/**
 * A non-empty string such as a file path.
 *
 * @example v.parse(NonEmpty, "/etc/idp/htpasswd")
 */
export const NonEmpty = v.pipe(v.string(), v.minLength(1, "must not be empty"));

/**
 * A repository glob: `*` matches within one path segment, `**` across segments, anything else
 * literally (`team-a/*`, `mirror/**`, `**`).
 *
 * @example v.parse(Glob, "team/**")
 */
export const Glob = v.pipe(
  v.string(),
  v.minLength(1, "must not be empty"),
  v.regex(/^[a-z0-9._\-/*]+$/, "may contain only lower-case letters, digits, . _ - / and *"),
);
