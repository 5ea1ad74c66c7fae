import { existsSync, mkdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { InvalidInputError, NotFoundError } from "../errors/index.ts";
import { parseRegistryReference } from "../oci/reference.ts";
import { checkObject } from "../package/objects.ts";
import type { RemoteOptions } from "../remote/index.ts";
import { buildAndPush } from "./build.ts";
import { planPackages } from "./plan.ts";
import { formatReport, type MigrationReport } from "./report.ts";
import { isArgoApplication, packageDirectories, rewriteDocument } from "./rewrite.ts";
import { readTree, type TreeDocument } from "./scan.ts";

export { formatReport, MigrationReportSchema, type MigrationReport } from "./report.ts";

export interface MigrateOptions {
  /** `REGISTRY[/PREFIX]` the packages go to. */
  registry: string;
  /** Where the rewritten files and the report go; undefined: nowhere (dry run). */
  output?: string;
  dryRun?: boolean;
  remote: RemoteOptions;
  /** Overrides by directory as written after cnoe://. */
  names?: Record<string, string>;
  versions?: Record<string, string>;
  defaultVersion?: string;
  /** Git repositories for the parts that stay git, by directory as written after cnoe://. */
  gitUrls?: Record<string, string>;
}

export const REPORT_JSON = "idp-migration.json";
export const REPORT_TEXT = "idp-migration.txt";

/**
 * `idp migrate idpbuilder DIR`: one idp package per directory the tree's `cnoe://` sources
 * name, built reproducibly and pushed (an unchanged package uploads nothing, so re-running is
 * idempotent), then every Application and ApplicationSet rewritten to point at `oci://` with
 * pinned versions, git kept where Argo CD has no OCI equivalent. Everything is planned, built
 * and checked before the first file is written.
 *
 * @example const report = await migrateIdpbuilder("pkgs/testDir", { registry: "127.0.0.1:5000/idpbuilder", output: "out", remote: {} });
 */
export async function migrateIdpbuilder(dir: string, options: MigrateOptions): Promise<MigrationReport> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new NotFoundError(`${dir} is not a directory`);
  const registry = options.registry.replace(/^oci:\/\//, "").replace(/\/+$/, "");
  parseRegistryReference(`${registry}/x`); // refuses what cannot prefix a repository
  if (options.output && resolve(options.output) === resolve(dir)) {
    throw new InvalidInputError("the output directory is the idpbuilder tree itself", { hint: "write the migrated files elsewhere with -o OUTDIR: the tree stays as it is" });
  }
  const docs = await readTree(dir);
  if (!docs.some((d) => isArgoApplication(d.value))) {
    throw new NotFoundError(`no Argo CD Application or ApplicationSet in the YAML files at the top of ${dir}`, { hint: "give the directory idpbuilder reads with -p" });
  }
  const planned = planPackages(dir, packageDirectories(docs, dir), {
    registry,
    ...(options.names ? { names: options.names } : {}),
    ...(options.versions ? { versions: options.versions } : {}),
    ...(options.defaultVersion ? { defaultVersion: options.defaultVersion } : {}),
  });
  const packages = await buildAndPush(planned, { remote: options.remote, dryRun: options.dryRun ?? false });
  const byDirectory = new Map(packages.map((p) => [p.directory, { repository: p.repository, version: p.version }]));
  const objects = docs.map((d) => rewriteDocument(d, { tree: dir, packages: byDirectory, gitUrls: options.gitUrls ?? {} }));
  for (const d of docs) {
    if (!isArgoApplication(d.value)) continue;
    const problem = checkObject(d.doc.toJS()).find((f) => f.severity === "error");
    if (problem) throw new InvalidInputError(`${d.file}: the rewritten object fails a check: ${problem.message}`, { hint: "nothing was written; please report this" });
  }
  const report: MigrationReport = {
    reportVersion: 1,
    source: dir,
    registry,
    output: options.output ?? null,
    dryRun: options.dryRun ?? false,
    packages: packages.map(({ directory, name, version, repository, digest, kind, files, status, derivation }) => ({ directory, name, version, repository, digest, kind, files, status, derivation })),
    objects,
    files: [],
  };
  if (options.output && !options.dryRun) {
    const texts = new Map<string, string>();
    for (const file of [...new Set(docs.map((d) => d.file))]) texts.set(file, fileText(docs.filter((d) => d.file === file)));
    report.files = [...texts.keys(), REPORT_JSON, REPORT_TEXT];
    texts.set(REPORT_JSON, `${JSON.stringify(report, null, 2)}\n`);
    texts.set(REPORT_TEXT, formatReport(report));
    writeFiles(options.output, texts);
  }
  return report;
}

/** The documents of one file, edited, with `---` between them. */
function fileText(docs: TreeDocument[]): string {
  return docs
    .map((d, i) => {
      const text = d.doc.toString({ lineWidth: 0 });
      return i > 0 && !text.startsWith("---") ? `---\n${text}` : text;
    })
    .join("");
}

/** Each file atomically (temporary file, then rename): a reader never sees half a file. */
function writeFiles(dir: string, texts: Map<string, string>): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of texts) {
    const path = join(dir, name);
    const temp = `${path}.${process.pid}.tmp`;
    writeFileSync(temp, text);
    renameSync(temp, path);
  }
}
