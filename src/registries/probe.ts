import { AuthError } from "../errors/index.ts";
import { digestOf } from "../oci/digest.ts";
import { MediaType, bareMediaType } from "../oci/mediatypes.ts";
import { providerOf } from "../providers/catalog.ts";
import { probeV2 } from "../providers/discover.ts";
import type { ProviderContext } from "../providers/types.ts";
import { hasSecret } from "../remote/auth/credentials.ts";
import { CATALOG_SCOPE, repositoryScope } from "../remote/auth/scope.ts";
import { retryPolicy } from "../remote/retry/policy.ts";
import type { RegistryClient } from "../remote/transport/client.ts";
import { resolveEndpoint } from "../remote/transport/endpoint.ts";
import { HttpSender } from "../remote/transport/http.ts";
import { readErrorBody } from "../remote/response.ts";
import { VERSION } from "../version.ts";
import { writeProbes } from "./probe-writes.ts";

/** `yes`/`no` as probed; `restricted`: exists but these credentials may not; `unknown`: could not tell; `skipped`: not asked. */
export type Support = "yes" | "no" | "restricted" | "unknown" | "skipped";

export interface Check {
  name: string;
  result: Support;
  detail: string;
}

/** What `idp registry test` found. */
export interface TestReport {
  registry: string;
  host: string;
  provider: { kind: string; title: string; from: string };
  /** `Docker-Distribution-API-Version`, when sent. */
  apiVersion: string | undefined;
  /** The challenge of an anonymous `GET /v2/`: `none` when it needs no credentials. */
  auth: { scheme: string; realm?: string; service?: string };
  credentials: { source: string | undefined; result: "accepted" | "refused" | "none" };
  checks: Check[];
  /** Docker Hub's pull allowance, from `ratelimit-*` headers, when seen. */
  rateLimit?: { limit: string; remaining?: string };
  /** Content the write probes could not delete. */
  leftBehind: string[];
  /** Things worth knowing that are not a check (e.g. scratch repositories some registries keep listing). */
  notes: string[];
  ms: number;
}

export interface TestOptions {
  /** Repository for read checks (default: the catalog's first, else the scratch one). */
  repository?: string;
  /** Push a scratch blob to learn about uploads, mount and delete (default: the provider's choice). */
  write?: boolean;
}

/**
 * Probes a registry and reports what it supports: API version, authentication scheme and
 * whether the credentials work, catalog, tag listing, referrers API, chunked uploads,
 * cross-repository mount and delete. The write checks push one random 64-byte blob (never a
 * manifest or tag) into `<namespace>/idp-registry-probe` and delete it again; providers where
 * a push creates something undeletable (Docker Hub, GHCR) skip them unless asked.
 *
 * @example const report = await testRegistry(registryContext(requireRegistry(config, "corp")));
 */
export async function testRegistry(ctx: ProviderContext, options: TestOptions = {}): Promise<TestReport> {
  const started = performance.now();
  const provider = providerOf(ctx.registry.provider);
  const endpoint = await resolveEndpoint(ctx.registry.host, { ...(ctx.remote.insecure ? { insecure: true } : {}), ...(ctx.remote.plainHttp !== undefined ? { plainHttp: ctx.remote.plainHttp } : {}), ...(ctx.remote.caFile ? { caFile: ctx.remote.caFile } : {}) });
  const sender = new HttpSender({ endpoint, policy: retryPolicy(ctx.env, { retries: 1 }), userAgent: `idp/${VERSION}`, env: ctx.env });
  const anonymous = await probeV2(sender, endpoint.base);
  const report: TestReport = {
    registry: ctx.registry.name ?? ctx.registry.host,
    host: ctx.registry.host,
    provider: { kind: provider.kind, title: provider.title, from: ctx.registry.providerFrom },
    apiVersion: anonymous.headers.get("docker-distribution-api-version") ?? undefined,
    auth: anonymous.challenge ?? { scheme: anonymous.status === 200 ? "none" : `unknown (${anonymous.status})` },
    credentials: { source: undefined, result: "none" },
    checks: [],
    leftBehind: [],
    notes: [],
    ms: 0,
  };
  const credential = await ctx.credential().catch(() => undefined);
  const registry = await ctx.openRegistry();
  try {
    await registry.ping();
    report.credentials.result = hasSecret(credential) ? "accepted" : "none";
  } catch (error) {
    if (!(error instanceof AuthError)) throw error;
    report.credentials.result = hasSecret(credential) ? "refused" : "none";
  }
  report.credentials.source = hasSecret(credential) ? await ctx.credentialSource() : undefined;
  const client = registry.client;
  const seen = (res: Response) => rateLimitOf(res, report);

  const catalog = await catalogCheck(client, seen);
  report.checks.push(catalog.check);

  const namespace = ctx.registry.namespace ?? provider.defaultNamespace;
  const scratch = `${namespace && namespace !== "library" ? `${namespace}/` : ""}idp-registry-probe`;
  const write = options.write ?? provider.writeProbesByDefault;
  let readRepo = options.repository ?? catalog.first;
  if (write) {
    const writes = await writeProbes(client, scratch);
    report.checks.push(...writes.checks);
    report.leftBehind.push(...writes.leftBehind);
    if (writes.stored) report.notes.push(`the scratch repositories ${scratch} and ${scratch}-mount hold nothing now, but some registries keep listing them in the catalog (the OCI API cannot delete a repository)`);
    readRepo ??= writes.stored ? scratch : undefined;
  } else {
    for (const name of ["chunkedUpload", "mount", "delete"]) report.checks.push({ name, result: "skipped", detail: `not probed: ${provider.title} would keep what a probe pushes (pass --write to probe anyway)` });
  }
  report.checks.push(await tagListCheck(client, readRepo, seen));
  report.checks.push(await referrersCheck(client, readRepo, seen));
  if (provider.kind === "dockerhub") await rateLimitCheck(client, seen);
  report.ms = Math.round(performance.now() - started);
  return report;
}

