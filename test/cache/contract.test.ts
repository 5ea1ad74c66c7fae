import { MemoryStore } from "../../src/content/memory/index.ts";
import { CacheRepository, OciCache, PullThrough } from "../../src/cache/index.ts";
import { runReadOnlyTargetContract, runTargetContract } from "../content/contract.ts";
import { tempDir } from "../helpers/idp.ts";

/**
 * The cache is a Target like any other: its repository view keeps the whole contract (no
 * referrers: the cache is not asked for them), and a source read through the cache keeps
 * the read-only contract, whether the content comes from the source or from the cache.
 */
runTargetContract(
  "cache repository",
  async () => {
    const dir = tempDir("idp-cache-");
    const cache = await OciCache.open(dir.path);
    return { target: new CacheRepository(cache, "127.0.0.1:5000/team/app"), cleanup: async () => dir.remove() };
  },
  { referrers: false },
);

runReadOnlyTargetContract("pull-through (cold cache)", async (fixture) => {
  const dir = tempDir("idp-cache-");
  const source = new MemoryStore();
  for (const { desc, bytes } of fixture.items) await source.push(desc, bytes);
  for (const [tag, desc] of Object.entries(fixture.tags)) await source.tag(desc, tag);
  const through = new PullThrough(source, new CacheRepository(await OciCache.open(dir.path), "example.com/r"));
  return { target: through, cleanup: async () => dir.remove() };
});

runReadOnlyTargetContract("pull-through (warm cache)", async (fixture) => {
  const dir = tempDir("idp-cache-");
  const source = new MemoryStore();
  for (const { desc, bytes } of fixture.items) await source.push(desc, bytes);
  for (const [tag, desc] of Object.entries(fixture.tags)) await source.tag(desc, tag);
  const cache = new CacheRepository(await OciCache.open(dir.path), "example.com/r");
  for (const { desc, bytes } of fixture.items) await cache.push(desc, bytes);
  return { target: new PullThrough(source, cache), cleanup: async () => dir.remove() };
});
