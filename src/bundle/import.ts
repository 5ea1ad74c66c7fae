import { observingHooks, type TransferCounts, type TransferObserver } from "../client/observe.ts";
import { fetchManifest, isManifest } from "../content/successors.ts";
import { copy } from "../copy/index.ts";
import { IdpError, InvalidInputError } from "../errors/index.ts";
import { parseRegistryReference } from "../oci/reference.ts";
import type { Descriptor } from "../oci/schemas.ts";
import { openRegistry, type RemoteOptions } from "../remote/index.ts";
import { destinationRepository, type Destination } from "./destination.ts";
import { isBareTag, summarize } from "./entries.ts";
import { BlobPlaces, MountingRepository } from "./mounting.ts";
import type { OpenedBundle } from "./open.ts";
import { verifyImported, type ImportVerification } from "./import-verify.ts";
import { interruption, type Stopper } from "../sync/stop.ts";

export interface ImportOptions {
  remote?: RemoteOptions;
  concurrency?: number;
  observer?: TransferObserver;
  /** Stops cleanly between blobs (SIGINT); a re-run sends only what is missing. */
  stop?: Stopper;
  /** After copying: "content" reads every manifest and blob back and checks its digest (default); "exists" only looks them up. */
  verify?: "content" | "exists";
}

/** One root of the bundle and where it went. */
export interface ImportedRoot {
  /** As the bundle names it. */
  reference: string;
  /** `registry/repository[:tag]@digest` at the destination. */
  destination: string;
  digest: string;
}

export interface ImportResult extends TransferCounts {
  roots: ImportedRoot[];
  /** Roots that could not be placed (no name, and no repository given), with why. */
  skippedRoots: string[];
  verification: ImportVerification;
}

interface Task {
  reference: string;
  repository: string;
  tag: string | undefined;
  descriptor: Descriptor;
}

/**
 * Pushes a bundle's roots to `dest`, with everything below them and their referrers, and
 * checks the result. Digests are preserved (manifests are copied byte for byte) and so are
 * tags; repository paths are the bundle's with the source host dropped, under the prefix.
 * A layout whose roots carry only bare tags (skopeo's and oras's) goes into the repository
 * `dest` names. Blobs the registry has are skipped and blobs another repository of this
 * import received are mounted, so a re-run after an interruption sends only what is missing.
 *
 * @example await importBundle(await openBundle("platform.tar"), parseDestination("registry.local:5000/mirror"));
 */
export async function importBundle(bundle: OpenedBundle, dest: Destination, options: ImportOptions = {}): Promise<ImportResult> {
  const { tasks, skippedRoots } = await planImport(bundle, dest);
  const registry = await openRegistry(dest.registry, options.remote ?? {});
  const places = new BlobPlaces();
  const targets = new Map<string, MountingRepository>();
  const target = (repository: string) => {
    let t = targets.get(repository);
    if (!t) targets.set(repository, (t = new MountingRepository(registry.repository(repository), places)));
    return t;
  };
  const { hooks, counts } = observingHooks(options.observer);
  const stop = options.stop;
  const signal = stop?.signal;
  const roots: ImportedRoot[] = [];
  for (const task of tasks) {
    stop?.check();
    const dst = stop ? stop.guard(target(task.repository)) : target(task.repository);
    try {
      await copy(bundle.store, task.descriptor.digest, dst, task.tag ?? "", {
        ...hooks,
        referrers: true,
        ...(options.concurrency ? { concurrency: options.concurrency } : {}),
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      throw interruption(error) ?? error;
    }
    const where = `${dest.registry}/${task.repository}${task.tag ? `:${task.tag}` : ""}`;
    roots.push({ reference: task.reference, destination: `${where}@${task.descriptor.digest}`, digest: task.descriptor.digest });
  }
  const verification = await verifyImported(
    bundle.store,
    tasks.map((t) => ({ ...t, target: target(t.repository) })),
    { content: (options.verify ?? "content") === "content", ...(signal ? { signal } : {}) },
  );
  if (verification.problems.length > 0) {
    const first = verification.problems[0]!;
    throw new IdpError(`the import did not verify: ${verification.problems.length} problem(s), first: ${first}`, { hint: "run the import again; it sends only what is missing" });
  }
  return { roots, skippedRoots, verification, ...counts };
}

/**
 * Where each root of the bundle goes (nothing is pushed): what import and its tests share.
 *
 * @example const { tasks } = await planImport(bundle, parseDestination("r:5000/mirror")); tasks[0].repository
 */
export async function planImport(bundle: OpenedBundle, dest: Destination): Promise<{ tasks: Task[]; skippedRoots: string[] }> {
  const tasks: Task[] = [];
  const skippedRoots: string[] = [];
  for (const entry of summarize(bundle.index).entries) {
    const desc = entry.descriptor;
    if (entry.role === "referrer" || !isManifest(desc)) continue;
    const reference = entry.reference;
    if (reference === undefined) {
      // An unnamed root: a referrer travels with its subject; anything else needs a name.
      if ((await fetchManifest(bundle.store, desc)).info.subject) continue;
      if (dest.prefix === "") skippedRoots.push(`${desc.digest} (no name; give REGISTRY/REPOSITORY to import it by digest)`);
      else tasks.push({ reference: desc.digest, repository: dest.prefix, tag: undefined, descriptor: desc });
      continue;
    }
    if (isBareTag(reference)) {
      if (dest.prefix === "") {
        throw new InvalidInputError(`${bundle.path} names its content by tag only (${reference}), so it needs a repository`, {
          hint: "give the destination as REGISTRY/REPOSITORY, e.g. registry.local:5000/team/app",
        });
      }
      tasks.push({ reference, repository: dest.prefix, tag: reference, descriptor: desc });
      continue;
    }
    let ref;
    try {
      ref = parseRegistryReference(reference);
    } catch (error) {
      throw new InvalidInputError(`${bundle.path} names a root ${JSON.stringify(reference)}, which is not a reference idp can place`, { cause: error });
    }
    tasks.push({ reference, repository: destinationRepository(dest, ref.repository), tag: ref.tag, descriptor: desc });
  }
  const clash = findClash(tasks);
  if (clash) throw new InvalidInputError(clash, { hint: "import the bundle under a prefix per source registry, or bundle them separately" });
  return { tasks, skippedRoots };
}

/** Two roots that would take the same tag of the same repository. */
function findClash(tasks: readonly Task[]): string | undefined {
  const seen = new Map<string, Task>();
  for (const t of tasks) {
    if (t.tag === undefined) continue;
    const key = `${t.repository}:${t.tag}`;
    const other = seen.get(key);
    if (other && other.descriptor.digest !== t.descriptor.digest) return `${other.reference} and ${t.reference} would both become ${key}`;
    seen.set(key, t);
  }
  return undefined;
}