async function catalogCheck(client: RegistryClient, seen: (res: Response) => void): Promise<{ check: Check; first: string | undefined }> {
  const res = await client.request({ method: "GET", url: "/v2/_catalog?n=1", scopes: [CATALOG_SCOPE], headers: { Accept: "application/json" } });
  seen(res);
  if (res.status === 200) {
    const body = (await res.json().catch(() => ({}))) as { repositories?: unknown };
    const first = Array.isArray(body.repositories) && typeof body.repositories[0] === "string" ? body.repositories[0] : undefined;
    return { check: { name: "catalog", result: "yes", detail: first ? `first repository: ${first}` : "empty" }, first };
  }
  await res.body?.cancel().catch(() => {});
  const result: Support = res.status === 401 || res.status === 403 ? "restricted" : res.status === 404 || res.status === 405 ? "no" : "unknown";
  return { check: { name: "catalog", result, detail: `GET /v2/_catalog answered ${res.status}` }, first: undefined };
}

async function tagListCheck(client: RegistryClient, repository: string | undefined, seen: (res: Response) => void): Promise<Check> {
  if (!repository) return { name: "tagList", result: "unknown", detail: "no repository to ask (pass --repository)" };
  const res = await client.request({ method: "GET", url: `/v2/${repository}/tags/list?n=1`, scopes: [repositoryScope(repository, "pull")], headers: { Accept: "application/json" } });
  seen(res);
  const { codes } = res.ok ? { codes: [] as string[] } : await readErrorBody(res);
  await res.body?.cancel().catch(() => {});
  if (res.ok) return { name: "tagList", result: "yes", detail: `GET /v2/${repository}/tags/list answered ${res.status}` };
  if (codes.includes("NAME_UNKNOWN")) return { name: "tagList", result: "unknown", detail: `${repository} has no tags yet` };
  return { name: "tagList", result: res.status === 401 || res.status === 403 ? "restricted" : "no", detail: `answered ${res.status}` };
}

async function referrersCheck(client: RegistryClient, repository: string | undefined, seen: (res: Response) => void): Promise<Check> {
  if (!repository) return { name: "referrers", result: "unknown", detail: "no repository to ask (pass --repository)" };
  const subject = digestOf(crypto.getRandomValues(new Uint8Array(16)));
  const res = await client.request({ method: "GET", url: `/v2/${repository}/referrers/${subject}`, scopes: [repositoryScope(repository, "pull")], headers: { Accept: MediaType.ociIndex } });
  seen(res);
  const type = bareMediaType(res.headers.get("content-type") ?? "");
  const { codes } = res.ok ? { codes: [] as string[] } : await readErrorBody(res);
  await res.body?.cancel().catch(() => {});
  if (res.status === 200 && type === MediaType.ociIndex) return { name: "referrers", result: "yes", detail: "the referrers API answers with an image index" };
  if (res.status === 200) return { name: "referrers", result: "no", detail: `answered 200 with ${type || "no content type"}, not an image index: idp uses the tag schema` };
  if (res.status === 404 && codes.includes("NAME_UNKNOWN")) return { name: "referrers", result: "unknown", detail: `${repository} does not exist yet` };
  if (res.status === 404) return { name: "referrers", result: "no", detail: "404: idp falls back to the referrers tag schema (sha256-<hex> tags)" };
  return { name: "referrers", result: res.status === 401 || res.status === 403 ? "restricted" : "unknown", detail: `answered ${res.status}` };
}

/**
 * Docker Hub's pull allowance: a HEAD of the manifest Docker documents for the purpose
 * (`ratelimitpreview/test`) answers with `ratelimit-limit`/`ratelimit-remaining` and does not
 * count as a pull.
 */
async function rateLimitCheck(client: RegistryClient, seen: (res: Response) => void): Promise<void> {
  const res = await client.request({ method: "HEAD", url: "/v2/ratelimitpreview/test/manifests/latest", scopes: [repositoryScope("ratelimitpreview/test", "pull")], headers: { Accept: MediaType.dockerManifest } }).catch(() => undefined);
  if (!res) return;
  seen(res);
  await res.body?.cancel().catch(() => {});
}

function rateLimitOf(res: Response, report: TestReport): void {
  const limit = res.headers.get("ratelimit-limit");
  if (!limit) return;
  const remaining = res.headers.get("ratelimit-remaining");
  report.rateLimit = { limit, ...(remaining ? { remaining } : {}) };
}
