import type { CAC } from "cac";

/** `idp cache ls|du|verify|prune`: the local OCI cache every pull reads through. */
export function registerCache(cli: CAC): void {
  cli
    .command("cache ls", "List what the cache remembers: tags and the manifests they point at (--blobs for every blob)")
    .option("--blobs", "List blobs (digest, size, last use) instead of tags")
    .option("--json", "Print as JSON")
    .example("idp cache ls")
    .example("idp cache ls --blobs --json")
    .action(async (flags: { blobs?: boolean; json?: boolean }) => {
      const { listBlobs, listRefs, openCache } = await import("../../cache/index.ts");
      const { formatSize } = await import("../../config/units.ts");
      const { data, info, json } = await import("../output.ts");
      const { table } = await import("../table.ts");
      const cache = await openCache();
      if (flags.blobs) {
        const blobs = (await listBlobs(cache)).reverse();
        if (flags.json) return json(blobs.map((b) => ({ digest: b.digest, size: b.size, usedAt: new Date(b.usedAt).toISOString() })));
        if (blobs.length === 0) return info(`the cache at ${cache.root} is empty`);
        return data(table([["DIGEST", "SIZE", "LAST USED"], ...blobs.map((b) => [b.digest, formatSize(b.size), new Date(b.usedAt).toISOString()])]));
      }
      const refs = await listRefs(cache);
      if (flags.json) return json(refs.map((r) => ({ reference: r.reference, digest: r.descriptor.digest, mediaType: r.descriptor.mediaType, resolvedAt: r.resolvedAt, present: r.present })));
      if (refs.length === 0) return info(`the cache at ${cache.root} remembers no tags`);
      data(table([["REFERENCE", "DIGEST", "RESOLVED"], ...refs.map((r) => [r.reference, `${r.descriptor.digest}${r.present ? "" : " (gone)"}`, r.resolvedAt])]));
    });

  cli
    .command("cache du", "Show how much the cache holds")
    .option("--json", "Print {root, blobs, bytes, tags, limit} as JSON")
    .example("idp cache du")
    .action(async (flags: { json?: boolean }) => {
      const { cacheLimit, openCache, usage } = await import("../../cache/index.ts");
      const { formatSize } = await import("../../config/units.ts");
      const { data, json } = await import("../output.ts");
      const cache = await openCache();
      const [used, limit] = await Promise.all([usage(cache), cacheLimit()]);
      if (flags.json) return json({ ...used, limit: limit ?? null });
      data(`${formatSize(used.bytes)} in ${used.blobs} blobs, ${used.tags} tags, at ${used.root}${limit !== undefined ? ` (limit ${formatSize(limit)})` : ""}`);
    });

  cli
    .command("cache verify", "Re-hash every cached blob; remove corrupt ones (the next pull fetches them again)")
    .option("--json", "Print {checked, bytes, corrupt, droppedTags, ms} as JSON")
    .example("idp cache verify")
    .action(async (flags: { json?: boolean }) => {
      const { openCache, verifyCache } = await import("../../cache/index.ts");
      const { formatSize } = await import("../../config/units.ts");
      const { data, json, warn } = await import("../output.ts");
      const report = await verifyCache(await openCache());
      if (flags.json) return json(report);
      for (const digest of report.corrupt) warn(`removed corrupt blob ${digest}`);
      const rate = report.ms > 0 ? ` (${formatSize((report.bytes / report.ms) * 1000)}/s)` : "";
      data(`verified ${report.checked} blobs, ${formatSize(report.bytes)} in ${Math.round(report.ms)} ms${rate}; ${report.corrupt.length} corrupt removed`);
    });

  cli
    .command("cache prune", "Evict blobs: unused for longer than --older-than, then least recently used until within --max-size")
    .option("--max-size <size>", "Keep at most this much, e.g. 5GiB (default: the configured limit)")
    .option("--older-than <age>", "Evict what was not used for this long, e.g. 30d, 12h")
    .option("--all", "Empty the cache")
    .option("--dry-run", "Show what would be evicted; remove nothing")
    .option("--json", "Print the report as JSON")
    .example("idp cache prune --max-size 5GiB")
    .example("idp cache prune --older-than 30d --dry-run")
    .action(async (flags: { maxSize?: string; olderThan?: string; all?: boolean; dryRun?: boolean; json?: boolean }) => {
      const { cacheLimit, openCache, prune } = await import("../../cache/index.ts");
      const { formatSize, parseAge, parseSize } = await import("../../config/units.ts");
      const { UsageError } = await import("../usage.ts");
      const { data, json } = await import("../output.ts");
      const maxSize = flags.all ? 0 : flags.maxSize !== undefined ? parseSize(String(flags.maxSize), "--max-size") : await cacheLimit();
      const olderThanMs = flags.olderThan !== undefined ? parseAge(String(flags.olderThan), "--older-than") : undefined;
      if (maxSize === undefined && olderThanMs === undefined) throw new UsageError("nothing to prune by", "pass --max-size, --older-than or --all (or set cache.maxSize in registries.yaml)");
      const report = await prune(await openCache(), { ...(maxSize !== undefined ? { maxSize } : {}), ...(olderThanMs !== undefined ? { olderThanMs } : {}), dryRun: flags.dryRun ?? false });
      if (flags.json) return json({ removed: report.removed.map((b) => b.digest), freedBytes: report.freedBytes, remainingBytes: report.remainingBytes, droppedTags: report.droppedTags, dryRun: flags.dryRun ?? false });
      data(`${flags.dryRun ? "would evict" : "evicted"} ${report.removed.length} blobs (${formatSize(report.freedBytes)}); ${formatSize(report.remainingBytes)} ${flags.dryRun ? "would remain" : "remain"}`);
    });
}
