import * as v from "valibot";
import { InvalidInputError } from "../errors/index.ts";
import { describeIssue } from "../oci/schemas.ts";

const AnnotationFileSchema = v.record(v.string(), v.record(v.string(), v.string()));

/**
 * Annotations from `--annotation key=value` flags and an `--annotation-file` in oras' JSON
 * format (`{"$manifest": {...}, "<title>": {...}}`); flags win over the file.
 */
export async function readAnnotations(pairs: readonly string[], file?: string): Promise<{ manifest: Record<string, string>; files: Record<string, Record<string, string>> }> {
  let files: Record<string, Record<string, string>> = {};
  if (file) {
    let doc: unknown;
    try {
      doc = JSON.parse(await Bun.file(file).text());
    } catch (error) {
      throw new InvalidInputError(`${file}: not readable JSON (${(error as Error).message})`);
    }
    const parsed = v.safeParse(AnnotationFileSchema, doc);
    if (!parsed.success) throw new InvalidInputError(`${file}: ${describeIssue(parsed.issues)}`, { hint: 'expected {"$manifest": {"key": "value"}, "file.txt": {...}}' });
    files = parsed.output;
  }
  const manifest: Record<string, string> = { ...(files.$manifest ?? {}) };
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new InvalidInputError(`annotation ${JSON.stringify(pair)} is not key=value`);
    manifest[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return { manifest, files };
}
