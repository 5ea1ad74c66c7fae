/**
 * Dependency resolution at scale: 200 packages × 5 versions, ~3 dependencies each, pushed
 * to a fresh `idp serve`, then resolved from a root that needs 7 of them. Prints the time and
 * the registry requests (counted from the server's access log).
 *
 *   bun bench/resolve.ts
 *
 * No peer tool resolves OCI package graphs, so there is no ratio: the numbers to watch are
 * the time and "tag lists per repository" (must be 1).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildPackage } from "../src/package/build.ts";
import { registryPackageIndex } from "../src/package/open.ts";
import { pushPackage } from "../src/package/push.ts";
import { resolveDependencies } from "../src/package/resolve.ts";
import { openRepository } from "../src/remote/index.ts";
import { IDP_BIN } from "../test/helpers/idp.ts";
import { freePort, waitForHttp } from "../test/helpers/process.ts";

const PACKAGES = 200;
const VERSIONS = 5;
const work = mkdtempSync(join(tmpdir(), "idp-bench-resolve-"));
const port = freePort();
const host = `127.0.0.1:${port}`;
const server = Bun.spawn([IDP_BIN, "serve", "--listen", host, "--root", join(work, "registry"), "--log-format", "json"], { stdout: "ignore", stderr: "pipe" });
let requests = 0;
void (async () => {
  const decoder = new TextDecoder();
  for await (const chunk of server.stderr as ReadableStream<Uint8Array>) requests += decoder.decode(chunk).split("\n").filter((l) => l.includes('"method"')).length;
})();

try {
  await waitForHttp(`http://${host}/v2/`);
  // Package i depends on up to 3 of i+7, i+14, i+21 with ranges that some versions narrow.
  const specs: { name: string; version: string; deps: string[] }[] = [];
  for (let i = 0; i < PACKAGES; i++) {
    for (let v = 0; v < VERSIONS; v++) {
      const deps: string[] = [];
      for (let k = 1; k <= 3 && i + k * 7 < PACKAGES; k++) deps.push(`  - repository: bench/pkg${i + k * 7}\n    version: ">=1.${v % 3}.0 <2.0.0"\n`);
      specs.push({ name: `pkg${i}`, version: `1.${v}.0`, deps });
    }
  }
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < specs.length) {
        const s = specs[next++]!;
        const dir = join(work, "src", `${s.name}-${s.version}`);
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, "idp.yaml"), `name: ${s.name}\nversion: ${s.version}\n${s.deps.length ? `dependencies:\n${s.deps.join("")}` : ""}`);
        writeFileSync(join(dir, "cm.yaml"), `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${s.name}\ndata:\n  v: "${s.version}"\n`);
        const repo = await openRepository({ registry: host, repository: `bench/${s.name}` });
        await pushPackage(await buildPackage(dir), repo);
      }
    }),
  );
  process.stderr.write(`pushed ${specs.length} package versions in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);

  for (const round of [1, 2, 3]) {
    const before = requests;
    const t0 = performance.now();
    const index = registryPackageIndex({});
    const root = { name: "root", version: "1.0.0", dependencies: Array.from({ length: 7 }, (_, i) => ({ repository: `bench/pkg${i}`, version: "^1.0.0" })) };
    const res = await resolveDependencies(root, index, { registry: host });
    const ms = performance.now() - t0;
    await Bun.sleep(200); // let the access log catch up
    const http = requests - before;
    console.log(
      `round ${round}: resolved ${res.packages.length} packages in ${ms.toFixed(0)} ms; ` +
        `${res.requests.tagLists} tag lists (1 per repository), ${res.requests.metadata} package configs read, ` +
        `${http} HTTP requests (${(http / res.packages.length).toFixed(1)} per package)`,
    );
  }
} finally {
  server.kill("SIGTERM");
  await server.exited;
  rmSync(work, { recursive: true, force: true });
}
