import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startDistribution } from "../helpers/distribution.ts";
import { idpBinary, startIdp, type IdpServer, type RegistryUnderTest } from "../helpers/idp.ts";
import { run } from "../helpers/process.ts";
import { startHtpasswdDistribution, ALICE } from "../remote/helpers/registries.ts";
import { testHome, type TestHome } from "./setup.ts";

/**
 * `idp registry …` and named references through the compiled binary, against idp serve,
 * Distribution 2.8 (with htpasswd for credential references) and each other as mirrors.
 */
let home: TestHome;
let idp: IdpServer;
let dist: RegistryUnderTest;
let auth: RegistryUnderTest & { cleanup(): void };
let work: string;

async function cli(args: string[], options: { allowFail?: boolean; stdin?: string; env?: Record<string, string> } = {}) {
  return run([idpBinary(), ...args], { env: { ...home.env, ...options.env }, cwd: work, allowFail: options.allowFail ?? false, ...(options.stdin === undefined ? {} : { stdin: options.stdin }) });
}

beforeAll(async () => {
  home = testHome();
  work = join(home.path, "work");
  mkdirSync(work);
  writeFileSync(join(work, "notes.txt"), "release notes\n");
  [idp, dist, auth] = await Promise.all([startIdp(), startDistribution(), startHtpasswdDistribution()]);
});
afterAll(async () => {
  await Promise.all([idp?.stop(), dist?.stop(), auth?.stop()]);
  home?.remove();
});

describe("registry add, list, show, default, remove", () => {
  test("add finds the provider, list and show print it, default switches, remove forgets", async () => {
    const added = JSON.parse((await cli(["registry", "add", "local", `http://${idp.host}`, "--namespace", "team", "--json"])).stdout);
    expect(added).toMatchObject({ name: "local", url: `http://${idp.host}`, namespace: "team", discovery: { kind: "generic", by: "default" } });
    await cli(["registry", "add", "dist", dist.host, "--skip-probe", "--description", "Distribution 2.8"]);
    const listed = JSON.parse((await cli(["registry", "list", "--json"])).stdout) as { name: string; provider: string; default: boolean }[];
    expect(listed.map((r) => [r.name, r.provider, r.default])).toEqual([["dist", "generic", false], ["local", "generic", false]]);
    expect((await cli(["registry", "list"])).stdout).toMatch(/^NAME\s+URL\s+PROVIDER\s+NAMESPACE\s+DESCRIPTION\n/);
    expect((await cli(["registry", "default", "local"])).stdout.trim()).toBe("local");
    expect(JSON.parse((await cli(["registry", "default", "--json"])).stdout)).toEqual({ default: "local" });
    const shown = JSON.parse((await cli(["registry", "show", "local", "--json"])).stdout);
    expect(shown).toMatchObject({ name: "local", default: true, provider: "generic", credentials: { source: expect.stringContaining("idp login") } });
    await cli(["registry", "add", "gone", "https://gone.example.com", "--skip-probe"]);
    await cli(["registry", "remove", "gone"]);
    expect((await cli(["registry", "show", "gone"], { allowFail: true })).stderr).toMatch(/^error: no registry named "gone"\nhint: configured: dist, local\n$/);
  });

  test("bad input is one error line with a hint, exit 1 or 2, and nothing is written", async () => {
    const path = join(home.env.IDP_HOME!, "registries.yaml");
    const before = readFileSync(path, "utf8");
    const badName = await cli(["registry", "add", "Bad.Name", "https://x.io", "--skip-probe"], { allowFail: true });
    expect(badName.code).toBe(1);
    expect(badName.stderr).toMatch(/^error: registry name "Bad\.Name" must be lower-case/);
    const dup = await cli(["registry", "add", "local", "https://x.io", "--skip-probe"], { allowFail: true });
    expect(dup.stderr).toMatch(/^error: a registry named local exists .*\nhint: pass --force/);
    const badProvider = await cli(["registry", "add", "x", "https://x.io", "--provider", "harbour"], { allowFail: true });
    expect(badProvider.stderr).toMatch(/^error: registry x: provider: must be one of generic/);
    const secret = await cli(["registry", "add", "x", "https://x.io", "--skip-probe", "--password-stdin"], { allowFail: true, stdin: "hunter2-not-stored\n" });
    expect(secret.code).toBe(2);
    expect(secret.stderr).toMatch(/hint: use --password-env, --password-file, --helper or `idp login`/);
    expect(readFileSync(path, "utf8")).toBe(before);
  });

  test("a stored secret only with --store-secret: the file becomes 0600 and no command prints the secret", async () => {
    const secret = "hunter2-really-stored";
    const added = await cli(["registry", "add", "stored", "https://stored.example.com", "--skip-probe", "-u", "me", "--password-stdin", "--store-secret", "--json"], { stdin: `${secret}\n` });
    expect(added.stdout + added.stderr).not.toContain(secret);
    expect(JSON.parse(added.stdout).credentials).toEqual({ username: "me", password: "(stored, not shown)" });
    const path = join(home.env.IDP_HOME!, "registries.yaml");
    expect(statSync(path).mode & 0o777).toBe(0o600);
    for (const args of [["registry", "show", "stored"], ["registry", "show", "stored", "--json"], ["registry", "list", "--json"], ["registry", "list"]]) {
      const out = await cli(args);
      expect(out.stdout + out.stderr).not.toContain(secret);
    }
    expect((await cli(["registry", "show", "stored"])).stdout).toContain("password stored in registries.yaml");
    await cli(["registry", "remove", "stored"]);
    expect(statSync(path).mode & 0o777).toBe(0o644);
  });

  test("a broken registries.yaml is one clear error for every command, naming file, line and field", async () => {
    const other = testHome();
    other.writeConfig("registries:\n  corp:\n    url: https://x.io\n    tls:\n      verify: false\n");
    for (const args of [["registry", "list"], ["pull", "corp/app:v1"], ["search", "x"]]) {
      const out = await run([idpBinary(), ...args], { env: other.env, allowFail: true });
      expect(out.code).toBe(1);
      expect(out.stderr).toMatch(/^error: .*registries\.yaml:5:\d+: registries\.corp\.tls\.verify: unknown field\nhint: see docs\/registries\.md/);
    }
    other.remove();
  });
});

