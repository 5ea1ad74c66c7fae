/**
 * Pushes then pulls one large generated blob through the remote client and prints, as JSON,
 * this process's peak RSS during each phase and the throughput. Run as its own process by
 * memory.test.ts and bench scripts, so nothing else in the heap muddies the numbers.
 *
 * usage: bun big-transfer.ts <registry host> <size in MiB> [push|pull|both] [chunk MiB]
 * (`pull` expects a previous `push` of the same size in the same registry: the content is
 * derived from a fixed seed so both runs agree.)
 */
import { readFileSync } from "node:fs";
import { Digester } from "../../../src/oci/digest.ts";
import { MediaType } from "../../../src/oci/mediatypes.ts";
import { anonymous, openRepository } from "../../../src/remote/index.ts";

const [host, sizeArg, mode = "both", chunkArg] = process.argv.slice(2);
const MiB = 1024 * 1024;
const size = Number(sizeArg) * MiB;
/** Deterministic pseudo-random bytes (xorshift), so separate push and pull runs agree. */
const block = new Uint8Array(MiB);
let x = 0x9e3779b9;
for (let i = 0; i < block.length; i++) {
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  block[i] = x & 0xff;
}

/** The blob as a stream of 1 MiB chunks, each made unique by its index: never held whole. */
function generate(from = 0): ReadableStream<Uint8Array> {
  let index = Math.floor(from / MiB);
  let skip = from % MiB;
  return new ReadableStream(
    {
      pull(controller) {
        if (index * MiB >= size) return controller.close();
        const chunk = block.slice();
        new DataView(chunk.buffer).setFloat64(0, index);
        index++;
        controller.enqueue(skip > 0 ? chunk.subarray(skip) : chunk);
        skip = 0;
      },
    },
    { highWaterMark: 0 },
  );
}

function rss(): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
  return Number(match?.[1] ?? 0) * 1024;
}

let peak = 0;
const sampler = setInterval(() => (peak = Math.max(peak, rss())), 50);

const digester = new Digester();
for await (const chunk of generate()) digester.update(chunk);
const desc = { mediaType: MediaType.ociLayerGzip, digest: digester.digest(), size };
Bun.gc(true);
const baseline = rss();

const repo = await openRepository({ registry: host!, repository: "memory/big" }, { credentials: anonymous });
const tuning = chunkArg ? { chunkSize: Number(chunkArg) * MiB } : {};
let pushSeconds = Number.NaN;
let pushPeak = 0;
if (mode !== "pull") {
  peak = rss();
  const started = performance.now();
  await repo.push(desc, generate(), { reopen: async (offset) => generate(offset), tuning });
  pushSeconds = (performance.now() - started) / 1000;
  pushPeak = Math.max(peak, rss());
}
let pullSeconds = Number.NaN;
let pullPeak = 0;
let received = 0;
if (mode !== "push") {
  peak = rss();
  const started = performance.now();
  for await (const chunk of await repo.fetch(desc)) received += chunk.byteLength;
  pullSeconds = (performance.now() - started) / 1000;
  pullPeak = Math.max(peak, rss());
}
clearInterval(sampler);

console.log(JSON.stringify({
  sizeMiB: size / MiB,
  received,
  baselineMB: +(baseline / 1e6).toFixed(1),
  pushPeakMB: +(pushPeak / 1e6).toFixed(1),
  pullPeakMB: +(pullPeak / 1e6).toFixed(1),
  pushMiBs: +(size / MiB / pushSeconds).toFixed(1),
  pullMiBs: +(size / MiB / pullSeconds).toFixed(1),
}));
