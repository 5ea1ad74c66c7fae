/**
 * A token bucket: at most `rate` acquisitions a second on average, bursts of up to `burst`.
 * Waiters are served in order, so a busy repository cannot starve the others.
 *
 * @example const bucket = new TokenBucket(20); await bucket.take(); // before each request
 */
export class TokenBucket {
  readonly rate: number;
  readonly burst: number;
  #tokens: number;
  #last: number;
  #queue: Promise<void> = Promise.resolve();
  readonly #now: () => number;

  constructor(rate: number, burst = Math.max(1, Math.ceil(rate)), now: () => number = () => performance.now()) {
    this.rate = rate;
    this.burst = burst;
    this.#tokens = burst;
    this.#now = now;
    this.#last = now();
  }

  /** Waits for a token (rejects with the signal's reason when aborted). */
  take(signal?: AbortSignal): Promise<void> {
    const turn = this.#queue.then(() => this.#wait(signal));
    this.#queue = turn.catch(() => {});
    return turn;
  }

  async #wait(signal: AbortSignal | undefined): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      const now = this.#now();
      this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) / 1000) * this.rate);
      this.#last = now;
      if (this.#tokens >= 1) {
        this.#tokens -= 1;
        return;
      }
      const ms = ((1 - this.#tokens) / this.rate) * 1000;
      await new Promise<void>((done, fail) => {
        const onAbort = () => {
          clearTimeout(timer);
          fail(signal?.reason);
        };
        const timer = setTimeout(() => {
          signal?.removeEventListener("abort", onAbort);
          done();
        }, ms);
        signal?.addEventListener("abort", onAbort, { once: true });
      });
    }
  }
}
