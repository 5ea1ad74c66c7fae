import { DigestMismatchError, InvalidInputError, NetworkError, NotFoundError, SizeLimitError } from "../errors/index.ts";
import { digestOf, isSupportedDigest, parseSupportedDigest } from "../oci/digest.ts";
import { MANIFEST_MEDIA_TYPES, MediaType, bareMediaType } from "../oci/mediatypes.ts";
import type { Descriptor } from "../oci/schemas.ts";
import { deleteScopes, pullScopes, pushScopes, readIdle, repoPath, retrying, type ReadResult, type RepoContext } from "./context.ts";

/** Manifests bigger than this are refused, as oras-go and containerd do (the spec says ≥ 4 MB should work). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** Every manifest type idp reads, OCI first. */
export const MANIFEST_ACCEPT = [MediaType.ociManifest, MediaType.ociIndex, MediaType.dockerManifest, MediaType.dockerManifestList];

/** Whether a descriptor names a manifest (fetched from /manifests/) rather than a blob. */
export function isManifest(desc: Pick<Descriptor, "mediaType">): boolean {
  return MANIFEST_MEDIA_TYPES.includes(bareMediaType(desc.mediaType));
}

function accept(preferred?: string): string {
  return [...new Set([...(preferred ? [preferred] : []), ...MANIFEST_ACCEPT])].join(", ");
}

/** A manifest as the registry served it. */
export interface FetchedManifest {
  descriptor: Descriptor;
  bytes: Uint8Array;
}

/**
 * GETs a manifest by tag or digest: at most 4 MiB, `Content-Type` must be a manifest type
 * (and the descriptor's, when one is given), `Docker-Content-Digest` and `Content-Length`
 * must agree with the bytes, and a digest reference must match them.
 *
 * @example const { descriptor, bytes } = await getManifest(ctx, "v1");
 */
export function getManifest(ctx: RepoContext, reference: string, expected?: Descriptor, signal?: AbortSignal): Promise<FetchedManifest> {
  return retrying(ctx, () => getManifestOnce(ctx, reference, expected, signal));
}

async function getManifestOnce(ctx: RepoContext, reference: string, expected?: Descriptor, signal?: AbortSignal): Promise<FetchedManifest> {
  const path = repoPath(ctx, `manifests/${reference}`);
  const res = await ctx.client.request({
    method: "GET",
    url: path,
    scopes: pullScopes(ctx),
    headers: { Accept: accept(expected?.mediaType) },
    ...(signal ? { signal } : {}),
  });
  if (res.status === 404) {
    const cause = await ctx.client.error(res, "GET", path, ctx.repository);
    throw new NotFoundError(`manifest ${reference} not found in ${ctx.repository}`, { cause });
  }
  if (res.status !== 200) throw await ctx.client.error(res, "GET", path, ctx.repository);
  const mediaType = bareMediaType(res.headers.get("content-type") ?? "");
  const length = res.headers.get("content-length");
  if (length !== null && Number(length) > MAX_MANIFEST_BYTES) {
    await res.body?.cancel().catch(() => {});
    throw new SizeLimitError(`manifest ${reference} of ${ctx.repository} is ${length} bytes, over the ${MAX_MANIFEST_BYTES}-byte limit`);
  }
  const bytes = await readCapped(res, MAX_MANIFEST_BYTES, ctx.client.sender.options.policy.timeoutMs, reference);
  const digest = digestOf(bytes, expected ? parseSupportedDigest(expected.digest).algorithm : "sha256");
  if (!MANIFEST_MEDIA_TYPES.includes(mediaType)) {
    throw new InvalidInputError(`registry served manifest ${reference} of ${ctx.repository} as ${JSON.stringify(mediaType || "no Content-Type")}, not a manifest type`);
  }
  if (expected && bareMediaType(expected.mediaType) !== mediaType) {
    throw new InvalidInputError(`registry served manifest ${expected.digest} as ${mediaType}, expected ${expected.mediaType}`);
  }
  if (length !== null && Number(length) !== bytes.byteLength) {
    throw new DigestMismatchError(`manifest ${reference} of ${ctx.repository}: announced ${length} bytes, got ${bytes.byteLength}`);
  }
  const served = res.headers.get("docker-content-digest");
  const wanted = expected?.digest ?? (isSupportedDigest(reference) ? reference : undefined);
  if (wanted !== undefined && digestOf(bytes, parseSupportedDigest(wanted).algorithm) !== wanted) {
    throw new DigestMismatchError(`manifest ${wanted} from ${ctx.repository} does not match its digest`);
  }
  if (expected && bytes.byteLength !== expected.size) {
    throw new DigestMismatchError(`manifest ${expected.digest} from ${ctx.repository} is ${bytes.byteLength} bytes, expected ${expected.size}`);
  }
  if (served && wanted === undefined && isSupportedDigest(served) && digestOf(bytes, parseSupportedDigest(served).algorithm) !== served) {
    throw new DigestMismatchError(`manifest ${reference} of ${ctx.repository} does not match the digest the registry announced (${served})`);
  }
  return { descriptor: { mediaType, digest: wanted ?? digest, size: bytes.byteLength }, bytes };
}

