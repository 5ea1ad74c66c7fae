import type { Context } from "hono";
import { isValidRepositoryName } from "../../src/oci/names.ts";
import { RegistryError } from "../errors.ts";

/** The request path exactly as sent (no percent-decoding), without the query. */
export function rawPath(c: Context): string {
  const url = c.req.url;
  const start = url.indexOf("/", url.indexOf(":") + 3);
  const query = url.indexOf("?", start);
  return url.slice(start, query === -1 ? undefined : query);
}

/**
 * The repository name of a `/v2/<name><marker>…` request, taken from the raw path so that
 * percent-encoding (`a%2Fb`) can never smuggle in a separator: a name never needs encoding.
 */
export function repoName(c: Context, marker: string): string {
  const path = rawPath(c);
  const name = path.slice(4, path.lastIndexOf(marker));
  if (!isValidRepositoryName(name)) {
    throw new RegistryError("NAME_INVALID", `invalid repository name ${JSON.stringify(name.slice(0, 260))}`);
  }
  return name;
}

/** The last path segment (a tag, digest or upload id), percent-decoded. */
export function lastSegment(c: Context): string {
  const path = rawPath(c);
  const segment = path.slice(path.lastIndexOf("/") + 1);
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * A pagination count `n`: digits only, clamped to `max`. Returns undefined when absent;
 * anything else is PAGINATION_NUMBER_INVALID, so `n=-1` or `n=abc` never allocates.
 */
export function pageSize(c: Context, max: number): number | undefined {
  const raw = c.req.query("n");
  if (raw === undefined || raw === "") return undefined;
  if (!/^\d{1,20}$/.test(raw)) {
    throw new RegistryError("PAGINATION_NUMBER_INVALID", `n must be a non-negative integer, got ${JSON.stringify(raw.slice(0, 40))}`);
  }
  return Math.min(Number(raw), max);
}

/** `Link: <path?n=…&last=…>; rel="next"` for a paginated listing. */
export function nextLink(path: string, n: number, last: string, extra: Record<string, string> = {}): string {
  const query = new URLSearchParams({ ...extra, n: String(n), last });
  return `<${path}?${query}>; rel="next"`;
}

/**
 * Reads a request body up to `limit` bytes. A declared Content-Length over the limit is
 * refused before reading; an undeclared body is cut off at limit+1 bytes.
 */
export async function readLimited(request: Request, limit: number, what: string): Promise<Uint8Array> {
  const tooLarge = () => new RegistryError("MANIFEST_INVALID", `${what} is over the limit of ${limit} bytes`, { status: 413 });
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) throw tooLarge();
  if (!request.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/** True when the request carries a non-empty body. */
export function hasBody(request: Request): boolean {
  const length = request.headers.get("content-length");
  if (length !== null) return Number(length) > 0;
  return request.body !== null && request.headers.get("transfer-encoding") !== null;
}
