import { digestOf } from "../oci/digest.ts";
import { repositoryScope } from "../remote/auth/scope.ts";
import type { RegistryClient } from "../remote/transport/client.ts";
import { readErrorBody } from "../remote/response.ts";
import type { Check } from "./probe.ts";

/** What the write probes found, and what they could not clean up. */
export interface WriteProbeResult {
  checks: Check[];
  leftBehind: string[];
  /** True once a blob is in the scratch repository (later read checks can use it). */
  stored: boolean;
}

/**
 * Pushes one small random blob into a scratch repository and learns from it: whether chunked
 * uploads work (two PATCHes, then PUT), whether a blob mounts into a second repository, and
 * whether blobs can be deleted; then deletes what it pushed. No manifest and no tag is ever
 * pushed, so nothing shows up in tag lists, and on most registries a repository holding only
 * a deleted blob is invisible. Whatever could not be deleted is reported as left behind.
 *
 * @example const { checks } = await writeProbes(client, "team/idp-registry-probe");
 */
export async function writeProbes(client: RegistryClient, repository: string): Promise<WriteProbeResult> {
  const bytes = crypto.getRandomValues(new Uint8Array(64));
  const digest = digestOf(bytes);
  const second = `${repository}-mount`;
  const push = [repositoryScope(repository, "pull", "push")];
  const checks: Check[] = [];
  const leftBehind: string[] = [];

  const chunked = await chunkedUpload(client, repository, bytes, digest, push);
  checks.push(chunked);
  let stored = chunked.result === "yes";
  if (!stored) {
    const mono = await monolithicUpload(client, repository, bytes, digest, push);
    stored = mono.ok;
    if (!stored) {
      for (const name of ["mount", "delete"]) checks.push({ name, result: "unknown", detail: `could not push the scratch blob: ${mono.detail}` });
      return { checks, leftBehind, stored };
    }
  }

  const mountScopes = [repositoryScope(second, "pull", "push"), repositoryScope(repository, "pull")];
  const mountUrl = client.url(`/v2/${second}/blobs/uploads/`);
  mountUrl.searchParams.set("mount", digest);
  mountUrl.searchParams.set("from", repository);
  const mount = await client.request({ method: "POST", url: mountUrl, scopes: mountScopes, headers: { "Content-Length": "0" } });
  await mount.body?.cancel().catch(() => {});
  const mounted = mount.status === 201;
  if (mount.status === 202) await cancelSession(client, mount, mountUrl, mountScopes);
  checks.push({ name: "mount", result: mounted ? "yes" : mount.status === 202 ? "no" : "unknown", detail: mounted ? `mounted ${digest.slice(0, 19)}… into ${second}` : `POST ?mount= answered ${mount.status}` });

  const deletes = await Promise.all([repository, ...(mounted ? [second] : [])].map(async (repo) => {
    const res = await client.request({ method: "DELETE", url: `/v2/${repo}/blobs/${digest}`, scopes: [repositoryScope(repo, "delete"), repositoryScope(repo, "pull", "push")] });
    const body = res.ok ? { codes: [] as string[] } : await readErrorBody(res);
    await res.body?.cancel().catch(() => {});
    if (res.status !== 202 && res.status !== 200 && res.status !== 204) leftBehind.push(`blob ${digest} in ${repo}`);
    return { status: res.status, codes: body.codes };
  }));
  const first = deletes[0]!;
  const deleted = [200, 202, 204].includes(first.status);
  const refused = first.status === 405 || first.codes.includes("UNSUPPORTED");
  checks.push({ name: "delete", result: deleted ? "yes" : refused ? "no" : first.status === 401 || first.status === 403 ? "restricted" : "unknown", detail: `DELETE blob answered ${first.status}${first.codes.length ? ` ${first.codes.join(",")}` : ""}` });
  return { checks, leftBehind, stored };
}

async function chunkedUpload(client: RegistryClient, repository: string, bytes: Uint8Array, digest: string, scopes: string[]): Promise<Check> {
  const start = await client.request({ method: "POST", url: `/v2/${repository}/blobs/uploads/`, scopes, headers: { "Content-Length": "0" } });
  await start.body?.cancel().catch(() => {});
  let location = start.headers.get("location");
  if (start.status !== 202 || !location) return { name: "chunkedUpload", result: start.status === 401 || start.status === 403 ? "restricted" : "unknown", detail: `starting an upload answered ${start.status}` };
  const minimum = start.headers.get("oci-chunk-min-length");
  const half = bytes.byteLength / 2;
  for (const [from, to] of [[0, half], [half, bytes.byteLength]] as const) {
    const url = client.url(location);
    const res = await client.request({
      method: "PATCH",
      url,
      scopes,
      body: bytes.subarray(from, to),
      headers: { "Content-Type": "application/octet-stream", "Content-Range": `${from}-${to - 1}`, "Content-Length": String(to - from) },
    });
    await res.body?.cancel().catch(() => {});
    if (res.status !== 202) {
      await cancelSession(client, res, url, scopes, location);
      return { name: "chunkedUpload", result: "no", detail: `the ${from === 0 ? "first" : "second"} PATCH answered ${res.status}${minimum ? ` (OCI-Chunk-Min-Length ${minimum})` : ""}` };
    }
    location = res.headers.get("location") ?? location;
  }
  const done = client.url(location);
  done.searchParams.set("digest", digest);
  const put = await client.request({ method: "PUT", url: done, scopes, headers: { "Content-Length": "0" } });
  await put.body?.cancel().catch(() => {});
  if (put.status !== 201) return { name: "chunkedUpload", result: "no", detail: `closing a chunked upload answered ${put.status}` };
  return { name: "chunkedUpload", result: "yes", detail: `two PATCHes and a PUT${minimum ? `; OCI-Chunk-Min-Length ${minimum}` : ""}` };
}

async function monolithicUpload(client: RegistryClient, repository: string, bytes: Uint8Array, digest: string, scopes: string[]): Promise<{ ok: boolean; detail: string }> {
  const start = await client.request({ method: "POST", url: `/v2/${repository}/blobs/uploads/`, scopes, headers: { "Content-Length": "0" } });
  await start.body?.cancel().catch(() => {});
  const location = start.headers.get("location");
  if (start.status !== 202 || !location) return { ok: false, detail: `POST answered ${start.status}` };
  const url = client.url(location);
  url.searchParams.set("digest", digest);
  const put = await client.request({ method: "PUT", url, scopes, body: bytes, headers: { "Content-Type": "application/octet-stream", "Content-Length": String(bytes.byteLength) } });
  await put.body?.cancel().catch(() => {});
  return { ok: put.status === 201, detail: `PUT answered ${put.status}` };
}

/** Ends an upload session we will not finish (registries expire them anyway). */
async function cancelSession(client: RegistryClient, res: Response, url: URL, scopes: string[], fallback?: string): Promise<void> {
  const location = res.headers.get("location") ?? fallback;
  if (!location) return;
  const cancel = await client.request({ method: "DELETE", url: new URL(location, url), scopes, retries: 0 }).catch(() => undefined);
  await cancel?.body?.cancel().catch(() => {});
}
