import * as v from "valibot";
import { InvalidInputError, NotFoundError } from "../errors/index.ts";
import { describeIssue } from "../oci/schemas.ts";
import { readCapped } from "./manifests.ts";
import type { RegistryClient } from "./transport/client.ts";

/** A tag list page: `{"name":…,"tags":[…]}` (some registries send `null` for none). */
export const TagListSchema = v.looseObject({
  name: v.optional(v.string()),
  tags: v.nullish(v.array(v.string())),
});

/** A catalog page: `{"repositories":[…]}`. */
export const CatalogSchema = v.looseObject({
  repositories: v.nullish(v.array(v.string())),
});

/** Largest listing page read (a page of 10,000 long tags is well under this). */
const PAGE_LIMIT = 16 * 1024 * 1024;

/**
 * The `rel="next"` target of a `Link` header (RFC 8288), resolved against the request URL.
 *
 * @example nextLink('</v2/a/tags/list?n=2&last=b>; rel="next"', base) // URL …?n=2&last=b
 */
export function nextLink(header: string | null, base: URL): URL | undefined {
  if (!header) return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (!match) continue;
    const rel = /;\s*rel\s*=\s*"?([^";]+)"?/i.exec(match[2] ?? "")?.[1];
    if (rel?.split(/\s+/).includes("next")) return new URL(match[1]!, base);
  }
  return undefined;
}

export interface PageSpec<S extends v.GenericSchema> {
  client: RegistryClient;
  first: URL;
  scopes: string[];
  schema: S;
  /** Names what is listed, for messages. */
  what: string;
  repository?: string;
  signal?: AbortSignal;
}

/**
 * Walks a paginated listing, page by page, following `Link: <…>; rel="next"` until there is
 * none; a page that repeats the previous URL ends the walk (a registry bug must not loop).
 */
export async function* pages<S extends v.GenericSchema>(spec: PageSpec<S>): AsyncGenerator<v.InferOutput<S>> {
  let url: URL | undefined = spec.first;
  const seen = new Set<string>();
  while (url && !seen.has(url.toString())) {
    seen.add(url.toString());
    const res = await spec.client.request({ method: "GET", url, scopes: spec.scopes, headers: { Accept: "application/json" }, ...(spec.signal ? { signal: spec.signal } : {}) });
    if (res.status === 404) {
      const cause = await spec.client.error(res, "GET", url, spec.repository);
      throw new NotFoundError(`${spec.what} not found`, { cause });
    }
    if (res.status !== 200) throw await spec.client.error(res, "GET", url, spec.repository);
    const bytes = await readCapped(res, PAGE_LIMIT, spec.client.sender.options.policy.timeoutMs, spec.what);
    let doc: unknown;
    try {
      doc = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      throw new InvalidInputError(`${spec.what}: the registry answered something that is not JSON`);
    }
    const parsed = v.safeParse(spec.schema, doc);
    if (!parsed.success) throw new InvalidInputError(`${spec.what}: ${describeIssue(parsed.issues)}`);
    yield parsed.output;
    url = nextLink(res.headers.get("link"), url);
  }
}
