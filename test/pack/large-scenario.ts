import { closeSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { extract, packLayer } from "../../src/pack/index.ts";
import { tempDir } from "../helpers/idp.ts";

const SIZE = 512 * 1024 * 1024;

function peakRss(): number {
  const line = readFileSync("/proc/self/status", "utf8").split("\n").find((l) => l.startsWith("VmHWM:"))!;
  return Number(/(\d+)/.exec(line)![1]) * 1024;
}

/**
 * Run by large.test.ts in a process of its own, so the peak resident set measures this
 * work and not what other test files left in the test runner. Prints one JSON line.
 */
const dir = tempDir("idp-pack-large-");
try {
  // Text that compresses like real files do; what is measured is memory, not deflate speed.
  const src = join(dir.path, "src");
  mkdirSync(join(src, "nested"), { recursive: true });
  const line = new TextEncoder().encode("the quick brown fox jumps over the lazy dog 0123456789\n".repeat(20_000));
  for (const [name, size] of [["big.txt", SIZE - 64 * 1024 * 1024], ["nested/more.txt", 64 * 1024 * 1024]] as const) {
    const fd = openSync(join(src, name), "w");
    for (let written = 0; written < size; written += line.byteLength) writeSync(fd, line, 0, Math.min(line.byteLength, size - written));
    closeSync(fd);
  }

  Bun.gc(true);
  const baseline = process.memoryUsage().rss;
  await Bun.write("/proc/self/clear_refs", "5");
  const started = performance.now();
  const { stream, done } = packLayer([{ path: src, name: "." }]);
  const result = await extract(stream, join(dir.path, "out"));
  const layer = await done;
  const seconds = (performance.now() - started) / 1000;
  const growth = peakRss() - baseline;
  const ok = result.bytes === SIZE && layer.uncompressedSize > SIZE && statSync(join(dir.path, "out/big.txt")).size === SIZE - 64 * 1024 * 1024;
  if (!ok) throw new Error("pack+extract did not round-trip the tree");
  console.log(JSON.stringify({ growth, rate: Math.round(SIZE / 1024 / 1024 / seconds), layer: layer.size }));
} finally {
  dir.remove();
}
