import { expect, test } from "bun:test";
import { join } from "node:path";
import { run } from "../helpers/process.ts";

/** Allowed growth of the peak resident set while a 512 MiB tree is packed and extracted. */
const RSS_BUDGET = 100 * 1024 * 1024;

test("packing and extracting a 512 MiB tree keeps memory flat", async () => {
  const { stdout } = await run([process.execPath, join(import.meta.dir, "large-scenario.ts")], { timeoutMs: 120_000 });
  const result = JSON.parse(stdout.trim().split("\n").pop()!) as { growth: number; rate: number; layer: number };
  console.log(`pack+extract 512 MiB: ${result.rate} MiB/s, layer ${(result.layer / 1024 / 1024).toFixed(1)} MiB, peak RSS growth ${(result.growth / 1024 / 1024).toFixed(1)} MiB`);
  expect(result.growth).toBeLessThan(RSS_BUDGET);
}, 120_000);
