import { InvalidInputError } from "../errors/index.ts";
import { nextCron, parseCron } from "./cron.ts";

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Milliseconds in a duration such as `30s`, `15m`, `1h30m` or `2d` (a bare number is seconds).
 *
 * @example parseDuration("1h30m") // 5400000
 */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== trimmed) {
    throw new InvalidInputError(`${JSON.stringify(text)} is not a duration`, { hint: "write e.g. 30s, 15m, 1h or 1h30m" });
  }
  const ms = parts.reduce((sum, p) => sum + Number(p[1]) * UNITS[p[2]!]!, 0);
  if (ms < 1000) throw new InvalidInputError(`${JSON.stringify(text)} is shorter than a second`);
  return ms;
}

/** When passes run: once, every `ms`, or on a cron schedule. */
export type Schedule = { kind: "once" } | { kind: "interval"; ms: number; text: string } | { kind: "cron"; expression: string };

/**
 * The schedule from the command line (which wins) and the config.
 *
 * @example scheduleFrom({ interval: "10m" }, {}) // { kind: "interval", ms: 600000, text: "10m" }
 */
export function scheduleFrom(flags: { once?: boolean; interval?: string; cron?: string }, config: { interval?: string | undefined; cron?: string | undefined }): Schedule {
  if (flags.once) return { kind: "once" };
  if (flags.interval !== undefined && flags.cron !== undefined) throw new InvalidInputError("give --interval or --cron, not both");
  const interval = flags.interval ?? (flags.cron === undefined ? config.interval : undefined);
  const cron = flags.cron ?? (flags.interval === undefined ? config.cron : undefined);
  if (interval !== undefined) return { kind: "interval", ms: parseDuration(interval), text: interval };
  if (cron !== undefined) {
    parseCron(cron);
    return { kind: "cron", expression: cron };
  }
  return { kind: "once" };
}

/**
 * When the next pass starts, given when the last one started and ended; undefined for once.
 * An interval counts from the start of the last pass (a pass longer than the interval is
 * followed at once by the next).
 *
 * @example nextPassAt({ kind: "interval", ms: 60_000, text: "1m" }, start, end) // start + 1 minute
 */
export function nextPassAt(schedule: Schedule, lastStart: Date, lastEnd: Date): Date | undefined {
  if (schedule.kind === "once") return undefined;
  if (schedule.kind === "interval") return new Date(Math.max(lastStart.getTime() + schedule.ms, lastEnd.getTime()));
  return nextCron(parseCron(schedule.expression), lastEnd);
}
