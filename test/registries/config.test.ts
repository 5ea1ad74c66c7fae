import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync, statSync } from "node:fs";
import { InvalidInputError, NotFoundError } from "../../src/errors/index.ts";
import { changeRegistries } from "../../src/registries/edit.ts";
import { loadRegistries } from "../../src/registries/file.ts";
import { expandReference, resolveRegistry } from "../../src/registries/resolve.ts";
import { parseRegistryUrl } from "../../src/registries/schema.ts";
import { testHome, type TestHome } from "./setup.ts";

/** registries.yaml: one schema, errors with file:line:col and the field, the seed's file, edits that keep comments. */
let home: TestHome;
afterEach(() => home?.remove());

async function loadError(yaml: string, mode?: number): Promise<InvalidInputError> {
  home = testHome();
  home.writeConfig(yaml, mode);
  const error = await loadRegistries(home.env).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(InvalidInputError);
  return error as InvalidInputError;
}

describe("registries.yaml validation", () => {
  test("a wrong provider names the file, the line and the field", async () => {
    const error = await loadError("version: 1\nregistries:\n  corp:\n    url: https://harbor.example.com\n    provider: harbour\n");
    expect(error.message).toMatch(/registries\.yaml:5:15: registries\.corp\.provider: must be one of generic, dockerhub, harbor, gitea, ghcr, ecr, acr$/);
  });

  test("an unknown field, a bad name, a URL with a path, two secrets, a YAML error", async () => {
    expect((await loadError("registries:\n  corp:\n    url: https://x.io\n    tls:\n      verify: false\n")).message).toMatch(/:5:\d+: registries\.corp\.tls\.verify: unknown field/);
    expect((await loadError("registries:\n  Corp.io:\n    url: https://x.io\n")).message).toMatch(/registries\.Corp\.io: must be lower-case letters/);
    expect((await loadError("registries:\n  corp:\n    url: https://x.io/some/path\n")).message).toMatch(/:3:10: registries\.corp\.url: must be a registry URL/);
    expect((await loadError("registries:\n  corp:\n    url: x.io\n    credentials:\n      passwordEnv: A\n      helper: pass\n", 0o600)).message).toMatch(/credentials: give at most one of password/);
    expect((await loadError("registries:\n  corp: [\n")).message).toMatch(/registries\.yaml:\d+:\d+: /);
  });

  test("a default that names no registry is refused", async () => {
    expect((await loadError("default: nope\nregistries: {}\n")).message).toMatch(/default: names "nope"/);
  });

  test("a stored password demands mode 0600, and errors never quote it", async () => {
    const yaml = "registries:\n  corp:\n    url: https://x.io\n    credentials:\n      username: me\n      password: hunter2-very-secret\n";
    const error = await loadError(yaml, 0o644);
    expect(error.message).toMatch(/stores a password but is readable by others/);
    expect(`${error.message} ${error.hint}`).not.toContain("hunter2");
    home.writeConfig(yaml, 0o600);
    const config = await loadRegistries(home.env);
    expect(config.entries.get("corp")?.entry.credentials?.password).toBe("hunter2-very-secret");
    const bad = await loadError("registries:\n  corp:\n    url: https://x.io\n    credentials:\n      password: hunter2-very-secret\n      passwordEnv: 1BAD\n", 0o600);
    expect(bad.message).not.toContain("hunter2");
  });
});

describe("the seed project's file and idp's own", () => {
  test("both are read; idp's entries and default win; idp never edits the seed's entries", async () => {
    home = testHome();
    home.writeSeed("default: old\nregistries:\n  old:\n    url: https://old.example.com\n  shared:\n    url: https://seed.example.com\n");
    home.writeConfig("registries:\n  shared:\n    url: https://idp.example.com\n");
    const config = await loadRegistries(home.env);
    expect([...config.entries.keys()].sort()).toEqual(["old", "shared"]);
    expect(config.entries.get("shared")!.entry.url).toBe("https://idp.example.com");
    expect(config.default).toBe("old");
    await expect(changeRegistries({ kind: "remove", name: "old" }, home.env)).rejects.toThrow(/defined in .*idpbuilder.*which idp does not write/);
  });
});

