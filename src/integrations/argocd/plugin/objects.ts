import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseYamlDocuments } from "../../../config/yaml.ts";
import { InvalidInputError, NotFoundError, UnsupportedError } from "../../../errors/index.ts";
import { listPackageFiles } from "../../../package/files.ts";
import { checkObject } from "../../../package/objects.ts";

/**
 * The Kubernetes objects a package directory stands for, decided the way Argo CD decides:
 * `Chart.yaml` → Helm (`helm template`), a kustomization → Kustomize (`kustomize build`, or
 * `kubectl kustomize`), else every YAML/JSON document of the directory (its subdirectories
 * too only with `recurse`, as Argo CD's directory source). Only Kubernetes objects come out:
 * anything else is an error naming the file and line.
 */

export type Tool = "helm" | "kustomize" | "directory";

export interface RenderDirOptions {
  recurse?: boolean;
  /** Globs of files not to read (a package's `exclude`). */
  exclude?: string[];
  /** Helm release name and namespace (Argo CD passes the Application's). */
  releaseName?: string;
  namespace?: string;
  /** Where to look for helm / kustomize / kubectl (default PATH). */
  env?: Record<string, string | undefined>;
}

const KUSTOMIZATIONS = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

export function toolFor(dir: string): Tool {
  if (existsSync(join(dir, "Chart.yaml"))) return "helm";
  return KUSTOMIZATIONS.some((k) => existsSync(join(dir, k))) ? "kustomize" : "directory";
}

/**
 * Renders `dir` into objects.
 *
 * @example const objects = await renderDirectory("/tmp/pkg/ingress", { recurse: false });
 */
export async function renderDirectory(dir: string, options: RenderDirOptions = {}): Promise<Record<string, unknown>[]> {
  if (!existsSync(dir)) throw new NotFoundError(`${dir} does not exist in the package`);
  const tool = toolFor(dir);
  if (tool === "helm") {
    const args = ["template", options.releaseName ?? "release", dir, ...(options.namespace ? ["--namespace", options.namespace] : [])];
    return objectsOf(await runTool(["helm"], args, options.env), "helm template");
  }
  if (tool === "kustomize") {
    const text = await runTool(["kustomize", "kubectl"], ["build", dir], options.env, (bin) => (bin === "kubectl" ? ["kustomize", dir] : ["build", dir]));
    return objectsOf(text, "kustomize build");
  }
  const files = await listPackageFiles(dir, [options.recurse ? "**" : "*"], options.exclude ?? []);
  const out: Record<string, unknown>[] = [];
  for (const file of files) {
    if (file.kind !== "file" || !/\.(ya?ml|json)$/i.test(file.path)) continue;
    out.push(...objectsOf(await Bun.file(join(dir, file.path)).text(), file.path));
  }
  return out;
}

/** Parses a YAML stream and keeps only what is a Kubernetes object, failing on anything else. */
export function objectsOf(text: string, where: string): Record<string, unknown>[] {
  const { documents, errors } = parseYamlDocuments(text);
  if (errors.length) throw new InvalidInputError(`${where}:${errors[0]!.line}:${errors[0]!.col}: not valid YAML: ${errors[0]!.message}`);
  const out: Record<string, unknown>[] = [];
  for (const doc of documents) {
    if (doc.value === null || doc.value === undefined) continue;
    const problem = checkObject(doc.value).find((f) => f.severity === "error");
    if (problem) throw new InvalidInputError(`${where}:${doc.locate(problem.path).line}: ${problem.message}; only Kubernetes objects may be rendered`);
    out.push(doc.value as Record<string, unknown>);
  }
  return out;
}

async function runTool(candidates: string[], args: string[], env: Record<string, string | undefined> = process.env, argsFor?: (bin: string) => string[]): Promise<string> {
  const path = env.PATH ?? "";
  const bin = candidates.map((c) => Bun.which(c, { PATH: path })).find((b): b is string => b !== null);
  if (!bin) {
    throw new UnsupportedError(`rendering this package needs ${candidates.join(" or ")}, which is not on PATH`, {
      hint: "install it in the plugin sidecar image, or deploy the package with Argo CD's native OCI source (`idp argocd app`)",
    });
  }
  const name = candidates.find((c) => bin.endsWith(`/${c}`)) ?? candidates[0]!;
  const proc = Bun.spawn([bin, ...(argsFor ? argsFor(name) : args)], { env: env as Record<string, string>, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new InvalidInputError(`${name} failed (exit ${code}): ${stderr.trim().split("\n").slice(-1)[0] ?? ""}`);
  return stdout;
}
