import { chmodSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import * as v from "valibot";
import { AuthError, InvalidInputError } from "../../errors/index.ts";
import type { Credential } from "../../remote/index.ts";
import { hostnameOf, isLoopback } from "../../remote/transport/endpoint.ts";
import { DEFAULT_APP_NAMESPACE } from "./schema.ts";

/**
 * Argo CD repository Secrets for an OCI registry. Argo CD reads repositories from Secrets
 * labelled `argocd.argoproj.io/secret-type`: `repo-creds` is a credential template that applies
 * to every repository whose URL starts with its `url`; `repository` describes one repository,
 * with its connection settings (`insecure`: skip TLS verification; `insecureOCIForceHttp`:
 * plain HTTP). Secrets carry credentials: callers write them to a 0600 file or, when asked
 * explicitly, to stdout, and never anywhere else.
 */

export const SECRET_TYPE_LABEL = "argocd.argoproj.io/secret-type";

export const RepoSecretSchema = v.strictObject({
  apiVersion: v.literal("v1"),
  kind: v.literal("Secret"),
  type: v.literal("Opaque"),
  metadata: v.strictObject({
    name: v.string(),
    namespace: v.string(),
    labels: v.record(v.string(), v.string()),
  }),
  stringData: v.strictObject({
    type: v.literal("oci"),
    url: v.string(),
    username: v.optional(v.string()),
    password: v.optional(v.string()),
    project: v.optional(v.string()),
    insecure: v.optional(v.literal("true")),
    insecureOCIForceHttp: v.optional(v.literal("true")),
  }),
});
export type RepoSecret = v.InferOutput<typeof RepoSecretSchema>;

export interface RepoSecretOptions {
  /** `host[:port][/prefix]` as Argo CD reaches the registry. */
  registry: string;
  /** Credentials for it (username and password; Argo CD cannot use tokens idp keeps). */
  credential?: Credential;
  /** Repositories under the registry (and prefix) to write a `repository` Secret for each. */
  repositories?: string[];
  /** Namespace Argo CD runs in (default `argocd`). */
  namespace?: string;
  /** Name of the credential template Secret (default derived from the registry). */
  name?: string;
  /** Argo CD project the repositories are scoped to. */
  project?: string;
  /** Plain HTTP (default: for loopback registries, as idp itself does). */
  plainHttp?: boolean;
  /** Skip TLS verification. */
  insecure?: boolean;
}

/** `registry.example.com:5000/team` → `idp-oci-registry-example-com-5000-team` (a DNS subdomain). */
export function secretName(text: string): string {
  const slug = text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
  return `idp-oci-${slug}`.slice(0, 253).replace(/-+$/, "");
}

/**
 * The credential template for the registry, then one `repository` Secret per named repository.
 *
 * @example repoSecrets({ registry: "registry.example.com/platform", credential: { username, password }, repositories: ["ingress"] })
 */
export function repoSecrets(options: RepoSecretOptions): RepoSecret[] {
  const registry = options.registry.replace(/^oci:\/\//, "").replace(/\/+$/, "");
  const host = registry.split("/")[0]!;
  hostnameOf(host); // refuses what is not host[:port]
  const credential = options.credential;
  if (credential && (credential.identityToken || credential.registryToken) && !credential.password) {
    throw new AuthError(`the credentials idp has for ${host} are a token, which Argo CD cannot use`, {
      hint: "give a username and password (or access token as password) with --username and --password-stdin",
    });
  }
  const plainHttp = options.plainHttp ?? isLoopback(hostnameOf(host));
  const namespace = options.namespace ?? DEFAULT_APP_NAMESPACE;
  const secret = (kind: "repo-creds" | "repository", name: string, url: string, withCredentials: boolean): RepoSecret => {
    const data: RepoSecret["stringData"] = { type: "oci", url };
    if (withCredentials && credential?.password) {
      data.username = credential.username ?? "";
      data.password = credential.password;
    }
    if (options.project) data.project = options.project;
    if (options.insecure) data.insecure = "true";
    if (plainHttp) data.insecureOCIForceHttp = "true";
    return { apiVersion: "v1", kind: "Secret", type: "Opaque", metadata: { name, namespace, labels: { [SECRET_TYPE_LABEL]: kind } }, stringData: data };
  };
  const out = [secret("repo-creds", options.name ?? secretName(registry), `oci://${registry}`, true)];
  for (const repo of options.repositories ?? []) {
    const path = repo.replace(/^\/+|\/+$/g, "");
    if (!/^[a-z0-9]+([._/-][a-z0-9]+)*$/.test(path)) throw new InvalidInputError(`--repository ${JSON.stringify(repo)} is not a repository name`);
    // Credentials come from the template (Argo CD fills a repository's missing ones from it).
    out.push(secret("repository", secretName(`${registry}/${path}`), `oci://${registry}/${path}`, false));
  }
  return out;
}

/**
 * Writes text holding secrets: mode 0600 from the first byte (a temporary file beside it,
 * renamed into place), so it is never world-readable nor half-written.
 *
 * @example writeSecretFile("argocd-repo.yaml", formatObjects(secrets, "yaml"))
 */
export function writeSecretFile(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, text, { mode: 0o600, flag: "wx" });
    chmodSync(temp, 0o600);
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}