describe("edits", () => {
  test("set, default and remove keep the user's comments, and refuse what the schema refuses", async () => {
    home = testHome();
    const path = home.writeConfig("# my registries\nversion: 1\nregistries:\n  # the team's Harbor\n  corp:\n    url: https://harbor.example.com # prod\n");
    await changeRegistries({ kind: "set", name: "local", entry: { url: "http://127.0.0.1:5000" }, makeDefault: true }, home.env);
    let text = readFileSync(path, "utf8");
    expect(text).toContain("# the team's Harbor");
    expect(text).toContain("# prod");
    expect((await loadRegistries(home.env)).default).toBe("local");
    await changeRegistries({ kind: "remove", name: "local" }, home.env);
    text = readFileSync(path, "utf8");
    expect(text).not.toContain("local");
    expect((await loadRegistries(home.env)).default).toBeUndefined();
    await expect(changeRegistries({ kind: "set", name: "bad", entry: { url: "https://x.io", provider: "nope" as never } }, home.env)).rejects.toBeInstanceOf(InvalidInputError);
    await expect(changeRegistries({ kind: "default", name: "ghost" }, home.env)).rejects.toBeInstanceOf(NotFoundError);
    expect(readFileSync(path, "utf8")).toBe(text);
  });

  test("a file with a stored secret is written 0600, others 0644", async () => {
    home = testHome();
    await changeRegistries({ kind: "set", name: "a", entry: { url: "https://a.io" } }, home.env);
    const path = `${home.env.IDP_HOME}/registries.yaml`;
    expect(statSync(path).mode & 0o777).toBe(0o644);
    await changeRegistries({ kind: "set", name: "b", entry: { url: "https://b.io", credentials: { username: "u", password: "s3cret" } } }, home.env);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  test("concurrent edits from many writers lose nothing", async () => {
    home = testHome();
    await Promise.all(Array.from({ length: 12 }, (_, i) => changeRegistries({ kind: "set", name: `r${i}`, entry: { url: `https://r${i}.example.com` } }, home.env)));
    expect((await loadRegistries(home.env)).entries.size).toBe(12);
  });
});

describe("named references", () => {
  const yaml = "default: corp\nregistries:\n  corp:\n    url: https://harbor.example.com\n    namespace: platform\n  local:\n    url: http://127.0.0.1:5000\n  hub:\n    url: docker.io\n";
  test("NAME/path, the namespace for one-component paths, the default registry, and hosts kept as typed", async () => {
    home = testHome();
    home.writeConfig(yaml);
    const config = await loadRegistries(home.env);
    const x = (text: string) => expandReference(text, config).text;
    expect(x("corp/app:v1")).toBe("harbor.example.com/platform/app:v1");
    expect(x("corp/team/app@sha256:" + "a".repeat(64))).toBe(`harbor.example.com/team/app@sha256:${"a".repeat(64)}`);
    expect(x("local/team/app:1.0,latest")).toBe("127.0.0.1:5000/team/app:1.0,latest");
    expect(x("hub/alpine:3.20")).toBe("docker.io/library/alpine:3.20");
    expect(x("app:v1")).toBe("harbor.example.com/platform/app:v1");
    expect(x("team/app")).toBe("harbor.example.com/team/app");
    expect(x("docker.io/corp/app:v1")).toBe("docker.io/corp/app:v1");
    expect(x("localhost:5000/corp/app")).toBe("localhost:5000/corp/app");
    expect(x("oci-layout:./corp:v1")).toBe("oci-layout:./corp:v1");
    // A host some entry describes resolves to that entry (its TLS and credentials apply).
    expect(resolveRegistry(config, "harbor.example.com")?.name).toBe("corp");
  });

  test("without a default, unknown first components stay Docker Hub's, as in Docker", async () => {
    home = testHome();
    home.writeConfig("registries:\n  corp:\n    url: https://harbor.example.com\n");
    const config = await loadRegistries(home.env);
    expect(expandReference("someone/app:v1", config).text).toBe("someone/app:v1");
    expect(expandReference("alpine", config).registry).toBeUndefined();
  });

  test("registry URLs", () => {
    expect(parseRegistryUrl("https://Harbor.Example.com/v2/")).toEqual({ host: "harbor.example.com", scheme: "https" });
    expect(parseRegistryUrl("127.0.0.1:5000")).toEqual({ host: "127.0.0.1:5000", scheme: undefined });
    expect(parseRegistryUrl("https://user:pw@x.io")).toBeUndefined();
    expect(parseRegistryUrl("https://x.io/path")).toBeUndefined();
  });
});
