/**
 * Registry-to-registry replication: rules from `sync.yaml`, run once or on a schedule, through
 * the copy engine `idp copy` uses, following package dependencies when asked.
 *
 * @example
 * const config = await loadSyncConfig("sync.yaml");
 * const stop = new Stopper();
 * await runSync(config, { schedule: scheduleFrom({}, config), stop, onPass: (r) => console.log(formatPass(r)) });
 */
export { loadSyncConfig, parseSyncConfig, ruleOptions, SyncConfigSchema, type SyncConfig, type SyncRule, type TagFilter } from "./config.ts";
export { nextCron, parseCron, type Cron } from "./cron.ts";
export { tagPredicate } from "./filter.ts";
export { runPass, type PassOptions } from "./pass.ts";
export { TokenBucket } from "./rate.ts";
export { formatPass, totals, type PassReport, type RepositoryReport } from "./report.ts";
export { runSync, type SyncRunOptions } from "./run.ts";
export { nextPassAt, parseDuration, scheduleFrom, type Schedule } from "./schedule.ts";
export { SyncState } from "./state.ts";
export { Stopper, interruption } from "./stop.ts";
