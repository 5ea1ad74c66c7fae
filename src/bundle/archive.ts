import { closeSync, fsync, openSync, writeSync } from "node:fs";
import { rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { parseDigest } from "../oci/digest.ts";
import { OCI_LAYOUT_FILE } from "../oci/mediatypes.ts";
import type { Descriptor } from "../oci/schemas.ts";
import { tarBytes } from "../pack/tar-writer.ts";
import type { PackEntry } from "../pack/walk.ts";

/**
 * Writes the OCI image layout in `layoutDir` as the tar `output`: `oci-layout` and
 * `index.json` first (a reader streaming the tar learns what it holds before the blobs), then
 * only the blobs in `blobs` (what the index reaches; anything else in the directory, such as
 * the leftovers of an earlier, different request, stays out). Streamed file by file, a chunk
 * at a time; written to a temporary name beside `output`, synced and renamed, so `output`
 * appears only complete.
 *
 * @example await writeLayoutTar(workDir, [...walk.nodes.values()], "bundle.tar", new Date(0));
 */
export async function writeLayoutTar(layoutDir: string, blobs: readonly Descriptor[], output: string, mtime: Date, signal?: AbortSignal): Promise<number> {
  const temp = join(dirname(output), `.${basename(output)}.${process.pid}.tmp`);
  const fd = openSync(temp, "w", 0o644);
  let size = 0;
  try {
    for await (const chunk of tarBytes(entries(layoutDir, blobs), mtime)) {
      signal?.throwIfAborted();
      for (let offset = 0; offset < chunk.byteLength; ) offset += writeSync(fd, chunk, offset);
      size += chunk.byteLength;
    }
    await new Promise<void>((done, fail) => fsync(fd, (error) => (error ? fail(error) : done())));
    closeSync(fd);
    await rename(temp, output);
    return size;
  } catch (error) {
    try {
      closeSync(fd);
    } catch {
      // closed already
    }
    await unlink(temp).catch(() => {});
    throw error;
  }
}

async function* entries(root: string, blobs: readonly Descriptor[]): AsyncGenerator<PackEntry> {
  const file = (name: string, source: string, size: number): PackEntry => ({ name, type: "file", mode: 0o644, size, source });
  const dir = (name: string): PackEntry => ({ name, type: "directory", mode: 0o755, size: 0 });
  yield file(OCI_LAYOUT_FILE, join(root, OCI_LAYOUT_FILE), Bun.file(join(root, OCI_LAYOUT_FILE)).size);
  yield file("index.json", join(root, "index.json"), Bun.file(join(root, "index.json")).size);
  yield dir("blobs/");
  const byAlgorithm = new Map<string, Descriptor[]>();
  for (const desc of blobs) {
    const { algorithm } = parseDigest(desc.digest);
    const list = byAlgorithm.get(algorithm) ?? [];
    list.push(desc);
    byAlgorithm.set(algorithm, list);
  }
  for (const algorithm of [...byAlgorithm.keys()].sort()) {
    yield dir(`blobs/${algorithm}/`);
    const list = byAlgorithm.get(algorithm)!.sort((a, b) => (a.digest < b.digest ? -1 : 1));
    for (const desc of list) {
      const { encoded } = parseDigest(desc.digest);
      yield file(`blobs/${algorithm}/${encoded}`, join(root, "blobs", algorithm, encoded), desc.size);
    }
  }
}
