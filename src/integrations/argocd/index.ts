/**
 * Argo CD integration: Applications with the native OCI source from pushed packages (one per
 * package of a closure, in sync waves), hybrid git + OCI sources, repository Secrets for OCI
 * registries, and the Config Management Plugin route for Argo CD without native OCI.
 *
 * @example
 * import { renderApplications } from "./integrations/argocd/index.ts";
 * const { applications } = await renderApplications("127.0.0.1:5000/examples/ingress:1.2.0", { remote: {} });
 */
import type { RemoteOptions } from "../../remote/index.ts";
import { registryPackageIndex } from "../../package/open.ts";
import { InvalidInputError } from "../../errors/index.ts";
import { applicationsFor, type AppOptions } from "./app.ts";
import { packageTargets, type TargetOptions } from "./targets.ts";
import * as v from "valibot";
import { describeIssue } from "../../oci/schemas.ts";
import { ApplicationSchema, type Application } from "./schema.ts";

export { applicationsFor, ociRepoURL, syncWaves, type AppOptions, type PackageTarget } from "./app.ts";
export { formatObjects, objectFormat, type ObjectFormat } from "./format.ts";
export { parseGitRef, parseGitSource } from "./git-source.ts";
export type { Application, ApplicationSource } from "./schema.ts";

export interface RenderOptions extends AppOptions, Omit<TargetOptions, "range"> {
  remote: RemoteOptions;
}

/**
 * `idp argocd app`: reads the package (and its closure) from the registry and renders its
 * Applications. A semver range as revision needs a single package: a closure is pinned once.
 */
export async function renderApplications(source: string, options: RenderOptions): Promise<{ applications: Application[]; rootIncluded: boolean }> {
  const index = registryPackageIndex(options.remote);
  const range = typeof options.revision === "object" ? options.revision.range : undefined;
  const { targets, rootIncluded } = await packageTargets(source, index, { ...options, ...(range ? { range } : {}) });
  if (range && targets.length > 1) {
    throw new InvalidInputError(`--revision ${range} cannot pin ${targets[0]!.name}'s ${targets.length - 1} dependencies: a closure is resolved once`, {
      hint: "use --revision version or digest for a closure, or --without-deps to render the package alone with a range",
    });
  }
  const applications = applicationsFor(targets, options);
  for (const app of applications) {
    // What the flags put in must make an object the API server accepts.
    const checked = v.safeParse(ApplicationSchema, app);
    if (!checked.success) throw new InvalidInputError(`Application ${app.metadata.name}: ${describeIssue(checked.issues)}`, { hint: "check --name, --namespace and --dest-namespace" });
  }
  return { applications, rootIncluded };
}
