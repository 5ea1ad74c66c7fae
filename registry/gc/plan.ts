import semver from "semver";
import type { ServeConfig } from "../config.ts";
import { compileGlob, matchesAny } from "../auth/glob.ts";
import type { ManifestRecord } from "../storage/repo-index.ts";

/** What gc needs to know of one manifest's graph. */
export interface ManifestFacts {
  /** Child manifests (an index's entries). */
  children: string[];
  /** Config and layers. */
  blobs: string[];
  subject: string | undefined;
  artifactType: string | undefined;
}

/** The gc rules of the config, compiled once per run. */
export interface GcRules {
  deleteUntagged: boolean;
  retention: { repositories: RegExp[]; keepNewest: number | undefined; keepSemver: boolean; keepTags: RegExp[] }[];
  referrers: { artifactType: RegExp; keep: boolean }[];
}

/**
 * Compiles the gc rules of the config for one run.
 *
 * @example const rules = compileRules(config.gc);
 */
export function compileRules(gc: Pick<ServeConfig["gc"], "deleteUntagged" | "retention" | "referrers">): GcRules {
  return {
    deleteUntagged: gc.deleteUntagged,
    retention: gc.retention.map((r) => ({
      repositories: r.repositories.map((p) => compileGlob(p, { segments: true })),
      keepNewest: r.keepNewest,
      keepSemver: r.keepSemver,
      keepTags: r.keepTags.map((p) => compileGlob(p)),
    })),
    referrers: gc.referrers.map((r) => ({ artifactType: compileGlob(r.artifactType), keep: r.whenSubjectGone === "keep" })),
  };
}

/** One repository's state as gc sees it. */
export interface RepoSnapshot {
  repository: string;
  manifests: ReadonlyMap<string, ManifestRecord>;
  tags: ReadonlyMap<string, string>;
  /** Facts per manifest; null when its bytes could not be read or parsed (it is kept). */
  facts: ReadonlyMap<string, ManifestFacts | null>;
  /** When each manifest was last linked, pushed or checked (its link's changedMs). */
  usedMs: ReadonlyMap<string, number>;
  /** When each manifest's bytes were first written (retention's "newest"). */
  writtenMs: ReadonlyMap<string, number>;
}

export interface Plan {
  /** Tags retention removes, with the digest each pointed to when decided. */
  dropTags: Map<string, string>;
  dropManifests: Set<string>;
  live: Set<string>;
}

/**
 * Decides which tags and manifests of one repository go. Pure: the same snapshot gives the
 * same plan, so it is computed once to report and again under the repository lock to apply.
 *
 * Roots are tagged manifests (after retention), manifests used within the grace window
 * (`cutoffMs`: pushes in progress push children and referrers before what names them), those
 * that cannot be parsed, and, unless `deleteUntagged`, untagged manifests without a subject.
 * Live is what roots reach through index entries, plus referrers of live manifests. A referrer
 * whose subject is gone or going follows the first referrer rule matching its artifact type
 * (default: it goes too).
 *
 * @example const plan = planRepository(snapshot, rules, Date.now() - 3_600_000);
 */
export function planRepository(snap: RepoSnapshot, rules: GcRules, cutoffMs: number): Plan {
  const dropTags = retentionDrops(snap, rules);
  const tagged = new Set<string>();
  for (const [tag, digest] of snap.tags) if (!dropTags.has(tag)) tagged.add(digest);
  const untaggedByRetention = new Set([...dropTags.values()].filter((d) => !tagged.has(d)));
  const live = new Set<string>();
  const reach = (digest: string) => {
    const stack = [digest];
    while (stack.length) {
      const d = stack.pop()!;
      if (live.has(d) || !snap.manifests.has(d)) continue;
      live.add(d);
      for (const child of snap.facts.get(d)?.children ?? []) stack.push(child);
    }
  };
  for (const digest of snap.manifests.keys()) {
    const facts = snap.facts.get(digest);
    const young = (snap.usedMs.get(digest) ?? Number.POSITIVE_INFINITY) >= cutoffMs;
    const keptUntagged = !rules.deleteUntagged && !untaggedByRetention.has(digest) && facts?.subject === undefined;
    if (tagged.has(digest) || young || facts === null || facts === undefined || keptUntagged) reach(digest);
  }
  // Referrers follow their subject; repeat until nothing changes (referrers of referrers).
  for (let changed = true; changed; ) {
    changed = false;
    for (const digest of snap.manifests.keys()) {
      const subject = snap.facts.get(digest)?.subject;
      if (live.has(digest) || subject === undefined) continue;
      if (live.has(subject) || keepOrphan(rules, snap.facts.get(digest)?.artifactType)) {
        reach(digest);
        changed = true;
      }
    }
  }
  const dropManifests = new Set([...snap.manifests.keys()].filter((d) => !live.has(d)));
  return { dropTags, dropManifests, live };
}

function keepOrphan(rules: GcRules, artifactType: string | undefined): boolean {
  const rule = rules.referrers.find((r) => r.artifactType.test(artifactType ?? ""));
  return rule?.keep ?? false;
}

/**
 * Tags the first retention rule matching the repository removes: every tag except those in
 * `keepTags`, semver tags with `keepSemver`, and the `keepNewest` newest of the rest (by when
 * their manifest was first pushed; ties by name, later first). Without `keepNewest` nothing
 * beyond those is removed.
 *
 * @example retentionDrops({ repository: "ci/app", tags, writtenMs }, rules) // Map { "dev-1" => "sha256:…" }
 */
export function retentionDrops(snap: Pick<RepoSnapshot, "repository" | "tags" | "writtenMs">, rules: GcRules): Map<string, string> {
  const rule = rules.retention.find((r) => matchesAny(r.repositories, snap.repository));
  const drops = new Map<string, string>();
  if (!rule || rule.keepNewest === undefined) return drops;
  const rest = [...snap.tags].filter(([tag]) => !matchesAny(rule.keepTags, tag) && !(rule.keepSemver && semver.valid(tag) !== null));
  rest.sort(([ta, da], [tb, db]) => (snap.writtenMs.get(db) ?? 0) - (snap.writtenMs.get(da) ?? 0) || (tb < ta ? -1 : tb > ta ? 1 : 0));
  for (const [tag, digest] of rest.slice(rule.keepNewest)) drops.set(tag, digest);
  return drops;
}

/**
 * Digests of every blob and manifest the manifests of a repository keep.
 *
 * @example liveContent(state.manifests.keys(), facts).has(layerDigest)
 */
export function liveContent(manifests: Iterable<string>, facts: ReadonlyMap<string, ManifestFacts | null>): Set<string> {
  const out = new Set<string>();
  for (const digest of manifests) {
    out.add(digest);
    for (const blob of facts.get(digest)?.blobs ?? []) out.add(blob);
  }
  return out;
}
