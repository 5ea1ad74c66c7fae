import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import semver from "semver";
import * as v from "valibot";
import { DigestMismatchError, InvalidInputError, NotFoundError } from "../../../errors/index.ts";
import { describeIssue, DigestSchema } from "../../../oci/schemas.ts";
import { parseRegistryReference } from "../../../oci/reference.ts";
import { readPackageSpec } from "../../../package/load.ts";
import { readLockfile } from "../../../package/lockfile.ts";
import { registryPackageIndex } from "../../../package/open.ts";
import { pullPackages } from "../../../package/pull.ts";
import type { StorePackageIndex } from "../../../package/registry-index.ts";
import { listPackageFiles } from "../../../package/files.ts";
import type { RemoteOptions } from "../../../remote/index.ts";
import { orderByDependencies } from "../order.ts";
import { renderDirectory } from "./objects.ts";

/**
 * `idp argocd plugin generate`: the Config Management Plugin `generate` command. The
 * repo-server's plugin sidecar runs it in the Application's source directory with the build
 * environment (`ARGOCD_APP_*`) and the Application's `plugin.env` entries prefixed
 * `ARGOCD_ENV_`; stdout must be Kubernetes objects only, errors go to stderr with a non-zero
 * exit. Two ways to say what to deploy:
 *
 * - `ARGOCD_ENV_IDP_PACKAGE=registry/repo[:tag][@digest]` (with `IDP_VERSION` a semver range
 *   when there is no tag, `IDP_DIGEST` the digest it must resolve to, `IDP_PATH` a directory
 *   inside the package, `IDP_RECURSE=true` to read subdirectories);
 * - no IDP_PACKAGE: the source directory holds idp.yaml and idp.lock (a package in git whose
 *   dependencies come from OCI), and the locked packages plus its own files are rendered.
 *
 * Every package is resolved to one digest first and pulled by that digest, verified on the way.
 */

const RelativePath = v.pipe(v.string(), v.check((p) => !p.startsWith("/") && !p.split("/").includes(".."), "must be a relative path inside the package"));

export const PluginEnvSchema = v.object({
  ARGOCD_APP_NAME: v.optional(v.string()),
  ARGOCD_APP_NAMESPACE: v.optional(v.string()),
  ARGOCD_ENV_IDP_PACKAGE: v.optional(v.pipe(v.string(), v.minLength(1))),
  ARGOCD_ENV_IDP_VERSION: v.optional(v.pipe(v.string(), v.check((r) => semver.validRange(r) !== null, "must be a semver range or version"))),
  ARGOCD_ENV_IDP_DIGEST: v.optional(DigestSchema),
  ARGOCD_ENV_IDP_PATH: v.optional(RelativePath, "."),
  ARGOCD_ENV_IDP_RECURSE: v.optional(v.picklist(["true", "false"]), "false"),
});
export type PluginEnv = v.InferOutput<typeof PluginEnvSchema>;

/** What was rendered, for the log line on stderr. */
export interface Generated {
  objects: Record<string, unknown>[];
  packages: { name: string; repository: string; version: string; digest: string }[];
}

export interface GenerateOptions {
  env: Record<string, string | undefined>;
  /** The Application's source directory (the repo-server runs the command there). */
  cwd: string;
  remote: RemoteOptions;
}

export function parsePluginEnv(env: Record<string, string | undefined>): PluginEnv {
  const parsed = v.safeParse(PluginEnvSchema, env);
  if (!parsed.success) throw new InvalidInputError(`plugin environment: ${describeIssue(parsed.issues)}`, { hint: "set it in the Application's spec.source.plugin.env (Argo CD adds the ARGOCD_ENV_ prefix)" });
  return parsed.output;
}

/**
 * Resolves, pulls, verifies and renders. Nothing is printed here: the caller prints the
 * objects only once everything succeeded, so a failure never leaves partial output.
 *
 * @example const { objects } = await generate({ env: process.env, cwd: process.cwd(), remote: {} });
 */
