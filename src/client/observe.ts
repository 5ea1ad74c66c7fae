import type { CopyHooks } from "../copy/index.ts";
import { Annotation, isIndexMediaType, MANIFEST_MEDIA_TYPES } from "../oci/mediatypes.ts";
import type { Descriptor } from "../oci/schemas.ts";

/** What watches a transfer (the CLI's progress display implements it). */
export interface TransferObserver {
  /**
   * Whether bytes in flight are shown (a progress bar); when false, update() is never
   * needed, and copies may hand files to the kernel instead of counting bytes through.
   */
  readonly live?: boolean;
  start(id: string, label: string, total: number): void;
  /** Bytes of `id` moved so far (absolute; may go back to 0 when a transfer restarts). */
  update(id: string, bytes: number): void;
  finish(id: string, state: "done" | "skipped" | "mounted" | "failed", label?: string, total?: number): void;
}

/** Tallies of a finished transfer, for --json and summaries. */
export interface TransferCounts {
  copied: number;
  skipped: number;
  mounted: number;
  /** Bytes moved (skipped and mounted content not counted). */
  bytes: number;
}

/** A short, human label for a descriptor: its title, else kind and short digest. */
export function describeBlob(desc: Descriptor): string {
  const title = desc.annotations?.[Annotation.title];
  const short = desc.digest.slice(0, desc.digest.indexOf(":") + 13);
  if (title) return `${title === "." ? "files" : title} (${short})`;
  const kind = isIndexMediaType(desc.mediaType) ? "index" : MANIFEST_MEDIA_TYPES.includes(desc.mediaType) ? "manifest" : desc.mediaType.includes("config") ? "config" : "blob";
  return `${kind} ${short}`;
}

/** Copy hooks that feed an observer and count what happened. */
export function observingHooks(observer: TransferObserver | undefined): { hooks: CopyHooks; counts: TransferCounts } {
  const counts: TransferCounts = { copied: 0, skipped: 0, mounted: 0, bytes: 0 };
  const hooks: CopyHooks = {
    preCopy(desc) {
      observer?.start(desc.digest, describeBlob(desc), desc.size);
    },
    postCopy(desc) {
      counts.copied++;
      counts.bytes += desc.size;
      observer?.finish(desc.digest, "done");
    },
    onSkipped(desc) {
      counts.skipped++;
      observer?.finish(desc.digest, "skipped", describeBlob(desc), desc.size);
    },
    onMounted(desc) {
      counts.mounted++;
      observer?.finish(desc.digest, "mounted", describeBlob(desc), desc.size);
    },
  };
  if (observer?.live !== false && observer !== undefined) hooks.onProgress = (desc, bytes) => observer.update(desc.digest, bytes);
  return { hooks, counts };
}
