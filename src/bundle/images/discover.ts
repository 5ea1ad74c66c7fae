import { Parser, type ReadEntry } from "tar";
import { parseYamlDocuments } from "../../config/yaml.ts";
import type { ReadOnlyStorage } from "../../content/types.ts";
import { InvalidInputError } from "../../errors/index.ts";
import { formatReference, parseRegistryReference } from "../../oci/reference.ts";
import type { Descriptor } from "../../oci/schemas.ts";
import { decompressed } from "../../pack/decompress.ts";
import { imagesOf } from "./objects.ts";

/** What a package's manifests say about the images they run. */
export interface DiscoveredImages {
  /** Normalised references (`docker.io/library/nginx:1.27`), each with where it is used. */
  images: Map<string, string[]>;
  /** What was not looked into, one sentence each. */
  notes: string[];
}

/** YAML files bigger than this are not read (Kubernetes objects are at most ~1.5 MiB). */
const MAX_FILE_BYTES = 8 * 1024 * 1024;
const YAML_FILE = /\.(ya?ml|json)$/i;

/**
 * Reads a package's layer (tar+gzip, streamed: never held whole) and collects the images its
 * Kubernetes objects run (see imagesOf). `kind` is the package's kind: a Helm chart's templates
 * are not rendered, so a Helm package yields a note instead of images; a kustomization's
 * `images:` overrides are not applied (the references are taken as the resources write them).
 *
 * @example const { images, notes } = await discoverImages(store, found.layer, found.config.kind);
 */
export async function discoverImages(store: ReadOnlyStorage, layer: Descriptor, kind: string): Promise<DiscoveredImages> {
  const out: DiscoveredImages = { images: new Map(), notes: [] };
  if (kind === "helm") {
    out.notes.push("a Helm chart package: its templates are not rendered, so its images are not discovered (bundle them by reference)");
    return out;
  }
  for await (const file of yamlFiles(await store.fetch(layer))) {
    if (file.tooBig) {
      out.notes.push(`${file.path} is larger than ${MAX_FILE_BYTES} bytes and was not read`);
      continue;
    }
    const { documents, errors } = parseYamlDocuments(file.text);
    if (errors.length > 0) {
      out.notes.push(`${file.path} is not plain YAML (${errors[0]!.message}), so its images are not discovered`);
      continue;
    }
    for (const doc of documents) {
      if (isKustomization(file.path) && hasImageOverrides(doc.value)) {
        out.notes.push(`${file.path}: kustomize images: overrides are not applied; images are bundled as the resources name them`);
        continue;
      }
      const found = imagesOf(doc.value);
      out.notes.push(...found.notes.map((n) => `${file.path}: ${n}`));
      for (const use of found.images) {
        let reference: string;
        try {
          const ref = parseRegistryReference(use.image);
          reference = formatReference(ref.tag === undefined && ref.digest === undefined ? { ...ref, tag: "latest" } : ref);
        } catch {
          out.notes.push(`${file.path}: ${use.where}: ${JSON.stringify(use.image)} is not a valid image reference`);
          continue;
        }
        const list = out.images.get(reference) ?? [];
        list.push(`${file.path}: ${use.where}`);
        out.images.set(reference, list);
      }
    }
  }
  return out;
}

function isKustomization(path: string): boolean {
  return /(^|\/)kustomization\.ya?ml$/i.test(path) || /(^|\/)Kustomization$/.test(path);
}

function hasImageOverrides(doc: unknown): boolean {
  return typeof doc === "object" && doc !== null && Array.isArray((doc as { images?: unknown }).images);
}

interface YamlFile {
  path: string;
  text: string;
  tooBig: boolean;
}

/** The YAML files of a (compressed) tar, one at a time, in archive order. */
async function* yamlFiles(source: ReadableStream<Uint8Array>): AsyncGenerator<YamlFile> {
  const parser = new Parser({ strict: true, maxMetaEntrySize: 1024 * 1024 });
  const ready: YamlFile[] = [];
  let failure: unknown;
  parser.on("entry", (entry: ReadEntry) => {
    const path = entry.path.replace(/^\.\//, "");
    if (entry.type !== "File" || !YAML_FILE.test(path)) {
      entry.resume();
      return;
    }
    if (entry.size > MAX_FILE_BYTES) {
      ready.push({ path, text: "", tooBig: true });
      entry.resume();
      return;
    }
    const chunks: Buffer[] = [];
    entry.on("data", (chunk: Buffer) => chunks.push(chunk));
    entry.on("end", () => ready.push({ path, text: Buffer.concat(chunks).toString("utf8"), tooBig: false }));
  });
  parser.on("error", (error: Error) => (failure = new InvalidInputError(`a package layer is not a valid tar: ${error.message}`)));
  for await (const chunk of decompressed(source)) {
    if (!parser.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))) await new Promise<void>((done) => parser.once("drain", () => done()));
    if (failure) throw failure;
    while (ready.length > 0) yield ready.shift()!;
  }
  await new Promise<void>((done) => {
    parser.once("end", () => done());
    parser.once("error", () => done());
    parser.end();
  });
  if (failure) throw failure;
  while (ready.length > 0) yield ready.shift()!;
}
