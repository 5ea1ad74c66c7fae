import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LayoutStore } from "../../src/content/layout/index.ts";
import { TarStore } from "../../src/content/tar/index.ts";
import { copy } from "../../src/copy/index.ts";
import { Digester } from "../../src/oci/digest.ts";
import { MediaType } from "../../src/oci/mediatypes.ts";
import type { Descriptor } from "../../src/oci/schemas.ts";
import { tempDir } from "../helpers/idp.ts";
import { run } from "../helpers/process.ts";
import { emptyConfig, manifestOf, type Item } from "./fixtures.ts";

const SIZE = 512 * 1024 * 1024;
const CHUNK = 1024 * 1024;

const base = new Uint8Array(CHUNK);
crypto.getRandomValues(base.subarray(0, 65536));
for (let i = 65536; i < CHUNK; i += 65536) base.copyWithin(i, 0, 65536);

/** The same 512 MiB every time: one random MiB, varied per chunk, generated as read. */
function generated(): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= SIZE) return controller.close();
      const chunk = base.slice();
      new DataView(chunk.buffer).setUint32(0, sent / CHUNK);
      sent += CHUNK;
      controller.enqueue(chunk);
    },
  }, { highWaterMark: 1 });
}

function status(field: "VmRSS" | "VmHWM"): number {
  const line = readFileSync("/proc/self/status", "utf8").split("\n").find((l) => l.startsWith(`${field}:`))!;
  return Number(/(\d+)/.exec(line)![1]) * 1024;
}

/**
 * Run by large.test.ts in a process of its own, so the peak resident set measures this
 * transfer and not the garbage other test files left in the test runner. Prints one JSON
 * line: the growth of the peak RSS over the baseline and the rates.
 */
const dir = tempDir("idp-large-");
try {
  // The digest of the generated content, computed as a producer would before pushing.
  const digester = new Digester();
  for await (const chunk of generated()) digester.update(chunk);
  const layer: Descriptor = { mediaType: MediaType.ociLayerGzip, digest: digester.digest(), size: SIZE };
  const config = emptyConfig();
  const manifest = manifestOf(config, [{ desc: layer, bytes: new Uint8Array(0) } as Item]);

  Bun.gc(true);
  const baseline = status("VmRSS");
  writeFileSync("/proc/self/clear_refs", "5"); // resets VmHWM (peak RSS) to the current RSS
  const started = performance.now();

  const a = await LayoutStore.open(join(dir.path, "a"));
  await a.push(layer, generated());
  await a.push(config.desc, config.bytes);
  await a.push(manifest.desc, manifest.bytes);
  await a.tag(manifest.desc, "big");
  const pushed = performance.now();

  const b = await LayoutStore.open(join(dir.path, "b"));
  await copy(a, "big", b, "big");
  const copied = performance.now();

  const check = new Digester();
  for await (const chunk of await b.fetch(layer)) check.update(chunk);
  const fetched = performance.now();
  if (check.digest() !== layer.digest || check.size !== SIZE) throw new Error("the layout copy does not verify");

  // The same blob served from a tar of the layout (an air-gap bundle) by byte range.
  const bundle = join(dir.path, "b.tar");
  await run(["tar", "-cf", bundle, "-C", b.path, "."]);
  const tarred = performance.now();
  const fromTar = new Digester();
  for await (const chunk of await (await TarStore.open(bundle)).fetch(layer)) fromTar.update(chunk);
  const read = performance.now();
  if (fromTar.digest() !== layer.digest) throw new Error("the tar read does not verify");

  const growth = status("VmHWM") - baseline;
  const rate = (ms: number) => Math.round(SIZE / 1024 / 1024 / (ms / 1000));
  console.log(
    JSON.stringify({ growth, baseline, push: rate(pushed - started), copy: rate(copied - pushed), fetch: rate(fetched - copied), tar: rate(read - tarred) }),
  );
} finally {
  dir.remove();
}
