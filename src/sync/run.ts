import type { TransferObserver } from "../client/observe.ts";
import type { RemoteOptions } from "../remote/index.ts";
import type { SyncConfig } from "./config.ts";
import { RegistryPool } from "./connections.ts";
import { runPass } from "./pass.ts";
import type { PassReport, RepositoryReport } from "./report.ts";
import { nextPassAt, type Schedule } from "./schedule.ts";
import { SyncState } from "./state.ts";
import type { Stopper } from "./stop.ts";

export interface SyncRunOptions {
  schedule: Schedule;
  stop: Stopper;
  /** Transport options for every registry, under each registry's settings in the config. */
  remote?: RemoteOptions;
  dryRun?: boolean;
  observer?: TransferObserver;
  onRepository?: (report: RepositoryReport) => void;
  /** Each pass's report as soon as it ends. */
  onPass: (report: PassReport) => void;
  /** Told when the next pass will start (continuous runs). */
  onWait?: (next: Date) => void;
}

/**
 * Runs sync passes: one, or one per interval or cron tick until stopped. Passes never
 * overlap; a stop request while waiting ends the run at once, during a pass after the
 * transfers under way. Returns every pass's report (the last one says whether it was
 * interrupted).
 *
 * @example const reports = await runSync(config, { schedule: { kind: "once" }, stop, onPass: print });
 */
export async function runSync(config: SyncConfig, options: SyncRunOptions): Promise<PassReport[]> {
  const state = await SyncState.load(options.dryRun ? undefined : config.state);
  const pool = new RegistryPool(options.remote ?? {}, config.registries ?? {}, options.stop.signal);
  const reports: PassReport[] = [];
  for (let pass = 1; ; pass++) {
    const started = new Date();
    const report = await runPass(config, pass, {
      pool,
      state,
      stop: options.stop,
      dryRun: options.dryRun ?? false,
      ...(options.observer ? { observer: options.observer } : {}),
      ...(options.onRepository ? { onRepository: options.onRepository } : {}),
    });
    reports.push(report);
    options.onPass(report);
    if (report.interrupted || options.stop.draining.aborted) return reports;
    const next = nextPassAt(options.schedule, started, new Date());
    if (!next) return reports;
    options.onWait?.(next);
    if (!(await sleepUntil(next, options.stop.draining))) return reports;
  }
}

/** Waits until `when`; false when `signal` fired first. */
async function sleepUntil(when: Date, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  return new Promise<boolean>((done) => {
    const onAbort = () => {
      clearTimeout(timer);
      done(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      done(true);
    }, Math.max(0, when.getTime() - Date.now()));
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
