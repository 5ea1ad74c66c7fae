import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync, existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { digestOf } from "../../src/oci/digest.ts";
import { startDistribution } from "../helpers/distribution.ts";
import { idpBinary, startIdp, tempDir, type RegistryUnderTest } from "../helpers/idp.ts";
import { peer } from "../helpers/peers.ts";
import { run } from "../helpers/process.ts";

/**
 * The everyday commands through the compiled binary, against idp serve and CNCF
 * Distribution 2.8, and round trips with oras, skopeo and crane on the same registry.
 */
const work = tempDir("idp-cli-");
const env = { ...process.env, IDP_HOME: join(work.path, "home"), DOCKER_CONFIG: join(work.path, "docker"), NO_COLOR: "1" };

async function idp(args: string[], options: { allowFail?: boolean; cwd?: string; stdin?: string } = {}) {
  return run([idpBinary(), ...args], { env, cwd: options.cwd ?? work.path, allowFail: options.allowFail ?? false, ...(options.stdin === undefined ? {} : { stdin: options.stdin }) });
}

function files(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...files(join(dir, e.name), rel));
    else out.push(rel);
  }
  return out.sort();
}

let site: string;
beforeAll(() => {
  site = join(work.path, "src");
  mkdirSync(join(site, "site", "css"), { recursive: true });
  writeFileSync(join(site, "notes.txt"), "release notes\n");
  writeFileSync(join(site, "site", "index.html"), "<h1>hi</h1>\n");
  writeFileSync(join(site, "site", "css", "a.css"), "h1{}\n");
});
afterAll(() => work.remove());

for (const kind of ["idp", "distribution"] as const) {
  describe(`idp commands against ${kind}`, () => {
    let reg: RegistryUnderTest;
    beforeAll(async () => {
      reg = kind === "idp" ? await startIdp() : await startDistribution();
    });
    afterAll(async () => {
      await reg?.stop();
    });

    test("push files and a directory with several tags, then pull them back byte for byte", async () => {
      const ref = `${reg.host}/cli/art:1.0.0,1.0,latest`;
      const pushed = await idp(["push", ref, "notes.txt", "site", "--json", "-a", "org.example.team=platform"], { cwd: site });
      const result = JSON.parse(pushed.stdout) as { digest: string; tags: string[]; layers: unknown[] };
      expect(result.tags).toEqual(["1.0.0", "1.0", "latest"]);
      expect(result.layers.length).toBe(2);
      const tags = (await idp(["tags", `${reg.host}/cli/art`])).stdout.trim().split("\n").sort();
      expect(tags).toEqual(["1.0", "1.0.0", "latest"]);
      expect((await idp(["resolve", `${reg.host}/cli/art:1.0`])).stdout.trim()).toBe(result.digest);

      const out = join(work.path, `pulled-${kind}`);
      const pulled = await idp(["pull", `${reg.host}/cli/art:latest`, "-o", out, "--quiet"]);
      expect(pulled.stdout.trim()).toBe(result.digest);
      expect(files(out)).toEqual(["notes.txt", "site/css/a.css", "site/index.html"]);
      expect(readFileSync(join(out, "site", "index.html"), "utf8")).toBe("<h1>hi</h1>\n");

      const again = await idp(["pull", `${reg.host}/cli/art:latest`, "-o", out], { allowFail: true });
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/^error: .*notes\.txt exists\nhint: pass --overwrite/m);
      expect((await idp(["pull", `${reg.host}/cli/art:latest`, "-o", out, "--overwrite", "-q"])).code).toBe(0);

      const inspect = JSON.parse((await idp(["manifest", "inspect", `${reg.host}/cli/art:1.0.0`, "--json"])).stdout) as { annotations: Record<string, string>; layers: { title: string }[] };
      expect(inspect.annotations["org.example.team"]).toBe("platform");
      expect(inspect.layers.map((l) => l.title)).toEqual(["notes.txt", "site"]);
      const raw = await run([idpBinary(), "manifest", "get", `${reg.host}/cli/art:1.0.0`], { env });
      expect(digestOf(raw.stdout)).toBe(result.digest);
    });

    test("re-pushing unchanged content uploads nothing, and the digest is reproducible", async () => {
      const first = JSON.parse((await idp(["push", `${reg.host}/cli/repro:a`, "site", "--json"], { cwd: site })).stdout) as { digest: string; bytes: number };
      const second = JSON.parse((await idp(["push", `${reg.host}/cli/repro:b`, "site", "--json"], { cwd: site })).stdout) as { digest: string; bytes: number; copied: number };
      expect(second.digest).toBe(first.digest);
      expect(second.bytes).toBe(0);
    });

    test("copy between repositories, into a layout and back, and tag", async () => {
      await idp(["push", `${reg.host}/cli/src:v1`, "notes.txt"], { cwd: site });
      const copied = JSON.parse((await idp(["copy", `${reg.host}/cli/src:v1`, `${reg.host}/cli/dst:v1`, "--json"])).stdout) as { mounted: number; digest: string };
      expect(copied.mounted).toBeGreaterThan(0);
      const layout = join(work.path, `layout-${kind}`);
      await idp(["copy", `${reg.host}/cli/dst:v1`, `oci-layout:${layout}:saved`]);
      expect((await idp(["tags", `oci-layout:${layout}`])).stdout.trim()).toBe("saved");
      await idp(["copy", `oci-layout:${layout}:saved`, `${reg.host}/cli/restored:v2`]);
      expect((await idp(["resolve", `${reg.host}/cli/restored:v2`])).stdout.trim()).toBe(copied.digest);
      await idp(["tag", `${reg.host}/cli/restored:v2`, "stable", "prod"]);
      expect((await idp(["tags", `${reg.host}/cli/restored`, "--json"])).stdout).toContain('"stable"');
      const catalog = JSON.parse((await idp(["catalog", reg.host, "--json"])).stdout) as { repositories: string[] };
      expect(catalog.repositories).toEqual(expect.arrayContaining(["cli/dst", "cli/restored", "cli/src"]));
    });

    test("delete removes the manifest; errors are one line with exit 1", async () => {
      await idp(["push", `${reg.host}/cli/gone:v1`, "notes.txt"], { cwd: site });
      const noYes = await idp(["delete", `${reg.host}/cli/gone:v1`], { allowFail: true });
      expect(noYes.code).toBe(2);
      await idp(["delete", `${reg.host}/cli/gone:v1`, "--yes"]);
      const missing = await idp(["resolve", `${reg.host}/cli/gone:v1`], { allowFail: true });
      expect(missing.code).toBe(1);
      expect(missing.stderr.split("\n")[0]).toMatch(/^error: .*v1/);
      const badRef = await idp(["resolve", `${reg.host}/Cli/Upper:v1`], { allowFail: true });
      expect(badRef.code).toBe(1);
      expect(badRef.stderr).toMatch(/^error: invalid reference .*bad repository name/m);
      expect(badRef.stderr).toMatch(/^hint: repository names must be lower-case: .*\/cli\/upper$/m);
      expect(badRef.stderr).not.toContain("    at ");
    });

    test("oras reads what idp pushes, and idp pulls what oras pushes", async () => {
      const oras = peer("oras");
      const pushed = JSON.parse((await idp(["push", `${reg.host}/cli/to-oras:v1`, "notes.txt", "site", "--json"], { cwd: site })).stdout) as { digest: string };
      const orasOut = join(work.path, `oras-out-${kind}`);
      mkdirSync(orasOut);
      await run([oras, "pull", "--plain-http", `${reg.host}/cli/to-oras:v1`], { cwd: orasOut });
      expect(files(orasOut)).toEqual(["notes.txt", "site/css/a.css", "site/index.html"]);
      const resolved = (await run([oras, "resolve", "--plain-http", `${reg.host}/cli/to-oras:v1`])).stdout.trim();
      expect(resolved).toBe(pushed.digest);

      await run([oras, "push", "--plain-http", `${reg.host}/cli/from-oras:v1`, "notes.txt", "site"], { cwd: site });
      const idpOut = join(work.path, `idp-out-${kind}`);
      await idp(["pull", `${reg.host}/cli/from-oras:v1`, "-o", idpOut]);
      expect(files(idpOut)).toEqual(["notes.txt", "site/css/a.css", "site/index.html"]);
    });

    test("skopeo and crane see the same digest idp reports", async () => {
      const pushed = JSON.parse((await idp(["push", `${reg.host}/cli/peers:v1`, "notes.txt", "--json"], { cwd: site })).stdout) as { digest: string };
      const raw = (await run([peer("skopeo"), "inspect", "--raw", "--tls-verify=false", `docker://${reg.host}/cli/peers:v1`])).stdout;
      expect(digestOf(raw)).toBe(pushed.digest);
      expect((await run([peer("crane"), "digest", "--insecure", `${reg.host}/cli/peers:v1`])).stdout.trim()).toBe(pushed.digest);
    });
  });
}