export async function generate(options: GenerateOptions): Promise<Generated> {
  const env = parsePluginEnv(options.env);
  const index = registryPackageIndex({ ...options.remote, env: options.env });
  const work = await mkdtemp(join(tmpdir(), "idp-cmp-"));
  const render = (dir: string, exclude: string[] = []) =>
    renderDirectory(dir, {
      exclude,
      recurse: env.ARGOCD_ENV_IDP_RECURSE === "true",
      ...(env.ARGOCD_APP_NAME ? { releaseName: env.ARGOCD_APP_NAME } : {}),
      ...(env.ARGOCD_APP_NAMESPACE ? { namespace: env.ARGOCD_APP_NAMESPACE } : {}),
      env: options.env,
    });
  try {
    if (env.ARGOCD_ENV_IDP_PACKAGE) {
      const pkg = await pinPackage(env.ARGOCD_ENV_IDP_PACKAGE, env, index);
      const [pulled] = await pullPackages([pkg], index, work);
      return { objects: await render(join(pulled!.directory, env.ARGOCD_ENV_IDP_PATH)), packages: [pkg] };
    }
    if (!existsSync(join(options.cwd, "idp.yaml"))) {
      throw new NotFoundError(`nothing to render in ${options.cwd}: no ARGOCD_ENV_IDP_PACKAGE and no idp.yaml`, {
        hint: "set plugin.env IDP_PACKAGE=registry/repo:version in the Application, or point its path at a package with idp.lock",
      });
    }
    const spec = await readPackageSpec(options.cwd);
    const lock = await readLockfile(options.cwd);
    if (!lock && spec.dependencies.length) throw new NotFoundError(`${spec.name} has dependencies but no idp.lock`, { hint: "run `idp deps lock` and commit idp.lock: the plugin deploys only pinned digests" });
    const packages = orderByDependencies((lock?.packages ?? []).map((p) => ({ ...p, dependencies: p.dependencies.map((d) => d.repository) })));
    const pulled = await pullPackages(packages, index, work);
    const objects: Record<string, unknown>[] = [];
    for (const p of pulled) objects.push(...(await render(p.directory)));
    objects.push(...(await renderOwnFiles(options.cwd, spec.include, spec.exclude, (dir) => render(dir, spec.exclude))));
    return { objects, packages: packages.map(({ name, repository, version, digest }) => ({ name, repository, version, digest })) };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The reference, resolved once to the digest that will be pulled (and checked against IDP_DIGEST). */
async function pinPackage(text: string, env: PluginEnv, index: StorePackageIndex): Promise<Generated["packages"][number]> {
  const ref = parseRegistryReference(text);
  const repository = `${ref.registry}/${ref.repository}`;
  let reference = ref.digest ?? ref.tag;
  if (!reference) {
    const range = env.ARGOCD_ENV_IDP_VERSION ?? "*";
    const versions = (await index.tags(repository)).filter((t) => semver.valid(t) !== null && semver.clean(t) === t && semver.satisfies(t, range));
    reference = versions.sort(semver.rcompare)[0];
    if (!reference) throw new NotFoundError(`no version of ${repository} satisfies ${range}`);
  }
  const found = await index.find(repository, reference);
  if (env.ARGOCD_ENV_IDP_DIGEST && found.manifest.digest !== env.ARGOCD_ENV_IDP_DIGEST) {
    throw new DigestMismatchError(`${text} is ${found.manifest.digest}, not the pinned ${env.ARGOCD_ENV_IDP_DIGEST}`, {
      hint: "the tag moved since the digest was pinned; update IDP_DIGEST if the new content is expected",
    });
  }
  return { name: found.config.name, repository, version: found.config.version, digest: found.manifest.digest };
}

/** The package's own files (what it would ship), rendered like a pulled package. */
async function renderOwnFiles(dir: string, include: string[], exclude: string[], render: (dir: string) => Promise<Record<string, unknown>[]>): Promise<Record<string, unknown>[]> {
  const shipped = await listPackageFiles(dir, include, exclude);
  if (!shipped.some((f) => /\.(ya?ml|json)$/i.test(f.path))) return [];
  return render(dir);
}
