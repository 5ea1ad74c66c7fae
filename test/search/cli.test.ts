import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { mkdirSync, writeFileSync } from "node:fs";
import { idpBinary, startIdp, type IdpServer } from "../helpers/idp.ts";
import { run } from "../helpers/process.ts";
import { testHome, type TestHome } from "../registries/setup.ts";

/** `idp index refresh` and `idp search` through the compiled binary against a real idp serve. */
let server: IdpServer;
let home: TestHome;

async function cli(args: string[], allowFail = false) {
  return run([idpBinary(), ...args], { env: home.env, cwd: home.path, allowFail });
}

beforeAll(async () => {
  server = await startIdp();
  home = testHome();
  mkdirSync(join(home.path, "files"));
  writeFileSync(join(home.path, "files", "a.yaml"), "kind: ConfigMap\n");
  await cli(["registry", "add", "local", `http://${server.host}`, "--skip-probe"]);
  for (const [repo, description] of [["platform/ingress", "Ingress controller"], ["platform/cert-manager", "Certificates for everyone"]]) {
    await cli(["push", `local/${repo}:1.0.0`, "files", "-a", `org.opencontainers.image.description=${description}`, "-q"]);
  }
});
afterAll(async () => {
  await server?.stop();
  home?.remove();
});

describe("idp search and idp index refresh", () => {
  test("search builds the index the first time, then answers from it; --json for scripts", async () => {
    const first = await cli(["search", "ingress"]);
    expect(first.stderr).toMatch(/indexed local first \(2 repositories/);
    expect(first.stdout).toMatch(/^NAME\s+LATEST\s+DESCRIPTION\s+WHERE\ningress\s+1\.0\.0\s+Ingress controller\s+127\.0\.0\.1:\d+\/platform\/ingress\n$/);
    const json = JSON.parse((await cli(["search", "certificates", "--registry", "local", "--json"])).stdout) as { hits: { name: string; source: string }[] };
    expect(json.hits.map((h) => [h.name, h.source])).toEqual([["cert-manager", "index"]]);
  });

  test("index refresh reports what changed; an unknown registry is a clear error", async () => {
    const refresh = JSON.parse((await cli(["index", "refresh", "--json"])).stdout) as { reports: { registry: string; changed: number; unchanged: number }[] };
    expect(refresh.reports).toEqual([expect.objectContaining({ registry: "local", changed: 0, unchanged: 2 })]);
    const unknown = await cli(["search", "x", "--registry", "nope"], true);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^error: no registry named "nope"\nhint: configured: local\n$/);
  });
});
