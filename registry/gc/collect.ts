import { parseManifest } from "../../src/oci/manifest.ts";
import type { RegistryStore } from "../storage/store.ts";
import { repoBlobPath, repoDir } from "../storage/paths.ts";
import type { ManifestRecord } from "../storage/repo-index.ts";
import { liveContent, planRepository, type GcRules, type ManifestFacts, type Plan } from "./plan.ts";
import { noteDeleted, type GcReport } from "./report.ts";

/** One gc run's shared state. */
export interface GcRun {
  store: RegistryStore;
  rules: GcRules;
  /** Content used (linked, pushed, checked) after this, ms since the epoch, is spared. */
  cutoffMs: number;
  dryRun: boolean;
  report: GcReport;
  /** Repository links removed per digest (simulated in a dry run), for the content sweep. */
  unlinked: Map<string, number>;
}

interface Known {
  facts: Map<string, ManifestFacts | null>;
  usedMs: Map<string, number>;
  writtenMs: Map<string, number>;
}

/** Thrown inside an index update to leave the index unwritten. */
class NothingToDo extends Error {}

/**
 * Collects one repository in two steps, each re-decided under the repository's lock (the lock
 * every push and delete of that repository takes, so nothing interleaves with the decision):
 *
 * 1. Tags retention removes and manifests nothing live reaches leave the index; their bytes
 *    are unlinked from the repository right after the index is written.
 * 2. Blob links no remaining manifest names, and that were not used within the grace window,
 *    are unlinked. "Used" is the link's ctime: linking, re-pushing, mounting, and a client's
 *    HEAD all renew it, so a blob uploaded (or HEAD-checked) for a manifest not yet pushed
 *    survives until the manifest arrives or the window passes.
 *
 * The content store is swept afterwards (content.ts): a file there whose last repository link
 * went is deleted.
 *
 * @example for (const repo of repositories) await collectRepository(run, repo);
 */
export async function collectRepository(run: GcRun, repo: string): Promise<void> {
  const index = run.store.indexes;
  const state = await index.load(repo);
  if (!state) return;
  run.report.repositories++;
  const known: Known = { facts: new Map(), usedMs: new Map(), writtenMs: new Map() };
  await learn(run, repo, state.manifests, known);
  const planFor = (manifests: ReadonlyMap<string, ManifestRecord>, tags: ReadonlyMap<string, string>) =>
    planRepository({ repository: repo, manifests, tags, ...known }, run.rules, run.cutoffMs);
  let plan = planFor(state.manifests, state.tags);
  let remaining: Iterable<string> = state.manifests.keys();
  let stamp = state.stamp;

  if (plan.dropManifests.size > 0 || plan.dropTags.size > 0) {
    if (run.dryRun) {
      remaining = [...state.manifests.keys()].filter((d) => !plan.dropManifests.has(d));
      for (const digest of plan.dropManifests) count(run, digest, false);
    } else {
      try {
        await index.update(
          repo,
          async (draft) => {
            await learn(run, repo, draft.manifests, known);
            plan = planFor(draft.manifests, draft.tags);
            if (plan.dropManifests.size === 0 && plan.dropTags.size === 0) throw new NothingToDo();
            for (const [tag, digest] of plan.dropTags) if (draft.tags.get(tag) === digest) draft.tags.delete(tag);
            for (const digest of plan.dropManifests) draft.manifests.delete(digest);
          },
          async () => {
            for (const digest of plan.dropManifests) if (await run.store.driver.remove(repoBlobPath(repo, digest))) count(run, digest, false);
          },
        );
      } catch (error) {
        if (!(error instanceof NothingToDo)) throw error;
        plan = { dropTags: new Map(), dropManifests: new Set(), live: plan.live };
      }
      const after = await index.load(repo);
      remaining = after?.manifests.keys() ?? [];
      stamp = after?.stamp ?? "";
    }
    record(run, repo, plan);
  }
  await sweepLinks(run, repo, liveContent(remaining, known.facts), plan, stamp, known);
}

/** Unlinks blobs nothing in the repository names any more and nobody used lately. */
async function sweepLinks(run: GcRun, repo: string, live: Set<string>, plan: Plan, stamp: string, known: Known): Promise<void> {
  const { driver } = run.store;
  const candidates: string[] = [];
  for (const algorithm of await driver.list(`${repoDir(repo)}/blobs`)) {
    for (const encoded of await driver.list(`${repoDir(repo)}/blobs/${algorithm}`)) {
      const digest = `${algorithm}:${encoded}`;
      if (live.has(digest) || (run.dryRun && plan.dropManifests.has(digest))) continue;
      const stat = await driver.stat(repoBlobPath(repo, digest));
      if (stat && stat.changedMs < run.cutoffMs) candidates.push(digest);
    }
  }
  if (candidates.length === 0) return;
  if (run.dryRun) {
    for (const digest of candidates) count(run, digest);
    return;
  }
  const index = run.store.indexes;
  await index.locked(repo, async () => {
    const now = await index.load(repo);
    let stillLive = live;
    if (now && now.stamp !== stamp) {
      // Manifests arrived since the plan: what they name stays.
      await learn(run, repo, now.manifests, known);
      stillLive = liveContent(now.manifests.keys(), known.facts);
    }
    for (const digest of candidates) {
      if (stillLive.has(digest)) continue;
      const stat = await driver.stat(repoBlobPath(repo, digest));
      if (!stat || stat.changedMs >= run.cutoffMs) continue;
      if (await driver.remove(repoBlobPath(repo, digest))) count(run, digest);
    }
  });
}

/** Reads the facts, use and write times of manifests not seen yet. */
async function learn(run: GcRun, repo: string, manifests: ReadonlyMap<string, ManifestRecord>, known: Known): Promise<void> {
  const { driver } = run.store;
  for (const [digest, record] of manifests) {
    if (known.facts.has(digest)) continue;
    const path = repoBlobPath(repo, digest);
    const stat = await driver.stat(path);
    if (stat) {
      known.usedMs.set(digest, stat.changedMs);
      known.writtenMs.set(digest, stat.modifiedMs);
    }
    const bytes = stat ? await driver.read(path) : undefined;
    let facts: ManifestFacts | null = null;
    if (bytes) {
      try {
        const info = parseManifest(bytes, record.mediaType);
        facts = {
          children: info.manifests.map((d) => d.digest),
          blobs: info.blobs.map((d) => d.digest),
          subject: info.subject?.digest,
          artifactType: info.artifactType ?? info.config?.mediaType,
        };
      } catch {
        facts = null;
      }
    }
    known.facts.set(digest, facts);
  }
}

/** Notes a link removed from a repository; manifests' own links are reported as manifests. */
function count(run: GcRun, digest: string, blob = true): void {
  if (blob) run.report.linksRemoved++;
  run.unlinked.set(digest, (run.unlinked.get(digest) ?? 0) + 1);
}

function record(run: GcRun, repo: string, plan: Plan): void {
  run.report.tagsDeleted += plan.dropTags.size;
  run.report.manifestsDeleted += plan.dropManifests.size;
  for (const tag of plan.dropTags.keys()) noteDeleted(run.report.deleted.tags, `${repo}:${tag}`);
  for (const digest of plan.dropManifests) noteDeleted(run.report.deleted.manifests, `${repo}@${digest}`);
}