/**
 * The descriptor a tag or digest names, by HEAD; falls back to GET when the registry leaves
 * out `Docker-Content-Digest`, `Content-Type` or `Content-Length` on HEAD (as containerd does).
 */
export async function resolveManifest(ctx: RepoContext, reference: string, signal?: AbortSignal): Promise<Descriptor> {
  const path = repoPath(ctx, `manifests/${reference}`);
  const res = await ctx.client.request({ method: "HEAD", url: path, scopes: pullScopes(ctx), headers: { Accept: accept() }, ...(signal ? { signal } : {}) });
  if (res.status === 404) throw new NotFoundError(`manifest ${reference} not found in ${ctx.repository}`);
  if (res.status !== 200) {
    if (res.status >= 400 && res.status !== 401 && res.status !== 403 && res.status < 500) return (await getManifest(ctx, reference, undefined, signal)).descriptor;
    throw await ctx.client.error(res, "HEAD", path, ctx.repository);
  }
  const digest = res.headers.get("docker-content-digest");
  const mediaType = bareMediaType(res.headers.get("content-type") ?? "");
  const length = res.headers.get("content-length");
  if (!digest || !isSupportedDigest(digest) || !MANIFEST_MEDIA_TYPES.includes(mediaType) || length === null || !/^\d+$/.test(length)) {
    return (await getManifest(ctx, reference, undefined, signal)).descriptor;
  }
  if (isSupportedDigest(reference) && digest !== reference) {
    throw new DigestMismatchError(`registry resolved ${reference} of ${ctx.repository} to ${digest}`);
  }
  return { mediaType, digest, size: Number(length) };
}

/** Whether a manifest or blob exists, by HEAD. */
export async function headExists(ctx: RepoContext, desc: Descriptor, scopes = pullScopes(ctx)): Promise<boolean> {
  const path = repoPath(ctx, `${isManifest(desc) ? "manifests" : "blobs"}/${desc.digest}`);
  const res = await ctx.client.request({
    method: "HEAD",
    url: path,
    scopes,
    ...(isManifest(desc) ? { headers: { Accept: accept(desc.mediaType) } } : {}),
  });
  if (res.status === 200) return true;
  if (res.status === 404) return false;
  throw await ctx.client.error(res, "HEAD", path, ctx.repository);
}

/**
 * PUTs a manifest under `reference` (its digest, or a tag) with `Content-Type` = its media
 * type (the CVE-2021-41190 rule). Returns whether the registry answered `OCI-Subject`, i.e.
 * maintains referrers itself.
 */
export async function putManifest(ctx: RepoContext, desc: Descriptor, bytes: Uint8Array, reference: string): Promise<{ subjectHandled: boolean }> {
  if (bytes.byteLength !== desc.size || digestOf(bytes, parseSupportedDigest(desc.digest).algorithm) !== desc.digest) {
    throw new DigestMismatchError(`manifest bytes do not match ${desc.digest} (${desc.size} bytes)`);
  }
  const path = repoPath(ctx, `manifests/${reference}`);
  const res = await ctx.client.request({
    method: "PUT",
    url: path,
    scopes: pushScopes(ctx),
    headers: { "Content-Type": desc.mediaType },
    body: bytes,
  });
  if (res.status !== 201 && res.status !== 200 && res.status !== 202) throw await ctx.client.error(res, "PUT", path, ctx.repository);
  await res.body?.cancel().catch(() => {});
  const served = res.headers.get("docker-content-digest");
  if (served && isSupportedDigest(served) && parseSupportedDigest(served).algorithm === parseSupportedDigest(desc.digest).algorithm && served !== desc.digest) {
    throw new DigestMismatchError(`registry stored manifest ${desc.digest} of ${ctx.repository} as ${served}`);
  }
  return { subjectHandled: res.headers.has("oci-subject") };
}

/** DELETEs a manifest or blob by digest. */
export async function deleteContent(ctx: RepoContext, desc: Descriptor): Promise<void> {
  const path = repoPath(ctx, `${isManifest(desc) ? "manifests" : "blobs"}/${desc.digest}`);
  const res = await ctx.client.request({ method: "DELETE", url: path, scopes: deleteScopes(ctx) });
  if (res.status === 404) {
    const cause = await ctx.client.error(res, "DELETE", path, ctx.repository);
    throw new NotFoundError(`${desc.digest} not found in ${ctx.repository}`, { cause });
  }
  if (res.status !== 202 && res.status !== 200 && res.status !== 204) throw await ctx.client.error(res, "DELETE", path, ctx.repository);
  await res.body?.cancel().catch(() => {});
}

/** Reads a body up to `limit` bytes (one more is an error), with the idle timeout. */
export async function readCapped(res: Response, limit: number, idleMs: number, what: string): Promise<Uint8Array> {
  const reader = res.body?.getReader();
  if (!reader) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    let result: ReadResult;
    try {
      result = await readIdle(reader, idleMs, () => new NetworkError(`reading ${what} stalled`));
    } catch (error) {
      await reader.cancel().catch(() => {});
      throw error instanceof NetworkError ? error : new NetworkError(`reading ${what} broke off`);
    }
    const { done, value } = result;
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw new SizeLimitError(`${what} is over the ${limit}-byte limit`);
    }
    chunks.push(value);
  }
  return new Uint8Array(Buffer.concat(chunks));
}
