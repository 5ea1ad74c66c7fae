import { isSupportedAlgorithm, parseDigest, type DigestAlgorithm } from "../../src/oci/digest.ts";
import { isValidRepositoryName, isValidTag } from "../../src/oci/names.ts";
import { RegistryError } from "../errors.ts";
import type { RepoState } from "./repo-index.ts";

/**
 * The store's input checks and shared answers: every name, tag and digest is checked here
 * against the spec grammar before any storage access, with the OCI error each failure means.
 */

/** A page of a sorted listing and whether more follows. */
export interface Page {
  items: string[];
  /** The last item returned when more follow (the `last` of the next request). */
  next: string | undefined;
}

export function paginate(sorted: readonly string[], n: number | undefined, last: string | undefined): Page {
  let start = 0;
  if (last !== undefined) {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid]! <= last) lo = mid + 1;
      else hi = mid;
    }
    start = lo;
  }
  const end = n === undefined ? sorted.length : Math.min(sorted.length, start + n);
  const items = sorted.slice(start, end);
  const next = end < sorted.length && items.length > 0 ? items[items.length - 1] : undefined;
  return { items, next };
}

export function resolveReference(state: RepoState, reference: string): string | undefined {
  if (reference.includes(":")) {
    checkDigestSyntax(reference);
    return reference;
  }
  if (!isValidTag(reference)) throw new RegistryError("TAG_INVALID", `invalid tag ${JSON.stringify(reference.slice(0, 130))}`);
  return state.tags.get(reference);
}

export function checkName(repo: string): void {
  if (!isValidRepositoryName(repo)) {
    throw new RegistryError("NAME_INVALID", `invalid repository name ${JSON.stringify(repo.slice(0, 260))}`);
  }
}

/** Throws DIGEST_INVALID (400) unless the digest follows the grammar. */
export function checkDigestSyntax(digest: string): void {
  try {
    parseDigest(digest);
  } catch {
    throw new RegistryError("DIGEST_INVALID", `invalid digest ${JSON.stringify(digest.slice(0, 140))}`);
  }
}

/** A digest new content may be stored under: well formed and of an algorithm idp computes. */
export function checkPushDigest(digest: string): DigestAlgorithm {
  checkDigestSyntax(digest);
  const { algorithm } = parseDigest(digest);
  if (!isSupportedAlgorithm(algorithm)) {
    throw new RegistryError("DIGEST_INVALID", `unsupported digest algorithm ${algorithm}`, { detail: { supported: ["sha256", "sha512"] } });
  }
  return algorithm;
}

/** True when `digest` could name stored content (a malformed one is a 400 elsewhere). */
export function storableDigest(digest: string): boolean {
  checkDigestSyntax(digest);
  return isSupportedAlgorithm(parseDigest(digest).algorithm);
}

export function blobUnknown(repo: string, digest: string): RegistryError {
  return new RegistryError("BLOB_UNKNOWN", `blob ${digest} is not in ${repo}`, { detail: { digest } });
}

export function manifestUnknown(repo: string, reference: string): RegistryError {
  return new RegistryError("MANIFEST_UNKNOWN", `manifest ${reference} is not in ${repo}`, { detail: { reference } });
}