describe("named references", () => {
  test("push and pull by name (namespace applied), by the default registry, and by host", async () => {
    const pushed = (await cli(["push", "local/app:1.0.0", "notes.txt", "-q"])).stdout.trim();
    expect((await cli(["tags", `${idp.host}/team/app`])).stdout.trim()).toBe("1.0.0");
    expect((await cli(["resolve", "local/app:1.0.0"])).stdout.trim()).toBe(pushed);
    expect((await cli(["resolve", "app:1.0.0"])).stdout.trim()).toBe(pushed);
    expect((await cli(["resolve", "team/app:1.0.0"])).stdout.trim()).toBe(pushed);
    const out = join(home.path, "pulled");
    expect((await cli(["pull", "local/app:1.0.0", "-o", out, "-q"])).stdout.trim()).toBe(pushed);
    expect(readFileSync(join(out, "notes.txt"), "utf8")).toBe("release notes\n");
    await cli(["copy", "local/app:1.0.0", "dist/team/app:1.0.0", "-q"]);
    expect((await cli(["tags", "dist/team/app"])).stdout.trim()).toBe("1.0.0");
    expect((await cli(["catalog", "local"])).stdout.split("\n")).toContain("team/app");
    // Docker Hub stays reachable, spelled out, whatever the default is.
    expect((await cli(["resolve", "docker.io/library/nope:v1", "--retries", "0", "--timeout", "1"], { allowFail: true })).stderr).not.toContain(idp.host);
  });

  test("credentials by reference: the password comes from the named variable, never stored", async () => {
    await cli(["registry", "add", "secure", `http://${auth.host}`, "--skip-probe", "-u", ALICE.username, "--password-env", "SECURE_PW"]);
    expect(readFileSync(join(home.env.IDP_HOME!, "registries.yaml"), "utf8")).not.toContain(ALICE.password);
    const pushed = await cli(["push", "secure/team/app:v1", "notes.txt", "-q"], { env: { SECURE_PW: ALICE.password } });
    expect(pushed.stdout.trim()).toMatch(/^sha256:/);
    const missing = await cli(["resolve", "secure/team/app:v1"], { allowFail: true });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: SECURE_PW is not set: registry secure takes its password from it\nhint: export SECURE_PW/);
    const wrong = await cli(["resolve", "secure/team/app:v1"], { allowFail: true, env: { SECURE_PW: "wrong-password-xyz" } });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).not.toContain("wrong-password-xyz");
  });

  test("idp login and logout take a registry name, and save under its host", async () => {
    await cli(["registry", "add", "authd", `http://${auth.host}`, "--skip-probe"]);
    const login = await cli(["login", "authd", "-u", ALICE.username, "--password-stdin"], { stdin: `${ALICE.password}\n` });
    expect(login.stderr).toContain(`login succeeded for ${ALICE.username}@${auth.host}`);
    const saved = JSON.parse(readFileSync(join(home.env.IDP_HOME!, "auth.json"), "utf8")) as { auths: Record<string, unknown> };
    expect(Object.keys(saved.auths)).toContain(auth.host);
    expect((await cli(["push", "authd/team/logged-in:v1", "notes.txt", "-q"])).stdout.trim()).toMatch(/^sha256:/);
    expect((await cli(["logout", "authd"])).stderr).toContain(`logged out of ${auth.host}`);
  });

  test("mirrors serve reads when the origin is down; pushes still go to the origin", async () => {
    await cli(["copy", "local/app:1.0.0", "dist/team/app:1.0.0", "-q"]);
    await cli(["registry", "add", "origin", "http://127.0.0.1:9", "--skip-probe", "--mirror", "dist", "--namespace", "team"]);
    const out = join(home.path, "from-mirror");
    expect((await cli(["pull", "origin/app:1.0.0", "-o", out, "-q", "--retries", "0"])).stdout.trim()).toMatch(/^sha256:/);
    expect(readFileSync(join(out, "notes.txt"), "utf8")).toBe("release notes\n");
    const push = await cli(["push", "origin/app:2.0.0", "notes.txt", "--retries", "0"], { allowFail: true });
    expect(push.code).toBe(1);
    expect(push.stderr).toMatch(/127\.0\.0\.1:9/);
  });
});
