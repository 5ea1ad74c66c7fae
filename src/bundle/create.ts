import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { observingHooks, type TransferCounts, type TransferObserver } from "../client/observe.ts";
import { LayoutStore } from "../content/layout/index.ts";
import { writeIndex } from "../content/layout/index-file.ts";
import { copyGraph } from "../copy/index.ts";
import { IdpError, InterruptedError } from "../errors/index.ts";
import { MediaType } from "../oci/mediatypes.ts";
import type { Descriptor } from "../oci/schemas.ts";
import type { StorePackageIndex } from "../package/registry-index.ts";
import { writeLayoutTar } from "./archive.ts";
import { entryDescriptor, indexAnnotations } from "./entries.ts";
import { walkGraph } from "./graph.ts";
import type { Plan } from "./plan.ts";
import { interruption, type Stopper } from "../sync/stop.ts";

export interface CreateOptions {
  /** Where each item's source repository is opened (the plan's index). */
  index: StorePackageIndex;
  /** What was asked for, recorded in the bundle. */
  requested: readonly string[];
  /** `idp <version>`, recorded in the bundle. */
  tool: string;
  /** When the bundle was made (recorded; also every tar entry's mtime). Default now. */
  created?: Date;
  concurrency?: number;
  observer?: TransferObserver;
  /** Stops cleanly between blobs (SIGINT); what was fetched is kept for the next run. */
  stop?: Stopper;
}

export interface CreateResult extends TransferCounts {
  file: string;
  /** Size of the tar. */
  size: number;
  /** Roots listed in index.json (items and referrers). */
  entries: number;
  /** Blobs and manifests in the tar. */
  blobs: number;
  /** True when an earlier, interrupted run had fetched part of the content already. */
  resumed: boolean;
}

/**
 * Writes the bundle `output` for `plan`. The content is copied first into an OCI image
 * layout beside the output (`.NAME.idp-partial/`, crash-safe: a blob appears there only
 * verified and complete), so an interrupted run, re-run, fetches only what is missing; the
 * tar is written from it at the end and renamed into place, and the directory removed. A
 * failure before anything was fetched leaves nothing behind.
 *
 * @example await createBundle(plan, "platform.tar", { index, requested: refs, tool: "idp 0.1.0" });
 */
export async function createBundle(plan: Plan, output: string, options: CreateOptions): Promise<CreateResult> {
  const file = resolve(output);
  const work = partialDir(file);
  const resumed = existsSync(work);
  const layout = await LayoutStore.open(work);
  const { hooks, counts } = observingHooks(options.observer);
  const stop = options.stop;
  const signal = stop?.signal;
  const dst = stop ? stop.guard(layout) : layout;
  try {
    for (const item of plan.items) {
      stop?.check();
      const source = await options.index.store(item.repository);
      await copyGraph(source, dst, item.descriptor, {
        ...hooks,
        referrers: true,
        ...(options.concurrency ? { concurrency: options.concurrency } : {}),
        ...(signal ? { signal } : {}),
      });
    }
  } catch (error) {
    if (!resumed && counts.copied === 0) await rm(work, { recursive: true, force: true });
    else if (error instanceof IdpError || signal?.aborted) throw resumable(interruption(error) ?? error, output);
    throw interruption(error) ?? error;
  }
  const roots = plan.items.map((item) => item.descriptor);
  const walk = await walkGraph(layout, roots, { referrers: true, ...(signal ? { signal } : {}) });
  if (walk.missing.length > 0 || walk.corrupt.length > 0) {
    const first = walk.missing[0]?.desc.digest ?? walk.corrupt[0]!.desc.digest;
    throw new IdpError(`the content gathered in ${work} is incomplete (${first})`, { hint: `remove ${work} and run again` });
  }
  const created = options.created ?? new Date();
  const manifests: Descriptor[] = [
    ...plan.items.map((item) =>
      entryDescriptor(item.descriptor, {
        reference: item.reference,
        role: item.role,
        usedBy: item.usedBy,
        ...(item.packageName ? { packageName: item.packageName } : {}),
        ...(item.platform ? { platform: item.platform } : {}),
      }),
    ),
    ...walk.referrers.map((r) => entryDescriptor(r.desc, { role: "referrer" })),
  ];
  await writeIndex(work, {
    schemaVersion: 2,
    mediaType: MediaType.ociIndex,
    manifests,
    annotations: indexAnnotations({ created, tool: options.tool, requested: options.requested, undiscovered: plan.notes }),
  });
  const present: Descriptor[] = [];
  for (const desc of walk.nodes.values()) if (await layout.exists(desc)) present.push(desc);
  const size = await writeLayoutTar(work, present, file, created, signal);
  await rm(work, { recursive: true, force: true });
  return { file, size, entries: manifests.length, blobs: present.length, resumed, ...counts };
}

/**
 * The layout an unfinished bundle is gathered in, beside it.
 *
 * @example partialDir("/tmp/platform.tar") // "/tmp/.platform.tar.idp-partial"
 */
export function partialDir(file: string): string {
  return join(dirname(file), `.${basename(file)}.idp-partial`);
}

function resumable(error: unknown, output: string): IdpError {
  const message = error instanceof Error ? error.message : String(error);
  const own = error instanceof IdpError && error.hint && !(error instanceof InterruptedError) ? `${error.hint}; then ` : "";
  const hint = `${own}run the same command again to continue: what was fetched is kept (remove ${basename(partialDir(resolve(output)))} to start over)`;
  const Kind = error instanceof InterruptedError ? InterruptedError : IdpError;
  return new Kind(`bundle ${output} was not finished: ${message}`, { cause: error, hint });
}
