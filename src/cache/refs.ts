import { CACHE_WRITE } from "./durability.ts";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { writeFileAtomic } from "../content/layout/files.ts";
import { DescriptorSchema, type Descriptor } from "../oci/schemas.ts";

/** Directory of the cache's tag records. */
export const REFS_DIR = "refs";

/**
 * What the cache remembers about a tag: the manifest it last resolved to and when. One file
 * per tag (`refs/<registry>/<repository>/@tags/<tag>`; `@` cannot occur in repository names,
 * so tags never collide with nested repositories), replaced atomically, so concurrent idp
 * processes never lose each other's updates.
 */
export const CachedRefSchema = v.looseObject({
  descriptor: DescriptorSchema,
  resolvedAt: v.string(),
});
export type CachedRef = v.InferOutput<typeof CachedRefSchema>;

/**
 * The file of `repository`'s `tag` (repository is `registry/path`, already validated).
 *
 * @example refFile(root, "ghcr.io/org/app", "v1") // <root>/refs/ghcr.io/org/app/@tags/v1
 */
export function refFile(root: string, repository: string, tag: string): string {
  return join(root, REFS_DIR, ...repository.split("/"), "@tags", tag);
}

/**
 * Reads a ref; undefined when absent or unreadable (a ref is only a hint: the registry is the truth).
 *
 * @example (await readRef(refFile(root, repo, "v1")))?.descriptor.digest
 */
export async function readRef(path: string): Promise<CachedRef | undefined> {
  try {
    const parsed = v.safeParse(CachedRefSchema, JSON.parse(readFileSync(path, "utf8")));
    return parsed.success ? parsed.output : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Records that a tag resolved to `desc`, replacing the file atomically.
 *
 * @example await writeRef(root, refFile(root, repo, "v1"), desc);
 */
export async function writeRef(root: string, path: string, desc: Descriptor): Promise<void> {
  const record = { descriptor: { mediaType: desc.mediaType, digest: desc.digest, size: desc.size }, resolvedAt: new Date().toISOString() };
  await writeFileAtomic(root, path, `${JSON.stringify(record)}\n`, CACHE_WRITE);
}
