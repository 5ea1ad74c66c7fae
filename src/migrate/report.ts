import * as v from "valibot";

/**
 * The migration report: every package built and every object read, what changed and why,
 * and what stayed on git and why. Written as idp-migration.json and idp-migration.txt next to
 * the rewritten files, and printed (text, or JSON with --json).
 */

const ChangeSchema = v.strictObject({ path: v.string(), from: v.string(), to: v.string(), why: v.string() });
const KeptSchema = v.strictObject({ path: v.string(), value: v.string(), why: v.string() });

export const MigrationReportSchema = v.strictObject({
  reportVersion: v.literal(1),
  source: v.string(),
  registry: v.string(),
  output: v.nullable(v.string()),
  dryRun: v.boolean(),
  packages: v.array(
    v.strictObject({
      directory: v.string(),
      name: v.string(),
      version: v.string(),
      repository: v.string(),
      digest: v.string(),
      kind: v.string(),
      files: v.number(),
      status: v.picklist(["pushed", "unchanged", "planned"]),
      derivation: v.string(),
    }),
  ),
  objects: v.array(
    v.strictObject({
      file: v.string(),
      index: v.number(),
      kind: v.string(),
      name: v.string(),
      status: v.picklist(["rewritten", "partly rewritten", "unchanged", "not an Argo CD Application"]),
      changes: v.array(ChangeSchema),
      kept: v.array(KeptSchema),
      notes: v.array(v.string()),
    }),
  ),
  files: v.array(v.string()),
});
export type MigrationReport = v.InferOutput<typeof MigrationReportSchema>;

const STATUS_WORD = { pushed: "pushed", unchanged: "already in the registry", planned: "would push" } as const;

/**
 * The report for humans.
 *
 * @example console.log(formatReport(report));
 */
export function formatReport(r: MigrationReport): string {
  const lines: string[] = [];
  lines.push(`${r.dryRun ? "migration plan (dry run: nothing pushed or written)" : "migration"} of ${r.source} to ${r.registry}`);
  lines.push("", `packages (${r.packages.length}):`);
  for (const p of r.packages) {
    lines.push(`  ${p.directory} → ${p.repository}:${p.version} ${p.digest} (${p.kind}, ${p.files} files) — ${STATUS_WORD[p.status]}; ${p.derivation}`);
  }
  lines.push("", `objects (${r.objects.length}):`);
  for (const o of r.objects) {
    lines.push(`  ${o.file}${o.index ? `#${o.index}` : ""} ${o.kind} ${o.name}: ${o.status}`);
    for (const c of o.changes) lines.push(`    ${c.path}: ${c.from} → ${c.to} (${c.why})`);
    for (const k of o.kept) lines.push(`    kept ${k.path}: ${k.value} (${k.why})`);
    for (const n of o.notes) lines.push(`    note: ${n}`);
  }
  const kept = r.objects.reduce((n, o) => n + o.kept.length, 0);
  const rewritten = r.objects.filter((o) => o.changes.length > 0).length;
  lines.push("", `${rewritten} of ${r.objects.length} objects rewritten, ${kept} reference${kept === 1 ? "" : "s"} kept on git`);
  if (r.output && !r.dryRun) lines.push(`wrote ${r.files.length} files to ${r.output}`);
  return `${lines.join("\n")}\n`;
}
