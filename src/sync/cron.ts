import { InvalidInputError } from "../errors/index.ts";

/**
 * Cron expressions, the five-field form (`minute hour day-of-month month day-of-week`), in
 * UTC: `*`, values, ranges (`1-5`), lists (`1,15`), steps (`*\/15`, `0-30/10`), month and day
 * names (`jan`, `mon`), and the `@hourly`, `@daily`, `@weekly`, `@monthly`, `@yearly` shorthands.
 * As in Vixie cron, when both day fields are restricted a day matching either one runs.
 */

export interface Cron {
  minutes: Set<number>;
  hours: Set<number>;
  days: Set<number>;
  months: Set<number>;
  weekdays: Set<number>;
  /** Whether the day-of-month and day-of-week fields were `*`. */
  anyDay: boolean;
  anyWeekday: boolean;
}

const SHORTHANDS: Record<string, string> = {
  "@hourly": "0 * * * *",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@weekly": "0 0 * * 0",
  "@monthly": "0 0 1 * *",
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
};
const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/**
 * Parses a cron expression; InvalidInputError says which field is wrong.
 *
 * @example parseCron("*\/15 8-18 * * mon-fri")
 */
export function parseCron(expression: string): Cron {
  const text = SHORTHANDS[expression.trim().toLowerCase()] ?? expression.trim();
  const fields = text.split(/\s+/);
  if (fields.length !== 5) throw new InvalidInputError(`cron expression ${JSON.stringify(expression)} has ${fields.length} fields, not 5 (minute hour day-of-month month day-of-week)`);
  const [minute, hour, day, month, weekday] = fields as [string, string, string, string, string];
  const weekdays = field(weekday, 0, 7, "day-of-week", WEEKDAYS);
  // 7 is Sunday too.
  if (weekdays.delete(7)) weekdays.add(0);
  return {
    minutes: field(minute, 0, 59, "minute"),
    hours: field(hour, 0, 23, "hour"),
    days: field(day, 1, 31, "day-of-month"),
    months: field(month, 1, 12, "month", MONTHS, 1),
    weekdays,
    anyDay: day === "*" || day === "?",
    anyWeekday: weekday === "*" || weekday === "?",
  };
}

function field(text: string, min: number, max: number, name: string, names: string[] = [], base = 0): Set<number> {
  const out = new Set<number>();
  const value = (s: string): number => {
    const named = names.indexOf(s.toLowerCase());
    const n = named !== -1 ? named + base : /^\d+$/.test(s) ? Number(s) : NaN;
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidInputError(`cron ${name} field: ${JSON.stringify(s)} is not a value from ${min} to ${max}`);
    return n;
  };
  for (const part of text.split(",")) {
    const [range, stepText] = part.split("/") as [string, string | undefined];
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new InvalidInputError(`cron ${name} field: bad step in ${JSON.stringify(part)}`);
    let lo: number;
    let hi: number;
    if (range === "*" || range === "?") [lo, hi] = [min, max];
    else if (range.includes("-")) {
      const [a, b] = range.split("-") as [string, string];
      [lo, hi] = [value(a), value(b)];
      if (lo > hi) throw new InvalidInputError(`cron ${name} field: range ${JSON.stringify(range)} runs backwards`);
    } else {
      lo = value(range);
      hi = stepText === undefined ? lo : max;
    }
    for (let n = lo; n <= hi; n += step) out.add(n);
  }
  return out;
}

/**
 * The first time strictly after `after` that `cron` matches (UTC, to the minute).
 *
 * @example nextCron(parseCron("0 3 * * *"), new Date("2025-01-01T04:00:00Z")) // 2025-01-02T03:00:00Z
 */
export function nextCron(cron: Cron, after: Date): Date {
  const t = new Date(after.getTime());
  t.setUTCSeconds(0, 0);
  t.setUTCMinutes(t.getUTCMinutes() + 1);
  // Five years covers every satisfiable expression (29 February on a given weekday included).
  const limit = after.getTime() + 5 * 366 * 86_400_000;
  while (t.getTime() <= limit) {
    if (!cron.months.has(t.getUTCMonth() + 1)) {
      t.setUTCMonth(t.getUTCMonth() + 1, 1);
      t.setUTCHours(0, 0);
      continue;
    }
    if (!dayMatches(cron, t)) {
      t.setUTCDate(t.getUTCDate() + 1);
      t.setUTCHours(0, 0);
      continue;
    }
    if (!cron.hours.has(t.getUTCHours())) {
      t.setUTCHours(t.getUTCHours() + 1, 0);
      continue;
    }
    if (!cron.minutes.has(t.getUTCMinutes())) {
      t.setUTCMinutes(t.getUTCMinutes() + 1);
      continue;
    }
    return t;
  }
  throw new InvalidInputError("the cron expression never matches (a day that does not exist?)");
}

function dayMatches(cron: Cron, t: Date): boolean {
  const dom = cron.days.has(t.getUTCDate());
  const dow = cron.weekdays.has(t.getUTCDay());
  if (cron.anyDay && cron.anyWeekday) return true;
  if (cron.anyDay) return dow;
  if (cron.anyWeekday) return dom;
  return dom || dow;
}
