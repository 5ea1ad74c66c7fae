import { parseDestination } from "../bundle/destination.ts";
import { openRegistry, type RemoteOptions, type RemoteRegistry } from "../remote/index.ts";
import type { RegistrySettings } from "./config.ts";
import { TokenBucket } from "./rate.ts";

/**
 * One client per registry host for a whole sync run (one auth state, one connection pool),
 * with that host's settings from the config over the command line's, its rate limit applied
 * to every request, and its requests counted (what a pass costs is part of its report).
 *
 * @example const registry = await pool.registry("ghcr.io"); const repo = registry.repository("team/app");
 */
export class RegistryPool {
  readonly #base: RemoteOptions;
  readonly #settings: Record<string, RegistrySettings>;
  readonly #signal: AbortSignal | undefined;
  readonly #registries = new Map<string, Promise<RemoteRegistry>>();
  readonly #counts = new Map<string, number>();

  constructor(base: RemoteOptions, settings: Record<string, RegistrySettings> = {}, signal?: AbortSignal) {
    this.#base = base;
    this.#signal = signal;
    this.#settings = Object.fromEntries(Object.entries(settings).map(([host, s]) => [parseDestination(host).registry, s]));
  }

  registry(host: string): Promise<RemoteRegistry> {
    let registry = this.#registries.get(host);
    if (!registry) {
      registry = openRegistry(host, this.#options(host));
      this.#registries.set(host, registry);
    }
    return registry;
  }

  /** Requests sent to each host since the last call, and resets the counts. */
  takeCounts(): Record<string, number> {
    const out = Object.fromEntries([...this.#counts].sort());
    this.#counts.clear();
    return out;
  }

  #options(host: string): RemoteOptions {
    const s = this.#settings[host] ?? {};
    const bucket = s.rateLimit ? new TokenBucket(s.rateLimit) : undefined;
    const signal = this.#signal;
    const options: RemoteOptions = {
      ...this.#base,
      onRequest: async () => {
        if (bucket) await bucket.take(signal);
        this.#counts.set(host, (this.#counts.get(host) ?? 0) + 1);
      },
    };
    if (s.plainHttp !== undefined) options.plainHttp = s.plainHttp;
    if (s.insecure !== undefined) options.insecure = s.insecure;
    if (s.caFile !== undefined) options.caFile = s.caFile;
    if (s.retries !== undefined) options.retries = s.retries;
    return options;
  }
}
