import { bytes } from "../bundle/format.ts";

/** What one repository (a source → target pair) did in a pass. */
export interface RepositoryReport {
  /** `tag` for the repositories the config lists; `dependency` and `image` for what --follow-deps added. */
  kind: "tag" | "dependency" | "image";
  source: string;
  target: string;
  /** Tags (or digests) copied; in a dry run, that would be copied. */
  copied: number;
  /** Already at the target with the same digest. */
  skipped: number;
  failed: number;
  /** Blobs and manifests moved, found at the target, mounted; bytes moved. */
  blobs: { copied: number; skipped: number; mounted: number };
  bytes: number;
  /** One line per failure: the tag and why. */
  errors: string[];
  /** The pass was stopped while this repository was being synced. */
  interrupted: boolean;
}

export interface PassReport {
  pass: number;
  started: string;
  seconds: number;
  dryRun: boolean;
  repositories: RepositoryReport[];
  /** Requests sent to each registry during the pass. */
  requests: Record<string, number>;
  /** What --include-images could not see into. */
  notes: string[];
  interrupted: boolean;
}

/**
 * A failure as one report line: the error's first line, and its hint when it has one.
 *
 * @example describeFailure(error) // "GET …/tags/list: 401 UNAUTHORIZED (hint: the registry needs credentials: run `idp login r`)"
 */
export function describeFailure(error: unknown): string {
  const message = (error instanceof Error ? error.message : String(error)).split("\n", 1)[0] ?? "";
  const hint = (error as { hint?: unknown } | undefined)?.hint;
  return typeof hint === "string" && hint !== "" ? `${message} (hint: ${hint})` : message;
}

/**
 * The totals of a pass.
 *
 * @example if (totals(report).failed > 0) process.exitCode = 1;
 */
export function totals(report: PassReport): { copied: number; skipped: number; failed: number; bytes: number } {
  const sum = (f: (r: RepositoryReport) => number) => report.repositories.reduce((n, r) => n + f(r), 0);
  return { copied: sum((r) => r.copied), skipped: sum((r) => r.skipped), failed: sum((r) => r.failed), bytes: sum((r) => r.bytes) };
}

/**
 * A pass as text: one line per repository (copied, skipped, failed), its failures below it,
 * then the totals and the requests each registry received.
 *
 * @example process.stdout.write(formatPass(report));
 */
export function formatPass(report: PassReport): string {
  const t = totals(report);
  const verb = report.dryRun ? "to copy" : "copied";
  const lines = [`pass ${report.pass}${report.dryRun ? " (dry run)" : ""}${report.interrupted ? " (interrupted)" : ""}, ${report.started}, ${report.seconds.toFixed(1)}s`];
  const width = Math.max(0, ...report.repositories.map((r) => `${r.source} → ${r.target}`.length));
  for (const r of report.repositories) {
    const what = `${r.source} → ${r.target}`.padEnd(width);
    const kind = r.kind === "tag" ? "" : ` (${r.kind})`;
    lines.push(`  ${what}  ${verb} ${r.copied}, skipped ${r.skipped}, failed ${r.failed}${kind}`);
    for (const e of r.errors.slice(0, 5)) lines.push(`      ${e}`);
    if (r.errors.length > 5) lines.push(`      … and ${r.errors.length - 5} more`);
  }
  const requests = Object.entries(report.requests).map(([host, n]) => `${host} ${n}`).join(", ");
  lines.push(`  total: ${verb} ${t.copied}, skipped ${t.skipped}, failed ${t.failed}; ${bytes(t.bytes)} moved; requests: ${requests || "none"}`);
  for (const note of report.notes) lines.push(`  not discovered: ${note}`);
  return `${lines.join("\n")}\n`;
}
