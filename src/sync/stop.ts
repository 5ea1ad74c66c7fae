import type { Storage } from "../content/types.ts";
import { CopyError, InterruptedError } from "../errors/index.ts";

/**
 * A clean stop for long transfers (sync passes, bundle create and import). The first request
 * to stop *drains*: transfers under way finish, no new blob or manifest starts; a second one
 * *aborts* the transfers under way too (every store makes nothing partial visible, so this is
 * clean as well, only wasteful). `listen()` wires SIGINT and SIGTERM to it.
 *
 * @example
 * const stop = new Stopper();
 * const off = stop.listen((m) => console.error(m));
 * await copy(src, "v1", stop.guard(dst), "v1", { signal: stop.signal });
 */
export class Stopper {
  readonly #drain = new AbortController();
  readonly #abort = new AbortController();
  #active = 0;
  #idle: (() => void)[] = [];

  /** Aborted on the second stop request (pass it to copy). */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** Aborted on the first stop request: start nothing new. */
  get draining(): AbortSignal {
    return this.#drain.signal;
  }

  /** Asks to stop: drain first, abort when asked again. */
  stop(reason = "stopped"): void {
    const error = new InterruptedError(`interrupted (${reason})`, { hint: "run the same command again to continue where it stopped" });
    if (!this.#drain.signal.aborted) this.#drain.abort(error);
    else this.#abort.abort(error);
  }

  /** Calls stop() on SIGINT and SIGTERM, saying what happens; returns the function that unhooks them. */
  listen(say: (message: string) => void): () => void {
    const on = (signal: NodeJS.Signals) => () => {
      say(this.#drain.signal.aborted ? `${signal}: aborting the transfers under way` : `${signal}: finishing the transfers under way, then stopping (again to abort them)`);
      this.stop(signal);
    };
    const int = on("SIGINT");
    const term = on("SIGTERM");
    process.on("SIGINT", int);
    process.on("SIGTERM", term);
    return () => {
      process.off("SIGINT", int);
      process.off("SIGTERM", term);
    };
  }

  /**
   * `dst` with its writes counted: once draining, a new write waits until the writes under way
   * have finished and then fails with InterruptedError, so the copy ends between blobs.
   */
  guard<T extends Storage>(dst: T): T {
    const writes = new Set(["push", "pushManifest", "mount", "tag"]);
    return new Proxy(dst, {
      get: (target, key) => {
        const value = Reflect.get(target, key, target) as unknown;
        if (typeof value !== "function") return value;
        if (typeof key !== "string" || !writes.has(key)) return (value as (...a: unknown[]) => unknown).bind(target);
        return async (...args: unknown[]) => {
          await this.#enter();
          try {
            return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          } finally {
            this.#leave();
          }
        };
      },
    });
  }

  /** Throws the stop reason once draining; called between items (tags, roots). */
  check(): void {
    if (this.#drain.signal.aborted) throw this.#drain.signal.reason;
  }

  async #enter(): Promise<void> {
    if (this.#drain.signal.aborted) {
      while (this.#active > 0) await new Promise<void>((done) => this.#idle.push(done));
      throw this.#drain.signal.reason;
    }
    this.#active++;
  }

  #leave(): void {
    this.#active--;
    if (this.#active === 0) for (const done of this.#idle.splice(0)) done();
  }
}

/**
 * The InterruptedError behind a failure (a copy wraps it in a CopyError), if that is what it was.
 *
 * @example catch (error) { if (interruption(error)) report.interrupted = true; else throw error; }
 */
export function interruption(error: unknown): InterruptedError | undefined {
  if (error instanceof InterruptedError) return error;
  if (error instanceof CopyError && error.cause instanceof InterruptedError) return error.cause;
  if (error instanceof Error && error.cause instanceof InterruptedError) return error.cause;
  return undefined;
}
