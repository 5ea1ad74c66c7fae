import { formatSize } from "../../src/config/units.ts";
/** What a gc run did (or, with dryRun, would do). */
export interface GcReport {
  dryRun: boolean;
  startedAt: string;
  durationMs: number;
  repositories: number;
  tagsDeleted: number;
  manifestsDeleted: number;
  /** Blob links removed from repositories (the blob may live on in others). */
  linksRemoved: number;
  /** Files removed from the content store, and their bytes. */
  blobsDeleted: number;
  bytesFreed: number;
  uploadsPurged: number;
  /** What was deleted, `repo@digest` and `repo:tag` (at most 1,000 of each). */
  deleted: { manifests: string[]; tags: string[] };
  /** Set when the run stopped early (server shutting down). */
  aborted?: boolean;
}

const MAX_LISTED = 1000;

/**
 * A report with nothing done yet.
 *
 * @example const report = emptyReport(false); report.blobsDeleted++;
 */
export function emptyReport(dryRun: boolean): GcReport {
  return {
    dryRun,
    startedAt: new Date().toISOString(),
    durationMs: 0,
    repositories: 0,
    tagsDeleted: 0,
    manifestsDeleted: 0,
    linksRemoved: 0,
    blobsDeleted: 0,
    bytesFreed: 0,
    uploadsPurged: 0,
    deleted: { manifests: [], tags: [] },
  };
}

/**
 * Lists a deleted item, up to MAX_LISTED per list.
 *
 * @example noteDeleted(report.deleted.tags, "team/app:v1");
 */
export function noteDeleted(list: string[], item: string): void {
  if (list.length < MAX_LISTED) list.push(item);
}

/**
 * A report as a few lines for people.
 *
 * @example summaryLines(report) // ["gc: 3 manifests, 2 tags deleted; 14 blobs (1.2 GiB) freed; …"]
 */
export function summaryLines(r: GcReport): string[] {
  const verb = r.dryRun ? "would delete" : "deleted";
  return [
    `gc${r.dryRun ? " (dry run)" : ""}: ${r.repositories} repositories checked in ${(r.durationMs / 1000).toFixed(1)}s${r.aborted ? " (stopped early)" : ""}`,
    `  ${verb} ${r.tagsDeleted} tags, ${r.manifestsDeleted} manifests, ${r.linksRemoved} blob links`,
    `  ${r.dryRun ? "would free" : "freed"} ${r.blobsDeleted} blobs, ${formatBytes(r.bytesFreed)}; ${r.dryRun ? "would purge" : "purged"} ${r.uploadsPurged} abandoned uploads`,
  ];
}

/** Bytes as people read them (idp's one formatting). */
export const formatBytes = formatSize;
