import type { ServeConfig } from "../config.ts";
import type { RegistryStore } from "../storage/store.ts";
import { collectRepository, type GcRun } from "./collect.ts";
import { purgeUploads, sweepContent } from "./content.ts";
import { acquireGcLock } from "./lock.ts";
import { compileRules } from "./plan.ts";
import { emptyReport, type GcReport } from "./report.ts";

/** How one gc run behaves; the config's `gc` section, possibly overridden by flags. */
export interface GcOptions {
  dryRun: boolean;
  deleteUntagged: boolean;
  graceMs: number;
  uploadsMaxAgeMs: number;
  retention: ServeConfig["gc"]["retention"];
  referrers: ServeConfig["gc"]["referrers"];
  /** Aborting stops the run between repositories (server shutdown). */
  signal?: AbortSignal;
}

/**
 * The gc options a config asks for.
 *
 * @example gcOptionsOf(config.gc, { dryRun: true })
 */
export function gcOptionsOf(gc: ServeConfig["gc"], overrides: Partial<GcOptions> = {}): GcOptions {
  return {
    dryRun: false,
    deleteUntagged: gc.deleteUntagged,
    graceMs: gc.grace,
    uploadsMaxAgeMs: gc.uploadsMaxAge,
    retention: gc.retention,
    referrers: gc.referrers,
    ...overrides,
  };
}

/**
 * Garbage collection over a store, without stopping it: every repository (collect.ts), then
 * the content store, then abandoned uploads. Holds the root's gc lock throughout (GcBusyError
 * when another gc runs). Run it where the store's locks are: in the server process, or with
 * no server on the root (registry/gc/control.ts arranges which).
 *
 * @example const report = await runGc(store, gcOptionsOf(config.gc, { dryRun: true }));
 */
export async function runGc(store: RegistryStore, options: GcOptions): Promise<GcReport> {
  const release = await acquireGcLock(store.driver);
  try {
    return await collect(store, options);
  } finally {
    await release();
  }
}

/**
 * runGc without taking the gc lock: for a caller that holds it already.
 *
 * @example const report = await collect(store, options); // the caller holds the gc lock
 */
export async function collect(store: RegistryStore, options: GcOptions): Promise<GcReport> {
  const started = Date.now();
  const run: GcRun = {
    store,
    rules: compileRules({ deleteUntagged: options.deleteUntagged, retention: options.retention, referrers: options.referrers }),
    cutoffMs: started - options.graceMs,
    dryRun: options.dryRun,
    report: emptyReport(options.dryRun),
    unlinked: new Map(),
  };
  let last: string | undefined;
  for (;;) {
    const page = await store.catalog(1000, last);
    for (const repo of page.items) {
      if (options.signal?.aborted) {
        run.report.aborted = true;
        break;
      }
      await collectRepository(run, repo);
    }
    if (run.report.aborted || page.next === undefined) break;
    last = page.next;
  }
  if (!run.report.aborted) {
    await sweepContent(run);
    await purgeUploads(run, options.uploadsMaxAgeMs, started);
  }
  run.report.durationMs = Date.now() - started;
  return run.report;
}
