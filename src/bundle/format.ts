import { formatSize } from "../config/units.ts";
import type { BundleInspection } from "./inspect.ts";
import type { Note } from "./entries.ts";

/**
 * Human-readable text for the bundle commands (the CLI prints it; `--json` prints the data
 * instead). Pure functions, so tests can read them.
 */

/** Bytes for people (idp's one formatting). */
export const bytes = formatSize;

const short = (digest: string) => digest.slice(0, digest.indexOf(":") + 13);

/**
 * The summary `idp bundle inspect` prints: what was asked for, each root by role, and what
 * could not be discovered.
 *
 * @example process.stdout.write(formatInspection(await inspectBundle(bundle)));
 */
export function formatInspection(b: BundleInspection): string {
  const count = (role: string) => b.entries.filter((e) => e.role === role).length;
  const lines: string[] = [];
  const made = [b.created && `created ${b.created}`, b.tool && `by ${b.tool}`].filter(Boolean).join(" ");
  lines.push(`${b.path}${made ? `: ${made}` : ""}`);
  lines.push(
    `${count("package")} packages, ${count("dependency")} dependencies, ${count("image")} images, ${count("artifact")} other artifacts, ${count("referrer")} referrers; ` +
      `${b.manifests} manifests and ${b.blobs} blobs, ${bytes(b.bytes)}`,
  );
  if (b.requested.length > 0) lines.push(`requested: ${b.requested.join(" ")}`);
  const named = b.entries.filter((e) => e.role !== "referrer");
  if (named.length > 0) {
    lines.push("");
    const rows = named.map((e) => [
      e.role ?? "root",
      e.reference ?? "(no name)",
      short(e.descriptor.digest),
      [e.packageName, e.platform, e.usedBy.length ? `used by ${e.usedBy.join(", ")}` : undefined].filter(Boolean).join("; "),
    ]);
    const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const r of rows) lines.push(r.map((cell, i) => (i < 3 ? cell.padEnd(widths[i]!) : cell)).join("  ").trimEnd());
  }
  const referrers = b.entries.filter((e) => e.role === "referrer");
  if (referrers.length > 0) {
    lines.push("", "referrers:");
    for (const r of referrers) lines.push(`  ${short(r.descriptor.digest)} ${r.descriptor.artifactType ?? r.descriptor.mediaType}`);
  }
  lines.push(...formatNotes(b.undiscovered));
  return `${lines.join("\n")}\n`;
}

/**
 * The "not discovered" section: what `--include-images` could not see into.
 *
 * @example for (const line of formatNotes(plan.notes)) console.error(line);
 */
export function formatNotes(notes: readonly Note[]): string[] {
  if (notes.length === 0) return [];
  const out = ["", "not discovered (bundle these by reference if the site needs them):"];
  for (const n of notes) out.push(`  ${n.package}: ${n.note}`);
  return out;
}
