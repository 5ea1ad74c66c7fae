import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { digestOf } from "../../src/oci/digest.ts";
import { startIdp, tempDir, type IdpServer } from "../helpers/idp.ts";
import { peer } from "../helpers/peers.ts";
import { run } from "../helpers/process.ts";
import { writeHtpasswd } from "./setup.ts";

/**
 * Real clients sign in to `idp serve` with Basic authentication and with the token flow:
 * skopeo, podman, oras and crane each push and pull with credentials, and are refused
 * without them. Access rules give ann everything and bob read-only.
 */
const CONFIG = `access:
  - repositories: ["**"]
    users: [ann]
    actions: ["*"]
  - repositories: ["**"]
    users: [bob]
    actions: [read]
`;

for (const type of ["basic", "token"] as const) {
  describe(`real clients with ${type} authentication`, () => {
    const work = tempDir(`idp-peers-${type}-`);
    let reg: IdpServer;
    let layout: string;
    let sourceDigest: string;
    const env = { ...process.env, DOCKER_CONFIG: join(work.path, "docker"), REGISTRY_AUTH_FILE: join(work.path, "auth.json") };

    beforeAll(async () => {
      const htpasswd = await writeHtpasswd(work.path, { ann: "ann-secret", bob: "bob-secret" });
      writeFileSync(join(work.path, "registry.yaml"), CONFIG);
      reg = await startIdp({ args: ["--htpasswd", htpasswd, "--auth", type, "--config", join(work.path, "registry.yaml")] });
      layout = join(work.path, "layout");
      await run([peer("umoci"), "init", "--layout", layout]);
      await run([peer("umoci"), "new", "--image", `${layout}:v1`]);
      sourceDigest = digestOf((await run([peer("skopeo"), "inspect", "--raw", `oci:${layout}:v1`])).stdout);
    });
    afterAll(async () => {
      await reg?.stop();
      work.remove();
    });

    test("skopeo pushes and inspects with credentials; without, or as a read-only user pushing, it is refused", async () => {
      const skopeo = peer("skopeo");
      const dest = `docker://${reg.host}/peers/skopeo:v1`;
      const anonymous = await run([skopeo, "copy", "--dest-tls-verify=false", `oci:${layout}:v1`, dest], { allowFail: true, env });
      expect(anonymous.code).not.toBe(0);
      expect(anonymous.stderr.toLowerCase()).toContain("unauthorized");
      const readOnly = await run([skopeo, "copy", "--dest-tls-verify=false", "--dest-creds", "bob:bob-secret", `oci:${layout}:v1`, dest], { allowFail: true, env });
      expect(readOnly.code).not.toBe(0);
      await run([skopeo, "copy", "--preserve-digests", "--dest-tls-verify=false", "--dest-creds", "ann:ann-secret", `oci:${layout}:v1`, dest], { env });
      const inspected = await run([skopeo, "inspect", "--tls-verify=false", "--creds", "bob:bob-secret", dest], { env });
      expect(JSON.parse(inspected.stdout).Digest).toBe(sourceDigest);
      const wrong = await run([skopeo, "inspect", "--tls-verify=false", "--creds", "bob:nope", dest], { allowFail: true, env });
      expect(wrong.code).not.toBe(0);
    });

    test("podman logs in, pulls and pushes", async () => {
      const storage = join(work.path, "podman");
      mkdirSync(storage, { recursive: true });
      const podman = [peer("podman"), "--root", join(storage, "root"), "--runroot", join(storage, "run"), "--storage-driver", "vfs"];
      const authfile = join(work.path, "podman-auth.json");
      await run([...podman, "login", "--authfile", authfile, "--tls-verify=false", "-u", "ann", "-p", "ann-secret", reg.host], { env });
      await run([peer("skopeo"), "copy", "--dest-tls-verify=false", "--dest-creds", "ann:ann-secret", `oci:${layout}:v1`, `docker://${reg.host}/peers/podman-src:v1`], { env });
      await run([...podman, "pull", "--authfile", authfile, "--tls-verify=false", `${reg.host}/peers/podman-src:v1`], { env, timeoutMs: 120_000 });
      await run([...podman, "push", "--authfile", authfile, "--tls-verify=false", `${reg.host}/peers/podman-src:v1`, `${reg.host}/peers/podman:v1`], { env, timeoutMs: 120_000 });
      const { stdout } = await run([peer("skopeo"), "inspect", "--tls-verify=false", "--creds", "ann:ann-secret", `docker://${reg.host}/peers/podman:v1`], { env });
      expect(JSON.parse(stdout).Layers).toBeArray();
      const failed = await run([...podman, "login", "--authfile", join(work.path, "other.json"), "--tls-verify=false", "-u", "ann", "-p", "wrong", reg.host], { allowFail: true, env });
      expect(failed.code).not.toBe(0);
    });

    test("oras pushes, attaches a referrer and pulls with credentials", async () => {
      const dir = join(work.path, "oras");
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "notes.txt"), `notes for ${type}\n`);
      const oras = peer("oras");
      const ref = `${reg.host}/peers/oras:v1`;
      const creds = ["--plain-http", "-u", "ann", "-p", "ann-secret"];
      const refused = await run([oras, "push", "--plain-http", ref, "notes.txt:text/plain"], { cwd: dir, allowFail: true, env });
      expect(refused.code).not.toBe(0);
      await run([oras, "push", ...creds, ref, "--artifact-type", "application/vnd.idp.test", "notes.txt:text/plain"], { cwd: dir, env });
      await run([oras, "attach", ...creds, ref, "--artifact-type", "application/vnd.idp.signature", "notes.txt"], { cwd: dir, env });
      const out = join(work.path, "oras-out");
      mkdirSync(out, { recursive: true });
      await run([oras, "pull", "--plain-http", "-u", "bob", "-p", "bob-secret", ref], { cwd: out, env });
      expect(readFileSync(join(out, "notes.txt"), "utf8")).toBe(`notes for ${type}\n`);
    });

    test("crane logs in, copies, lists the catalog and deletes", async () => {
      const crane = peer("crane");
      await run([crane, "auth", "login", reg.host, "-u", "ann", "-p", "ann-secret"], { env });
      await run([peer("skopeo"), "copy", "--dest-tls-verify=false", "--dest-creds", "ann:ann-secret", `oci:${layout}:v1`, `docker://${reg.host}/peers/crane-src:v1`], { env });
      await run([crane, "copy", "--insecure", `${reg.host}/peers/crane-src:v1`, `${reg.host}/peers/crane:v1`], { env });
      expect((await run([crane, "digest", "--insecure", `${reg.host}/peers/crane:v1`], { env })).stdout.trim()).toBe(sourceDigest);
      const catalog = (await run([crane, "catalog", "--insecure", reg.host], { env })).stdout.trim().split("\n");
      expect(catalog).toEqual(expect.arrayContaining(["peers/crane", "peers/crane-src"]));
      await run([crane, "delete", "--insecure", `${reg.host}/peers/crane@${sourceDigest}`], { env });
      expect((await run([crane, "ls", "--insecure", `${reg.host}/peers/crane`], { env })).stdout.trim()).toBe("");
    });
  });
}
