import { afterAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { VERSION } from "../../src/version.ts";
import { idpBinary, tempDir } from "../helpers/idp.ts";
import { freePort, run, waitForHttp } from "../helpers/process.ts";

/** The compiled binary, run the way users run it. */
describe("dist/idp", () => {
  const work = tempDir("idp-bin-");
  afterAll(() => work.remove());

  test("--version and --help work, and the binary runs with neither Bun nor Node present", async () => {
    // Copied out of the project and run with an empty environment: nothing it needs can come
    // from node_modules, PATH or a Bun install.
    const bin = join(work.path, "idp");
    copyFileSync(idpBinary(), bin);
    const env = { PATH: "/nonexistent", HOME: work.path };
    const version = await run([bin, "--version"], { env, cwd: work.path });
    expect(version.stdout.trim()).toBe(`idp ${VERSION}`);
    const help = await run([bin, "--help"], { env, cwd: work.path });
    expect(help.stdout).toContain("serve");
    expect(help.stdout).toContain("Exit codes");
    const serveHelp = await run([bin, "serve", "--help"], { env, cwd: work.path });
    for (const flag of ["--listen", "--root", "--config", "--storage"]) expect(serveHelp.stdout).toContain(flag);
    expect(serveHelp.stdout).toContain("Examples:");
  });

  test("usage errors exit 2 with one line and a hint", async () => {
    for (const args of [["no-such-command"], ["serve", "--no-such-flag"]]) {
      const res = await run([idpBinary(), ...args], { allowFail: true });
      expect(res.code).toBe(2);
      expect(res.stderr).toMatch(/^error: .+\nhint: .+\n$/);
    }
  });

  test("serve defaults its storage to $IDP_HOME/registry and says where it listens", async () => {
    const home = join(work.path, "home");
    const port = freePort();
    const proc = Bun.spawn([idpBinary(), "serve", "--listen", `127.0.0.1:${port}`, "--json"], {
      env: { ...process.env, IDP_HOME: home },
      stdout: "pipe",
      stderr: "pipe",
    });
    try {
      await waitForHttp(`http://127.0.0.1:${port}/v2/`, 15_000, proc);
      const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
      const { value } = await reader.read();
      const banner = JSON.parse(new TextDecoder().decode(value).split("\n")[0]!);
      expect(banner).toMatchObject({ event: "listening", url: `http://127.0.0.1:${port}`, root: join(home, "registry") });
      expect(existsSync(join(home, "registry"))).toBe(true);
      reader.releaseLock();
    } finally {
      proc.kill("SIGTERM");
      expect(await proc.exited).toBe(0);
    }
  });

  test("a bad config is one error line naming the field, exit 1", async () => {
    const cases: [string, RegExp][] = [
      ["listen: nowhere\n", /^error: config .*\.yaml: listen: must be HOST:PORT/],
      ["limits:\n  maxBlobBytes: -1\n", /^error: config .*\.yaml: limits\.maxBlobBytes: /],
      ["lisen: 127.0.0.1:5000\n", /^error: config .*\.yaml: lisen: unknown field/],
      ["storage: s3\n", /^error: config .*\.yaml: storage: /],
      ["listen: [\n", /^error: config .*\.yaml: not valid YAML/],
      ["- a\n- b\n", /^error: config .*\.yaml: expected a mapping/],
    ];
    for (const [text, expected] of cases) {
      const file = join(work.path, "bad.yaml");
      writeFileSync(file, text);
      const res = await run([idpBinary(), "serve", "--config", file], { allowFail: true });
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(expected);
      expect(res.stderr.trim().split("\n").length).toBeLessThanOrEqual(2);
      expect(res.stderr).not.toContain("    at ");
    }
    const flag = await run([idpBinary(), "serve", "--listen", "bogus"], { allowFail: true });
    expect(flag.code).toBe(1);
    expect(flag.stderr).toMatch(/^error: --listen: must be HOST:PORT/);
  });

  test("a port already in use and an unwritable root are clear errors", async () => {
    const blocker = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    try {
      const res = await run([idpBinary(), "serve", "--listen", `127.0.0.1:${blocker.port}`, "--root", join(work.path, "r")], { allowFail: true });
      expect(res.code).toBe(1);
      expect(res.stderr).toContain(`cannot listen on 127.0.0.1:${blocker.port}: address already in use`);
    } finally {
      blocker.stop(true);
    }
    const file = join(work.path, "a-file");
    writeFileSync(file, "");
    const res = await run([idpBinary(), "serve", "--listen", "127.0.0.1:0", "--root", join(file, "sub")], { allowFail: true });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^error: storage root .* is not writable/);
  });
});
