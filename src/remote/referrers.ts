import * as v from "valibot";
import { InvalidInputError, NotFoundError, RegistryResponseError } from "../errors/index.ts";
import { digestOf, parseDigest } from "../oci/digest.ts";
import { MediaType, bareMediaType } from "../oci/mediatypes.ts";
import { ImageIndexSchema, describeIssue, type Descriptor } from "../oci/schemas.ts";
import { pullScopes, repoPath, type RepoContext } from "./context.ts";
import { nextLink, pages } from "./listing.ts";
import { getManifest, putManifest } from "./manifests.ts";
import { KeyedMutex } from "../util/keyed-mutex.ts";

/** Serialises read-append-write of one subject's referrers tag index within this process. */
const indexLocks = new KeyedMutex();

/**
 * The referrers tag schema's tag for a subject (`sha256:ab…` → `sha256-ab…`): the algorithm
 * cut to 32 characters, the encoded part to 64, anything a tag may not hold turned into `-`.
 */
export function referrersTag(digest: string): string {
  const { algorithm, encoded } = parseDigest(digest);
  const clean = (s: string) => s.replace(/[^a-zA-Z0-9._-]/g, "-");
  return `${clean(algorithm.slice(0, 32))}-${clean(encoded.slice(0, 64))}`;
}

/**
 * Manifests whose `subject` is `desc`. Uses the referrers API; when it answers 404 without
 * NAME_UNKNOWN (a registry that predates it, e.g. Distribution 2.8), falls back to the
 * referrers tag schema, as oras-go does. Filters by `artifactType` itself when the registry
 * did not (no `OCI-Filters-Applied`).
 *
 * @example await listReferrers(ctx, subject, "application/vnd.example.sbom")
 */
export async function listReferrers(ctx: RepoContext, desc: Descriptor, artifactType?: string, signal?: AbortSignal): Promise<Descriptor[]> {
  const first = ctx.client.url(repoPath(ctx, `referrers/${desc.digest}`));
  if (artifactType) first.searchParams.set("artifactType", artifactType);
  const probe = await ctx.client.request({ method: "GET", url: first, scopes: pullScopes(ctx), headers: { Accept: MediaType.ociIndex }, ...(signal ? { signal } : {}) });
  if (probe.status === 404) {
    const error = await ctx.client.error(probe, "GET", first, ctx.repository);
    if (error instanceof RegistryResponseError && error.codes.includes("NAME_UNKNOWN")) {
      throw new NotFoundError(`repository ${ctx.repository} not found`, { cause: error });
    }
    return filter(await fromTagSchema(ctx, desc), artifactType);
  }
  if (probe.status !== 200) throw await ctx.client.error(probe, "GET", first, ctx.repository);
  const filtered = probe.headers.get("oci-filters-applied")?.split(",").map((s) => s.trim()).includes("artifactType") ?? false;
  const firstPage = await parseIndex(probe, ctx);
  const out = [...firstPage];
  const next = nextLink(probe.headers.get("link"), first);
  if (next) {
    for await (const page of pages({ client: ctx.client, first: next, scopes: pullScopes(ctx), schema: ImageIndexSchema, what: `referrers of ${desc.digest}`, repository: ctx.repository, ...(signal ? { signal } : {}) })) {
      out.push(...page.manifests);
    }
  }
  return filtered ? out : filter(out, artifactType);
}

function filter(list: Descriptor[], artifactType: string | undefined): Descriptor[] {
  return artifactType ? list.filter((d) => d.artifactType === artifactType) : list;
}

async function parseIndex(res: Response, ctx: RepoContext): Promise<Descriptor[]> {
  const type = bareMediaType(res.headers.get("content-type") ?? "");
  const text = await res.text();
  if (type !== MediaType.ociIndex && type !== "application/json") {
    throw new InvalidInputError(`referrers of ${ctx.repository} came as ${JSON.stringify(type)}, not an image index`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new InvalidInputError(`referrers of ${ctx.repository}: not JSON`);
  }
  const parsed = v.safeParse(ImageIndexSchema, doc);
  if (!parsed.success) throw new InvalidInputError(`referrers of ${ctx.repository}: ${describeIssue(parsed.issues)}`);
  return parsed.output.manifests;
}

async function fromTagSchema(ctx: RepoContext, desc: Descriptor): Promise<Descriptor[]> {
  try {
    const { bytes, descriptor } = await getManifest(ctx, referrersTag(desc.digest));
    if (descriptor.mediaType !== MediaType.ociIndex) return [];
    const parsed = v.safeParse(ImageIndexSchema, JSON.parse(new TextDecoder().decode(bytes)));
    return parsed.success ? parsed.output.manifests : [];
  } catch (error) {
    if (error instanceof NotFoundError) return [];
    throw error;
  }
}

/**
 * Adds `referrer` to the subject's referrers tag index (for registries without the referrers
 * API: the push answered no `OCI-Subject`). Read, append unless present, write back, one
 * subject at a time within this process (copy pushes referrers concurrently); races between
 * two separate clients are the tag schema's known limit.
 */
export async function addToReferrersIndex(ctx: RepoContext, subject: Descriptor, referrer: Descriptor): Promise<void> {
  const key = `${ctx.client.endpoint.base}/${ctx.repository}@${subject.digest}`;
  await indexLocks.run(key, async () => {
    const current = await fromTagSchema(ctx, subject);
    if (current.some((d) => d.digest === referrer.digest)) return;
    const index = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [...current, referrer] };
    const bytes = new TextEncoder().encode(JSON.stringify(index));
    const indexDesc = { mediaType: MediaType.ociIndex, digest: digestOf(bytes), size: bytes.byteLength };
    await putManifest(ctx, indexDesc, bytes, referrersTag(subject.digest));
  });
}
