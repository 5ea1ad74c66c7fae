import { join } from "node:path";
import * as v from "valibot";
import { InvalidInputError, NotFoundError } from "../errors/index.ts";
import { issuePath, parseYamlDocuments } from "../config/yaml.ts";
import { describeIssue } from "../oci/schemas.ts";
import { PackageSpecSchema, type PackageSpec } from "./spec.ts";

/** One finding about a package, pointing at the file (and line) it is about. */
export interface Problem {
  severity: "error" | "warning";
  /** Path relative to the package directory. */
  file: string;
  line?: number;
  col?: number;
  message: string;
}

/** `file:line:col: message`, the form editors and CI annotate. */
export function formatProblem(p: Problem): string {
  const where = p.line === undefined ? p.file : `${p.file}:${p.line}${p.col === undefined ? "" : `:${p.col}`}`;
  return `${where}: ${p.severity === "warning" ? "warning: " : ""}${p.message}`;
}

export const SPEC_FILE = "idp.yaml";

/**
 * Reads and checks `DIR/idp.yaml`, reporting every schema issue with its line. `spec` is
 * undefined when any error was found.
 */
export async function inspectPackageSpec(dir: string): Promise<{ spec: PackageSpec | undefined; problems: Problem[] }> {
  const file = Bun.file(join(dir, SPEC_FILE));
  if (!(await file.exists())) {
    return { spec: undefined, problems: [{ severity: "error", file: SPEC_FILE, message: `no ${SPEC_FILE} in ${dir}; run \`idp package init ${dir}\` to create one` }] };
  }
  const { documents, errors } = parseYamlDocuments(await file.text());
  const problems: Problem[] = errors.map((e) => ({ severity: "error", file: SPEC_FILE, line: e.line, col: e.col, message: e.message }));
  if (errors.length > 0) return { spec: undefined, problems };
  if (documents.length !== 1) {
    return { spec: undefined, problems: [{ severity: "error", file: SPEC_FILE, line: documents[1]?.line ?? 1, message: `expected one YAML document, found ${documents.length}` }] };
  }
  const doc = documents[0]!;
  const parsed = v.safeParse(PackageSpecSchema, doc.value ?? {}, { abortEarly: false });
  if (parsed.success) return { spec: parsed.output, problems };
  for (const issue of parsed.issues) {
    const pos = doc.locate(issuePath(issue));
    problems.push({ severity: "error", file: SPEC_FILE, line: pos.line, col: pos.col, message: describeIssue([issue]) });
  }
  return { spec: undefined, problems };
}

/** Reads `DIR/idp.yaml` or throws one error saying what is wrong and where. */
export async function readPackageSpec(dir: string): Promise<PackageSpec> {
  const { spec, problems } = await inspectPackageSpec(dir);
  if (spec) return spec;
  const first = problems.find((p) => p.severity === "error")!;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more; run \`idp package validate ${dir}\`)` : "";
  const Err = first.message.startsWith("no idp.yaml") ? NotFoundError : InvalidInputError;
  throw new Err(`${formatProblem({ ...first, file: join(dir, first.file) })}${more}`);
}
