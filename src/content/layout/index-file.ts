import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { InvalidInputError } from "../../errors/index.ts";
import { Annotation, MediaType } from "../../oci/mediatypes.ts";
import { LayoutIndexSchema, describeIssue, type Descriptor, type ImageIndex } from "../../oci/schemas.ts";
import { plainDescriptor } from "../descriptor.ts";
import { writeFileAtomic, type WritePolicy } from "./files.ts";

/**
 * `index.json` of an OCI image layout: the layout's roots. Tagged manifests carry their tag in
 * `org.opencontainers.image.ref.name` (what skopeo, umoci and oras read and write); manifests
 * pushed without a tag are listed without one, so that every manifest stays reachable from
 * index.json (umoci gc and others delete what is not) until it is deleted. A manifest listed
 * by an index that is itself a root needs no entry of its own.
 */

export const INDEX_FILE = "index.json";

/** The tag an index.json entry carries, if any. */
export function refName(desc: Descriptor): string | undefined {
  return desc.annotations?.[Annotation.refName];
}

/**
 * Reads and validates index.json; a layout without one is empty.
 *
 * @example const { manifests } = await readIndex(root);
 */
export async function readIndex(root: string): Promise<ImageIndex> {
  let text: string;
  try {
    text = readFileSync(join(root, INDEX_FILE), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return emptyIndex();
    throw error;
  }
  return parseIndex(text, root);
}

/** Validates index.json text (also used for the copy inside a tar). */
export function parseIndex(text: string, where: string): ImageIndex {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new InvalidInputError(`${INDEX_FILE} of layout ${where} is not JSON`);
  }
  const parsed = v.safeParse(LayoutIndexSchema, doc);
  if (!parsed.success) throw new InvalidInputError(`${INDEX_FILE} of layout ${where} is invalid: ${describeIssue(parsed.issues)}`);
  return parsed.output;
}

export function emptyIndex(): ImageIndex {
  return { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] };
}

/** Atomically replaces index.json, keeping any other fields the document had. */
export async function writeIndex(root: string, index: ImageIndex, options: WritePolicy = {}): Promise<void> {
  await writeFileAtomic(root, join(root, INDEX_FILE), `${JSON.stringify(index, null, 2)}\n`, options);
}

/**
 * Adds a pushed manifest as an untagged root unless index.json lists it already, and drops
 * the untagged entries of the manifests it lists (they are reachable through it now).
 */
export function addRoot(manifests: Descriptor[], desc: Descriptor, children: readonly string[]): Descriptor[] {
  const drop = new Set(children);
  const out = manifests.filter((d) => refName(d) !== undefined || !drop.has(d.digest));
  if (!out.some((d) => d.digest === desc.digest)) out.push(plainDescriptor(desc));
  return out;
}

/**
 * Points `tag` at `desc`: earlier entries of that tag go, as does the manifest's untagged
 * entry; a manifest that loses its last entry stays as an untagged root rather than vanish.
 */
export function setTag(manifests: Descriptor[], desc: Descriptor, tag: string): Descriptor[] {
  const moved = manifests.filter((d) => refName(d) === tag && d.digest !== desc.digest);
  let out = manifests.filter((d) => refName(d) !== tag && !(d.digest === desc.digest && refName(d) === undefined));
  out.push({ ...plainDescriptor(desc), annotations: { [Annotation.refName]: tag } });
  for (const old of moved) if (!out.some((d) => d.digest === old.digest)) out = [...out, plainDescriptor(old)];
  return out;
}

/** Every entry of `digest` removed. */
export function removeDigest(manifests: Descriptor[], digest: string): Descriptor[] {
  return manifests.filter((d) => d.digest !== digest);
}

/**
 * Serialises read-modify-write of one layout's index.json within this process (other
 * processes writing the same layout at the same time are not coordinated).
 */
const locks = new Map<string, Promise<void>>();
export async function withIndexLock<T>(root: string, fn: () => Promise<T>): Promise<T> {
  const previous = locks.get(root) ?? Promise.resolve();
  let release!: () => void;
  const current = new Promise<void>((done) => (release = done));
  const tail = previous.then(() => current);
  locks.set(root, tail);
  await previous;
  try {
    return await fn();
  } finally {
    release();
    if (locks.get(root) === tail) locks.delete(root);
  }
}
