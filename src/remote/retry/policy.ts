import * as v from "valibot";
import { readOciEnv } from "../../config/env.ts";
import { InvalidInputError } from "../../errors/index.ts";

/**
 * How the remote client retries and when it gives up: plain data, so a caller (CLI flags, a
 * config file, a test) states the policy instead of subclassing anything.
 *
 * `timeoutMs` is an idle timeout: a request is abandoned when no response arrives, or no byte
 * moves in either direction, for that long. A total deadline would cut off a slow but healthy
 * multi-GiB transfer, which is exactly what retries and resumes are meant to rescue.
 */
export interface RetryPolicy {
  /** Retries after the first attempt (0: try once). */
  retries: number;
  /** Idle timeout in milliseconds. */
  timeoutMs: number;
  /** First backoff step; doubled per retry. */
  baseDelayMs: number;
  /** Cap of one backoff step, and of any Retry-After the registry asks for. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  retries: 3,
  timeoutMs: 300_000,
  baseDelayMs: 200,
  maxDelayMs: 30_000,
};

const Count = v.pipe(v.string(), v.trim(), v.digits("must be a whole number"), v.transform(Number), v.safeInteger());

/**
 * The policy the environment asks for: `IDP_OCI_RETRY_COUNT` (retries, default 3) and
 * `IDP_OCI_TIMEOUT` (seconds, default 300), or their `IDPBUILDER_OCI_*` spellings, over the
 * defaults, under `overrides`.
 *
 * @example retryPolicy(process.env, { retries: 0 }) // one attempt, env timeout
 */
export function retryPolicy(env: Record<string, string | undefined> = process.env, overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  const policy = { ...DEFAULT_RETRY_POLICY };
  // The IDPBUILDER_OCI_* spellings count too (src/config/env.ts has the table).
  const count = readOciEnv(env, "IDP_OCI_RETRY_COUNT");
  if (count) policy.retries = parseEnv(count.name, count.value);
  const timeout = readOciEnv(env, "IDP_OCI_TIMEOUT");
  if (timeout) {
    const seconds = parseEnv(timeout.name, timeout.value);
    if (seconds === 0) throw new InvalidInputError(`${timeout.name} must be at least 1 (seconds)`);
    policy.timeoutMs = seconds * 1000;
  }
  for (const [key, value] of Object.entries(overrides) as [keyof RetryPolicy, number | undefined][]) {
    if (value !== undefined) policy[key] = value;
  }
  return policy;
}

function parseEnv(name: string, value: string): number {
  const parsed = v.safeParse(Count, value);
  if (!parsed.success) throw new InvalidInputError(`${name}=${JSON.stringify(value.slice(0, 20))} is not a whole number`);
  return parsed.output;
}

/**
 * The wait before retry number `attempt` (1-based): "full jitter" exponential backoff, a
 * random point in [0, min(max, base·2^(attempt-1))], so many clients hitting one overloaded
 * registry spread out instead of retrying in lockstep. A Retry-After the registry sent wins
 * when it is longer (capped at `maxDelayMs`).
 */
export function backoffDelay(policy: RetryPolicy, attempt: number, retryAfterMs?: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  const jittered = Math.floor(random() * ceiling);
  if (retryAfterMs === undefined) return jittered;
  return Math.min(policy.maxDelayMs, Math.max(jittered, retryAfterMs));
}

/**
 * Milliseconds a `Retry-After` header asks to wait: delta-seconds or an HTTP date.
 * Undefined when absent or unreadable.
 *
 * @example parseRetryAfter("2") // 2000
 */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d{1,9}$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** Statuses worth retrying: throttling and server-side failures that may pass. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 408 || (status >= 500 && status !== 501 && status !== 505);
}
