import { choosePlatform } from "../bundle/images/platform.ts";
import { observingHooks, type TransferObserver } from "../client/observe.ts";
import { runCopy } from "../client/copy.ts";
import { copyGraph } from "../copy/index.ts";
import { limiter } from "../copy/limit.ts";
import { NotFoundError } from "../errors/index.ts";
import type { Descriptor } from "../oci/schemas.ts";
import type { RemoteRepository } from "../remote/index.ts";
import { label, type SyncItem } from "./items.ts";
import { describeFailure, type RepositoryReport } from "./report.ts";
import type { SyncState } from "./state.ts";
import { interruption, type Stopper } from "./stop.ts";

/** What syncing a group needs from the pass. */
export interface GroupContext {
  source: RemoteRepository;
  target: RemoteRepository;
  state: SyncState;
  stop: Stopper;
  dryRun: boolean;
  observer?: TransferObserver;
  /** Each item's source digest once known (for following dependencies). */
  onResolved?: (item: SyncItem, desc: Descriptor) => Promise<void>;
}

/**
 * Syncs items that share a source and a target repository: the target's tags are listed once;
 * each item is resolved at the source (one HEAD) and skipped when the target tag holds that
 * digest already (known from the state while the target still lists the tag, else one HEAD
 * there), copied otherwise (through the same engine as `idp copy`, mounting across
 * repositories of one registry). At most `concurrency` items at once. A failing item is
 * counted and reported; it never stops the others.
 *
 * @example const report = await syncGroup(items, ctx);
 */
export async function syncGroup(items: readonly SyncItem[], ctx: GroupContext): Promise<RepositoryReport> {
  const first = items[0]!;
  const report: RepositoryReport = {
    kind: first.kind,
    source: label(first.source),
    target: label(first.target),
    copied: 0,
    skipped: 0,
    failed: 0,
    blobs: { copied: 0, skipped: 0, mounted: 0 },
    bytes: 0,
    errors: [],
    interrupted: false,
  };
  const listed = await targetTags(ctx.target);
  const known = ctx.state.target(report.target);
  for (const tag of Object.keys(known)) if (!tag.startsWith("@") && !listed.has(tag)) delete known[tag];
  const limit = limiter(first.rule.options.concurrency);
  await Promise.all(
    items.map((item) =>
      limit(async () => {
        try {
          ctx.stop.check();
          const outcome = await syncOne(item, ctx, listed, known);
          if (outcome.state === "skipped") report.skipped++;
          else report.copied++;
          report.blobs.copied += outcome.copied;
          report.blobs.skipped += outcome.skippedBlobs;
          report.blobs.mounted += outcome.mounted;
          report.bytes += outcome.bytes;
        } catch (error) {
          if (interruption(error)) {
            report.interrupted = true;
            return;
          }
          report.failed++;
          report.errors.push(`${item.reference}: ${describeFailure(error)}`);
        }
      }),
    ),
  );
  return report;
}

interface Outcome {
  state: "copied" | "skipped";
  copied: number;
  skippedBlobs: number;
  mounted: number;
  bytes: number;
}

async function syncOne(item: SyncItem, ctx: GroupContext, listed: Set<string>, known: Record<string, string>): Promise<Outcome> {
  const { source, target } = ctx;
  let desc = await source.resolve(item.digest ?? item.reference);
  const platform = item.rule.platform;
  if (item.kind === "image" && platform) {
    desc = (await choosePlatform(source, desc, platform, item.reference.includes(":"), `${label(item.source)}:${item.reference}`)).descriptor;
  }
  const key = item.tag ?? `@${desc.digest}`;
  const { fastCheck, referrers } = item.rule.options;
  const nothing = { copied: 0, skippedBlobs: 0, mounted: 0, bytes: 0 };
  if (await alreadyThere(item, desc, ctx, listed, known[key], fastCheck)) {
    known[key] = desc.digest;
    await ctx.onResolved?.(item, desc);
    if (!fastCheck && referrers && !ctx.dryRun) {
      // The manifest is there; referrers added since (a new signature) may not be.
      const { hooks, counts } = observingHooks(ctx.observer);
      await copyGraph(source, ctx.stop.guard(target), desc, { ...hooks, referrers: true, signal: ctx.stop.signal });
      return { state: counts.copied > 0 ? "copied" : "skipped", copied: counts.copied, skippedBlobs: counts.skipped, mounted: counts.mounted, bytes: counts.bytes };
    }
    return { state: "skipped", ...nothing };
  }
  if (ctx.dryRun) {
    await ctx.onResolved?.(item, desc);
    return { state: "copied", ...nothing };
  }
  const result = await runCopy(
    { ref: { kind: "registry", ...item.source, digest: desc.digest }, target: knowing(source, desc), label: `${label(item.source)}@${desc.digest}` },
    { ref: { kind: "registry", ...item.target, ...(item.tag ? { tag: item.tag } : { digest: desc.digest }) }, target: ctx.stop.guard(target), label: label(item.target) },
    { referrers, concurrency: 4, signal: ctx.stop.signal, ...(ctx.observer ? { observer: ctx.observer } : {}) },
  );
  known[key] = desc.digest;
  // After the copy: a package whose dependencies cannot be followed is still replicated itself.
  await ctx.onResolved?.(item, desc);
  return { state: "copied", copied: result.copied, skippedBlobs: result.skipped, mounted: result.mounted, bytes: result.bytes };
}

/** Whether the target holds `desc` under the item's tag (or at all, for a digest). */
async function alreadyThere(item: SyncItem, desc: Descriptor, ctx: GroupContext, listed: Set<string>, remembered: string | undefined, fastCheck: boolean): Promise<boolean> {
  if (item.tag === undefined) return (fastCheck && remembered === desc.digest) || (await ctx.target.exists(desc));
  if (!listed.has(item.tag)) return false;
  if (fastCheck && remembered === desc.digest) return true;
  try {
    return (await ctx.target.resolve(item.tag)).digest === desc.digest;
  } catch (error) {
    if (error instanceof NotFoundError) return false;
    throw error;
  }
}

/** `store`, answering `resolve` of the digest just resolved without asking the registry again. */
function knowing<T extends object & { resolve(reference: string): Promise<Descriptor> }>(store: T, desc: Descriptor): T {
  return new Proxy(store, {
    get(target, key) {
      if (key === "resolve") return (reference: string) => (reference === desc.digest ? Promise.resolve({ ...desc }) : target.resolve(reference));
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** The target's tags; a repository that does not exist yet has none. */
async function targetTags(target: RemoteRepository): Promise<Set<string>> {
  const out = new Set<string>();
  try {
    for await (const tag of target.tags()) out.add(tag);
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
  }
  return out;
}

