/**
 * A token bucket per key (a client address): `capacity` requests at once, refilled evenly over
 * `periodMs`. Memory is bounded: past `maxKeys` the fullest (longest idle) buckets are dropped
 * first, which forgets only clients that would be allowed anyway.
 *
 * @example
 * const limiter = new RateLimiter({ capacity: 30, periodMs: 60_000 });
 * const verdict = limiter.take("10.0.0.7");
 * if (!verdict.ok) return tooMany(verdict.retryAfterSeconds);
 */
export class RateLimiter {
  readonly capacity: number;
  readonly periodMs: number;
  #buckets = new Map<string, { tokens: number; at: number }>();
  #maxKeys: number;

  constructor(options: { capacity: number; periodMs: number; maxKeys?: number }) {
    this.capacity = options.capacity;
    this.periodMs = options.periodMs;
    this.#maxKeys = options.maxKeys ?? 10_000;
  }

  /** Spends one request for `key`; says how long to wait when none is left. */
  take(key: string, now = Date.now()): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const perMs = this.capacity / this.periodMs;
    const bucket = this.#buckets.get(key);
    let tokens = bucket ? Math.min(this.capacity, bucket.tokens + (now - bucket.at) * perMs) : this.capacity;
    if (tokens < 1) {
      this.#buckets.set(key, { tokens, at: now });
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / perMs / 1000)) };
    }
    tokens -= 1;
    if (!bucket && this.#buckets.size >= this.#maxKeys) this.#evict(now, perMs);
    this.#buckets.delete(key);
    this.#buckets.set(key, { tokens, at: now });
    return { ok: true };
  }

  /** Whether `key` has a request left, without spending it. */
  peek(key: string, now = Date.now()): boolean {
    const bucket = this.#buckets.get(key);
    if (!bucket) return true;
    return bucket.tokens + (now - bucket.at) * (this.capacity / this.periodMs) >= 1;
  }

  #evict(now: number, perMs: number): void {
    for (const [key, b] of this.#buckets) {
      if (b.tokens + (now - b.at) * perMs >= this.capacity) this.#buckets.delete(key);
    }
    // Still full: drop the least recently used tenth (Map order is insertion order, refreshed on use).
    if (this.#buckets.size >= this.#maxKeys) {
      let drop = Math.ceil(this.#maxKeys / 10);
      for (const key of this.#buckets.keys()) {
        if (drop-- <= 0) break;
        this.#buckets.delete(key);
      }
    }
  }
}
