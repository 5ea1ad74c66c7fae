/**
 * A separate idp-like process writing into a cache, for the concurrency and crash tests:
 * `bun writer.ts <cacheDir> <mode> [...]`.
 * - `same <n>`: pushes n deterministic blobs (the same in every writer) and tags a manifest.
 * - `slow <size>`: pushes one random blob of `size` bytes, slowly (to be killed mid-way).
 */
import { OciCache, CacheRepository } from "../../src/cache/index.ts";
import { digestOf } from "../../src/oci/digest.ts";
import { MediaType } from "../../src/oci/mediatypes.ts";

const [dir, mode, arg] = process.argv.slice(2);
const cache = await OciCache.open(dir!);
const repo = new CacheRepository(cache, "127.0.0.1:5000/shared/app");

if (mode === "same") {
  const n = Number(arg);
  const layers = Array.from({ length: n }, (_, i) => new TextEncoder().encode(`layer ${i} `.repeat(20_000)));
  const descs = layers.map((bytes) => ({ mediaType: MediaType.ociLayerGzip, digest: digestOf(bytes), size: bytes.byteLength }));
  await Promise.all(layers.map((bytes, i) => repo.push(descs[i]!, new Blob([bytes]).stream())));
  const config = new TextEncoder().encode("{}");
  const configDesc = { mediaType: MediaType.ociConfig, digest: digestOf(config), size: config.byteLength };
  await repo.push(configDesc, config);
  const manifest = new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: configDesc, layers: descs }));
  const desc = { mediaType: MediaType.ociManifest, digest: digestOf(manifest), size: manifest.byteLength };
  await repo.push(desc, manifest);
  await repo.tag(desc, "v1");
  console.log(desc.digest);
} else if (mode === "slow") {
  const size = Number(arg);
  const bytes = crypto.getRandomValues(new Uint8Array(size));
  const desc = { mediaType: MediaType.ociLayerGzip, digest: digestOf(bytes), size };
  console.log(desc.digest);
  let offset = 0;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (offset >= size) return controller.close();
      await Bun.sleep(20);
      controller.enqueue(bytes.subarray(offset, offset + 65_536));
      offset += 65_536;
    },
  });
  await repo.push(desc, stream);
}
