import type { TransferObserver } from "../client/observe.ts";
import { NotFoundError } from "../errors/index.ts";
import { parsePlatform } from "../bundle/images/platform.ts";
import { ruleOptions, type SyncConfig } from "./config.ts";
import type { RegistryPool } from "./connections.ts";
import { tagPredicate } from "./filter.ts";
import { Follower } from "./follow.ts";
import { syncGroup, type GroupContext } from "./group.ts";
import { label, mapRepository, ruleContext, sourceRepository, type RuleContext, type SyncItem } from "./items.ts";
import { describeFailure, type PassReport, type RepositoryReport } from "./report.ts";
import type { SyncState } from "./state.ts";
import { interruption, type Stopper } from "./stop.ts";

export interface PassOptions {
  pool: RegistryPool;
  state: SyncState;
  stop: Stopper;
  dryRun?: boolean;
  observer?: TransferObserver;
  /** Called with each repository's report as soon as it is done (progress). */
  onRepository?: (report: RepositoryReport) => void;
}

/**
 * One sync pass: every repository of every rule, one after the other, then what
 * `followDeps`/`includeImages` added. Each repository's tags are listed and filtered, and the
 * selected ones synced (see syncGroup). A repository that fails (unreachable, no such
 * repository, refused credentials) is reported and the pass goes on. A stop request ends the
 * pass after the transfers under way.
 *
 * @example const report = await runPass(config, 1, { pool, state, stop });
 */
export async function runPass(config: SyncConfig, pass: number, options: PassOptions): Promise<PassReport> {
  const started = new Date();
  const follower = new Follower(options.pool, options.state);
  const report: PassReport = { pass, started: started.toISOString(), seconds: 0, dryRun: options.dryRun ?? false, repositories: [], requests: {}, notes: [], interrupted: false };
  const done = (r: RepositoryReport) => {
    report.repositories.push(r);
    if (r.interrupted) report.interrupted = true;
    options.onRepository?.(r);
  };
  const synced = new Set<string>();
  for (const rule of config.sync) {
    const opts = ruleOptions(config, rule);
    const ctx = ruleContext(rule, opts, opts.platform ? parsePlatform(opts.platform) : undefined);
    for (const name of rule.repositories) {
      if (options.stop.draining.aborted) break;
      const source = sourceRepository(ctx, name);
      const target = mapRepository(ctx, source.registry, source.repository);
      done(await syncListed(ctx, source, target, follower, synced, options));
    }
  }
  if (!options.stop.draining.aborted) {
    const { items: extra, failures } = await follower.expand();
    for (const f of failures) {
      done(await guarded(f.item, options, () => {
        throw f.error;
      }));
    }
    for (const items of groups(extra.filter((i) => !synced.has(key(i))))) {
      if (options.stop.draining.aborted) break;
      for (const i of items) synced.add(key(i));
      done(await guarded(items[0]!, options, () => syncGroupOf(items, options)));
    }
  }
  report.notes.push(...follower.notes);
  if (options.stop.draining.aborted) report.interrupted = true;
  report.requests = options.pool.takeCounts();
  report.seconds = (Date.now() - started.getTime()) / 1000;
  if (!report.dryRun) await options.state.save();
  return report;
}

/** One listed repository: its tags, filtered, synced. */
async function syncListed(
  ctx: RuleContext,
  source: { registry: string; repository: string },
  target: { registry: string; repository: string },
  follower: Follower,
  synced: Set<string>,
  options: PassOptions,
): Promise<RepositoryReport> {
  const base: SyncItem = { kind: "tag", rule: ctx, source, target, reference: "", tag: undefined };
  return guarded(base, options, async () => {
    const repo = (await options.pool.registry(source.registry)).repository(source.repository);
    const keep = tagPredicate(ctx.rule.tags);
    const items: SyncItem[] = [];
    try {
      for await (const tag of repo.tags()) if (keep(tag)) items.push({ ...base, reference: tag, tag });
    } catch (error) {
      if (error instanceof NotFoundError) throw new NotFoundError(`${label(source)} does not exist (or lists no tags)`, { cause: error });
      throw error;
    }
    if (items.length === 0) return emptyReport(base);
    for (const i of items) synced.add(key(i));
    return syncGroupOf(items, options, (item, desc) => follower.observe(item, desc));
  });
}

async function syncGroupOf(items: SyncItem[], options: PassOptions, onResolved?: GroupContext["onResolved"]): Promise<RepositoryReport> {
  const first = items[0]!;
  const ctx: GroupContext = {
    source: (await options.pool.registry(first.source.registry)).repository(first.source.repository),
    target: (await options.pool.registry(first.target.registry)).repository(first.target.repository),
    state: options.state,
    stop: options.stop,
    dryRun: options.dryRun ?? false,
    ...(options.observer ? { observer: options.observer } : {}),
    ...(onResolved ? { onResolved } : {}),
  };
  return syncGroup(items, ctx);
}

/** Runs a repository's work; a failure of the whole repository becomes its report. */
async function guarded(item: SyncItem, options: PassOptions, work: () => Promise<RepositoryReport>): Promise<RepositoryReport> {
  try {
    return await work();
  } catch (error) {
    const report = emptyReport(item);
    if (interruption(error)) report.interrupted = true;
    else {
      report.failed = 1;
      report.errors.push(describeFailure(error));
    }
    return report;
  }
}

function emptyReport(item: SyncItem): RepositoryReport {
  return { kind: item.kind, source: label(item.source), target: label(item.target), copied: 0, skipped: 0, failed: 0, blobs: { copied: 0, skipped: 0, mounted: 0 }, bytes: 0, errors: [], interrupted: false };
}

/** Items by source and target repository, in first-seen order, each item once. */
function groups(items: readonly SyncItem[]): SyncItem[][] {
  const out = new Map<string, SyncItem[]>();
  const seen = new Set<string>();
  for (const item of items) {
    if (seen.has(key(item))) continue;
    seen.add(key(item));
    const k = `${item.kind} ${label(item.source)} ${label(item.target)}`;
    out.set(k, [...(out.get(k) ?? []), item]);
  }
  return [...out.values()];
}

function key(item: SyncItem): string {
  return `${label(item.target)}:${item.tag ?? item.reference}`;
}