describe("login and logout", () => {
  test("login checks the credentials against the registry, saves them 0600, and logout forgets them", async () => {
    const dir = tempDir("idp-login-");
    try {
      const htpasswd = join(dir.path, "htpasswd");
      await run([peer("htpasswd"), "-Bbc", htpasswd, "ci", "s3cret-pass"]);
      const reg = await startIdp({ args: ["--htpasswd", htpasswd] });
      try {
        const wrong = await idp(["login", reg.host, "-u", "ci", "--password-stdin"], { stdin: "nope\n", allowFail: true });
        expect(wrong.code).toBe(1);
        expect(wrong.stderr + wrong.stdout).not.toContain("nope");
        const ok = await idp(["login", reg.host, "-u", "ci", "--password-stdin"], { stdin: "s3cret-pass\n" });
        expect(ok.stderr).toContain("login succeeded");
        expect(ok.stderr + ok.stdout).not.toContain("s3cret-pass");
        const store = join(env.IDP_HOME, "auth.json");
        expect(existsSync(store)).toBe(true);
        const { statSync } = await import("node:fs");
        expect(statSync(store).mode & 0o777).toBe(0o600);
        await idp(["push", `${reg.host}/auth/art:v1`, join(site, "notes.txt")]);
        await idp(["logout", reg.host]);
        const denied = await idp(["push", `${reg.host}/auth/art:v2`, join(site, "notes.txt")], { allowFail: true });
        expect(denied.code).toBe(1);
        expect(denied.stderr).toMatch(/^error: /);
      } finally {
        await reg.stop();
      }
    } finally {
      dir.remove();
    }
  });
});
