import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startWorld, yamlDocs, type World } from "./setup.ts";

/**
 * `idp argocd repo-secret`: credentials come from idp's own store (written by `idp login`) or
 * the environment, go only to a 0600 file or to stdout when asked, and never to stderr.
 */

const PASSWORD = "s3cret-Pa55word";
let world: World;

beforeAll(async () => {
  world = await startWorld({ push: false });
  await world.idp(["login", "registry.example.com", "-u", "robot", "--password-stdin", "--skip-verify"], { stdin: `${PASSWORD}\n` });
}, 60_000);
afterAll(async () => world?.stop());

describe("idp argocd repo-secret", () => {
  test("never prints a Secret unless told where it goes", async () => {
    const res = await world.idp(["argocd", "repo-secret", "registry.example.com/platform"], { allowFail: true });
    expect(res.code).toBe(2);
    expect(res.stdout).toBe("");
    expect(res.stderr).toContain("--file PATH");
    expect(res.stderr + res.stdout).not.toContain(PASSWORD);
  });

  test("--file: a credential template from idp's store, written with mode 0600, the password only in the file", async () => {
    const file = join(world.home, "out", "repo.yaml");
    const res = await world.idp(["argocd", "repo-secret", "registry.example.com/platform", "--file", file]);
    expect(res.stdout).toBe("");
    expect(res.stderr).toContain("mode 0600");
    expect(res.stderr).not.toContain(PASSWORD);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const [secret, ...rest] = yamlDocs(readFileSync(file, "utf8"));
    expect(rest).toEqual([]);
    expect(secret).toEqual({
      apiVersion: "v1",
      kind: "Secret",
      type: "Opaque",
      metadata: { name: "idp-oci-registry-example-com-platform", namespace: "argocd", labels: { "argocd.argoproj.io/secret-type": "repo-creds" } },
      stringData: { type: "oci", url: "oci://registry.example.com/platform", username: "robot", password: PASSWORD },
    });
  });

  test("--stdout with --repository: per-repository Secrets carry the plain-HTTP setting of a loopback registry", async () => {
    const host = world.server.host;
    const res = await world.idp(["argocd", "repo-secret", `${host}/examples`, "--stdout", "--repository", "ingress", "--project", "platform", "-o", "json"], {
      env: { [`IDP_REGISTRY_${host.replace(/[^0-9A-Za-z]/g, "_")}_USERNAME`]: "ci", [`IDP_REGISTRY_${host.replace(/[^0-9A-Za-z]/g, "_")}_PASSWORD`]: PASSWORD },
    });
    expect(res.stderr).not.toContain(PASSWORD);
    const { items } = JSON.parse(res.stdout);
    expect(items.map((s: any) => [s.metadata.labels["argocd.argoproj.io/secret-type"], s.stringData.url])).toEqual([
      ["repo-creds", `oci://${host}/examples`],
      ["repository", `oci://${host}/examples/ingress`],
    ]);
    expect(items[0].stringData).toMatchObject({ username: "ci", password: PASSWORD, insecureOCIForceHttp: "true", project: "platform" });
    // The repository Secret inherits the credentials from the template: it holds none itself.
    expect(items[1].stringData).toEqual({ type: "oci", url: `oci://${host}/examples/ingress`, project: "platform", insecureOCIForceHttp: "true" });
  });

  test("explicit credentials from stdin, and --insecure", async () => {
    const res = await world.idp(["argocd", "repo-secret", "ghcr.io/acme", "--stdout", "-u", "bot", "--password-stdin", "--insecure"], { stdin: "tok\n" });
    const [secret] = yamlDocs(res.stdout);
    expect(secret!.stringData).toEqual({ type: "oci", url: "oci://ghcr.io/acme", username: "bot", password: "tok", insecure: "true" });
  });

  test("a token Argo CD cannot use is refused, naming no secret", async () => {
    mkdirSync(join(world.home, "idp"), { recursive: true });
    const auth = JSON.parse(readFileSync(join(world.home, "idp", "auth.json"), "utf8"));
    auth.auths["tokens.example.com"] = { identityToken: "refresh-token-value" };
    writeFileSync(join(world.home, "idp", "auth.json"), JSON.stringify(auth), { mode: 0o600 });
    const file = join(world.home, "tok.yaml");
    const res = await world.idp(["argocd", "repo-secret", "tokens.example.com", "--file", file], { allowFail: true });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("Argo CD cannot use");
    expect(res.stderr).not.toContain("refresh-token-value");
    expect(() => statSync(file)).toThrow();
  });

  test("no credentials: an anonymous Secret, and it says so", async () => {
    const res = await world.idp(["argocd", "repo-secret", "public.example.com", "--stdout"]);
    expect(res.stderr).toContain("no credentials for public.example.com");
    expect(yamlDocs(res.stdout)[0]!.stringData).toEqual({ type: "oci", url: "oci://public.example.com" });
  });
});
