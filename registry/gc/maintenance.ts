import type { ServeConfig } from "../config.ts";
import type { AccessLog } from "../ops/log.ts";
import type { RegistryMetrics } from "../ops/metrics.ts";
import type { RegistryStore } from "../storage/store.ts";
import { purgeUploads } from "./content.ts";
import { GcBusyError } from "./lock.ts";
import { emptyReport, type GcReport } from "./report.ts";
import { gcOptionsOf, runGc, type GcOptions } from "./run.ts";

/** Longest pause between purges of abandoned uploads. */
const PURGE_EVERY_MS = 3_600_000;

/**
 * The server's housekeeping: gc every `gc.interval` (when set), abandoned uploads purged every
 * hour (or every half `gc.uploadsMaxAge` when that is shorter), and gc on request from
 * `idp registry gc` through the control socket. One gc at a time; stop() aborts a running gc
 * between repositories and waits for it.
 *
 * @example
 * const maintenance = new Maintenance({ store, gc: config.gc, metrics, log });
 * maintenance.start();
 * await maintenance.gc({ dryRun: true });
 */
export class Maintenance {
  #store: RegistryStore;
  #config: ServeConfig["gc"];
  #metrics: RegistryMetrics | undefined;
  #log: AccessLog | undefined;
  #onError: (error: unknown) => void;
  #timers: ReturnType<typeof setInterval>[] = [];
  #abort = new AbortController();
  #running: Promise<unknown> | undefined;

  constructor(options: {
    store: RegistryStore;
    gc: ServeConfig["gc"];
    metrics?: RegistryMetrics | undefined;
    log?: AccessLog | undefined;
    onError?: (error: unknown) => void;
  }) {
    this.#store = options.store;
    this.#config = options.gc;
    this.#metrics = options.metrics;
    this.#log = options.log;
    this.#onError = options.onError ?? ((error) => console.error(error));
  }

  start(): void {
    const purgeEvery = Math.min(PURGE_EVERY_MS, Math.max(60_000, this.#config.uploadsMaxAge / 2));
    this.#timers.push(setInterval(() => void this.purge().catch(this.#onError), purgeEvery));
    if (this.#config.interval > 0) {
      this.#timers.push(setInterval(() => void this.gc().catch((error) => error instanceof GcBusyError || this.#onError(error)), this.#config.interval));
    }
    for (const timer of this.#timers) timer.unref?.();
  }

  /** True while a gc runs in this server. */
  get busy(): boolean {
    return this.#running !== undefined;
  }

  /** Runs gc now with the configured rules, `overrides` on top. GcBusyError if one runs. */
  async gc(overrides: Partial<GcOptions> = {}): Promise<GcReport> {
    if (this.#running) throw new GcBusyError("gc is already running in this server");
    const work = runGc(this.#store, gcOptionsOf(this.#config, { ...overrides, signal: this.#abort.signal }));
    this.#running = work.catch(() => {});
    try {
      const report = await work;
      this.#metrics?.gcRuns.inc([report.dryRun ? "dry_run" : "ok"]);
      if (!report.dryRun) {
        this.#metrics?.gcFreed.inc([], report.bytesFreed);
        this.#metrics?.uploadsPurged.inc([], report.uploadsPurged);
      }
      this.#metrics?.gcLast.set([], Math.floor(Date.now() / 1000));
      this.#log?.event("gc finished", { ...report, deleted: undefined });
      return report;
    } catch (error) {
      this.#metrics?.gcRuns.inc(["failed"]);
      throw error;
    } finally {
      this.#running = undefined;
    }
  }

  /** Purges upload sessions idle longer than gc.uploadsMaxAge. */
  async purge(): Promise<number> {
    const run = { store: this.#store, dryRun: false, report: emptyReport(false) };
    await purgeUploads(run, this.#config.uploadsMaxAge);
    if (run.report.uploadsPurged > 0) {
      this.#metrics?.uploadsPurged.inc([], run.report.uploadsPurged);
      this.#log?.event("abandoned uploads purged", { count: run.report.uploadsPurged });
    }
    return run.report.uploadsPurged;
  }

  async stop(): Promise<void> {
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    this.#abort.abort();
    await this.#running;
  }
}
