import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AuthError, IdpError } from "../../src/errors/index.ts";
import { MediaType } from "../../src/oci/mediatypes.ts";
import {
  anonymous,
  defaultCredentials,
  dockerConfigCredentials,
  envCredentials,
  idpAuthPath,
  login,
  logout,
  openRegistry,
  openRepository,
  staticCredentials,
  type RemoteOptions,
} from "../../src/remote/index.ts";
import { tempDir, type RegistryUnderTest } from "../helpers/idp.ts";
import { randomContent } from "../helpers/oci.ts";
import { writeStandInHelper } from "./helpers/cred-helper.ts";
import { ALICE, BOB, startHtpasswdDistribution, startTokenDistribution } from "./helpers/registries.ts";
import type { TokenIssuer } from "./helpers/token-issuer.ts";

const SECRETS = [ALICE.password, BOB.password, "wrong-Password-5e1d"];

/** Every error a test saw, to check no secret ever reaches a message, hint or cause. */
const seen: unknown[] = [];
async function failure(promise: Promise<unknown>): Promise<IdpError> {
  try {
    await promise;
  } catch (error) {
    seen.push(error);
    if (!(error instanceof IdpError)) throw error;
    return error;
  }
  throw new Error("expected a failure");
}

function blobOf(size = 512) {
  const c = randomContent(size);
  return { c, desc: { mediaType: MediaType.ociLayerGzip, digest: c.digest, size } };
}

describe("Distribution 2.8 with htpasswd (bcrypt)", () => {
  let reg: RegistryUnderTest;
  const opts = (extra: RemoteOptions = {}): RemoteOptions => ({ retries: 0, ...extra });
  beforeAll(async () => {
    reg = await startHtpasswdDistribution();
  });
  afterAll(async () => {
    await reg?.stop();
  });

  test("the right password pushes and pulls; Basic is learned once and sent up front", async () => {
    const repo = await openRepository({ registry: reg.host, repository: "team/app" }, opts({ credentials: staticCredentials(ALICE) }));
    const { c, desc } = blobOf();
    await repo.push(desc, c.bytes);
    expect(new Uint8Array(await new Response(await repo.fetch(desc)).arrayBuffer())).toEqual(c.bytes);
  });

  test("a wrong password is AuthError with a hint, no credentials says log in", async () => {
    const wrong = await openRegistry(reg.host, opts({ credentials: staticCredentials({ username: "alice", password: SECRETS[2]! }) }));
    const e1 = await failure(wrong.ping());
    expect(e1).toBeInstanceOf(AuthError);
    expect(e1.message).toContain("401");
    expect(e1.hint).toContain("check the username and password");
    const none = await openRegistry(reg.host, opts({ credentials: anonymous }));
    const e2 = await failure(none.ping());
    expect(e2).toBeInstanceOf(AuthError);
    expect(e2.hint).toContain("idp login");
  });

  test("login verifies, saves to $IDP_HOME/auth.json with mode 0600; logout forgets", async () => {
    const home = tempDir();
    const env = { IDP_HOME: home.path, HOME: home.path };
    try {
      await failure(login(reg.host, { username: "alice", password: SECRETS[2]! }, { env }));
      const saved = await login(reg.host, ALICE, { env });
      expect(saved).toBe(idpAuthPath(env));
      expect(statSync(saved).mode & 0o777).toBe(0o600);
      const repo = await openRepository({ registry: reg.host, repository: "team/login" }, opts({ env }));
      const { c, desc } = blobOf();
      await repo.push(desc, c.bytes);
      expect(await logout(reg.host, { env })).toBe(true);
      expect(await logout(reg.host, { env })).toBe(false);
      await failure((await openRegistry(reg.host, opts({ env }))).ping());
    } finally {
      home.remove();
    }
  });

  test("login into Docker's config writes an auths entry others can read", async () => {
    const home = tempDir();
    const env = { IDP_HOME: join(home.path, "idp"), HOME: home.path };
    try {
      await login(reg.host, ALICE, { env, store: "docker" });
      const path = join(home.path, ".docker", "config.json");
      expect(statSync(path).mode & 0o777).toBe(0o600);
      const doc = JSON.parse(await Bun.file(path).text());
      expect(Buffer.from(doc.auths[reg.host].auth, "base64").toString()).toBe(`${ALICE.username}:${ALICE.password}`);
      expect(await (await openRegistry(reg.host, opts({ env }))).ping()).toMatchObject({ authenticated: true });
      expect(await logout(reg.host, { env, store: "docker" })).toBe(true);
    } finally {
      home.remove();
    }
  });

  test("credentials from environment variables, scoped by host", async () => {
    const key = reg.host.toUpperCase().replace(/[^A-Z0-9]/g, "_");
    const scoped = { [`IDP_REGISTRY_${key}_USERNAME`]: ALICE.username, [`IDP_REGISTRY_${key}_PASSWORD`]: ALICE.password };
    expect((await (await openRegistry(reg.host, opts({ env: scoped }))).ping()).authenticated).toBe(true);
    const elsewhere = { IDP_REGISTRY_USERNAME: ALICE.username, IDP_REGISTRY_PASSWORD: ALICE.password, IDP_REGISTRY_HOST: "other.example" };
    expect(await envCredentials(elsewhere).get(reg.host)).toBeUndefined();
    const everywhere = { IDP_REGISTRY_USERNAME: ALICE.username, IDP_REGISTRY_PASSWORD: ALICE.password };
    expect(await envCredentials(everywhere).get(reg.host)).toEqual({ username: ALICE.username, password: ALICE.password });
  });

  test("Docker config: auths, credsStore and credHelpers through a real helper program", async () => {
    const home = tempDir();
    try {
      const helper = writeStandInHelper(home.path, "idpstandin", { [reg.host]: { Username: ALICE.username, Secret: ALICE.password } });
      const env = { HOME: home.path, PATH: `${home.path}:${process.env.PATH}`, DOCKER_CONFIG: join(home.path, "docker") };
      const config = join(home.path, "docker", "config.json");
      await Bun.write(config, JSON.stringify({ credHelpers: { [reg.host]: "idpstandin" } }));
      expect(await dockerConfigCredentials(env).get(reg.host)).toEqual({ username: ALICE.username, password: ALICE.password });
      expect((await (await openRegistry(reg.host, opts({ env }))).ping()).authenticated).toBe(true);
      expect(await Bun.file(helper.log).text()).toContain("get");
      writeFileSync(config, JSON.stringify({ credsStore: "idpstandin" }));
      expect(await defaultCredentials(env).get(reg.host)).toEqual({ username: ALICE.username, password: ALICE.password });
      expect(await defaultCredentials(env).get("unknown.example")).toBeUndefined();
      writeFileSync(config, JSON.stringify({ auths: { [`https://${reg.host}`]: { auth: Buffer.from(`${BOB.username}:${BOB.password}`).toString("base64") } } }));
      expect(await dockerConfigCredentials(env).get(reg.host)).toEqual({ username: BOB.username, password: BOB.password });
      writeFileSync(config, "{ not json");
      const bad = await failure(dockerConfigCredentials(env).get(reg.host));
      expect(bad.message).toContain("config.json");
    } finally {
      home.remove();
    }
  });
});

describe("Distribution 2.8 with token auth from the test token issuer", () => {
  let reg: RegistryUnderTest & { issuer: TokenIssuer };
  const opts = (extra: RemoteOptions = {}): RemoteOptions => ({ retries: 0, ...extra });
  beforeAll(async () => {
    reg = await startTokenDistribution();
  });
  afterAll(async () => {
    await reg?.stop();
  });

  test("tokens are fetched per scope and reused; push needs pull,push", async () => {
    reg.issuer.requests.length = 0;
    const repo = await openRepository({ registry: reg.host, repository: "team/cache" }, opts({ credentials: staticCredentials(ALICE) }));
    for (let i = 0; i < 3; i++) {
      const { c, desc } = blobOf();
      await repo.push(desc, c.bytes);
    }
    const pushScoped = reg.issuer.requests.filter((r) => r.scopes.includes("repository:team/cache:pull,push"));
    expect(pushScoped.length).toBe(1);
    expect(reg.issuer.requests.every((r) => r.grant === "basic" && r.account === "alice")).toBe(true);
  });

  test("files (sent with sendfile) go up through the token flow: small in one request, large as a PATCH", async () => {
    // A file body is resent after the 401 that starts the token flow, as bytes are.
    const dir = tempDir("idp-auth-files-");
    try {
      const repo = await openRepository({ registry: reg.host, repository: "team/files" }, opts({ credentials: staticCredentials(ALICE) }));
      for (const size of [3000, 12 * 1024 * 1024]) {
        const { c, desc } = blobOf(size);
        const path = join(dir.path, `f-${size}`);
        writeFileSync(path, c.bytes);
        await repo.push(desc, Bun.file(path));
        expect(await repo.exists(desc)).toBe(true);
        expect(new Uint8Array(await new Response(await repo.fetch(desc)).arrayBuffer())).toEqual(c.bytes);
      }
    } finally {
      dir.remove();
    }
  });

  test("tokens are renewed before they expire", async () => {
    const repo = await openRepository({ registry: reg.host, repository: "team/renew" }, opts({ credentials: staticCredentials(ALICE) }));
    const { c, desc } = blobOf();
    reg.issuer.expiresIn = 2;
    try {
      reg.issuer.requests.length = 0;
      await repo.push(desc, c.bytes);
      await repo.exists(desc);
      const before = reg.issuer.requests.length;
      await Bun.sleep(1700);
      await repo.exists(desc);
      expect(reg.issuer.requests.length).toBe(before + 1);
    } finally {
      reg.issuer.expiresIn = 300;
    }
  });

  test("anonymous tokens pull public content; pushing anonymously is refused", async () => {
    const alice = await openRepository({ registry: reg.host, repository: "public/base" }, opts({ credentials: staticCredentials(ALICE) }));
    const { c, desc } = blobOf();
    await alice.push(desc, c.bytes);
    const anon = await openRepository({ registry: reg.host, repository: "public/base" }, opts({ credentials: anonymous }));
    expect(await anon.exists(desc)).toBe(true);
    const other = blobOf();
    const e = await failure(anon.push(other.desc, other.c.bytes));
    expect(e).toBeInstanceOf(AuthError);
    expect(reg.issuer.requests.some((r) => r.grant === "anonymous")).toBe(true);
  });

  test("a user without push rights on a repository gets AuthError", async () => {
    const bob = await openRepository({ registry: reg.host, repository: "team/app" }, opts({ credentials: staticCredentials(BOB) }));
    const { c, desc } = blobOf();
    expect(await failure(bob.push(desc, c.bytes))).toBeInstanceOf(AuthError);
    const own = await openRepository({ registry: reg.host, repository: "bob/app" }, opts({ credentials: staticCredentials(BOB) }));
    await own.push(desc, c.bytes);
  });

  test("a wrong password is refused by the token service", async () => {
    const r = await openRegistry(reg.host, opts({ credentials: staticCredentials({ username: "alice", password: SECRETS[2]! }) }));
    const e = await failure(r.ping());
    expect(e).toBeInstanceOf(AuthError);
    expect(e.hint).toContain("username and password");
  });

  test("OAuth2: password grant by POST, then the refresh token; identity tokens from config", async () => {
    reg.issuer.requests.length = 0;
    const repo = await openRepository({ registry: reg.host, repository: "team/oauth" }, opts({ credentials: staticCredentials(ALICE), oauth2: true }));
    const { c, desc } = blobOf();
    await repo.push(desc, c.bytes);
    expect(reg.issuer.requests[0]).toMatchObject({ method: "POST", grant: "password", account: "alice" });
    expect(reg.issuer.requests.slice(1).every((r) => r.grant === "refresh_token")).toBe(true);

    const form = new URLSearchParams({ grant_type: "password", username: ALICE.username, password: ALICE.password, client_id: "test", service: reg.issuer.service });
    const { refresh_token } = (await (await fetch(reg.issuer.realm, { method: "POST", body: form })).json()) as { refresh_token: string };
    const home = tempDir();
    try {
      const env = { HOME: home.path, DOCKER_CONFIG: home.path };
      await Bun.write(join(home.path, "config.json"), JSON.stringify({ auths: { [reg.host]: { auth: "", identitytoken: refresh_token } } }));
      reg.issuer.requests.length = 0;
      const viaConfig = await openRepository({ registry: reg.host, repository: "team/oauth" }, opts({ env }));
      expect(await viaConfig.exists(desc)).toBe(true);
      expect(reg.issuer.requests.map((r) => r.grant)).toEqual(["refresh_token"]);
    } finally {
      home.remove();
    }
  });

  test("mount asks for pull on the source repository too", async () => {
    const a = await openRepository({ registry: reg.host, repository: "team/src" }, opts({ credentials: staticCredentials(ALICE) }));
    const b = await openRepository({ registry: reg.host, repository: "team/dst" }, opts({ credentials: staticCredentials(ALICE) }));
    const { c, desc } = blobOf();
    await a.push(desc, c.bytes);
    reg.issuer.requests.length = 0;
    expect(await b.mount(desc, "team/src")).toBe(true);
    expect(reg.issuer.requests.at(-1)?.scopes.sort()).toEqual(["repository:team/dst:pull,push", "repository:team/src:pull"]);
    const bob = await openRepository({ registry: reg.host, repository: "bob/dst" }, opts({ credentials: staticCredentials(BOB) }));
    expect(await bob.mount(desc, "team/src")).toBe(false);
  });
});

describe("no secret in any error", () => {
  test("messages, hints, causes and stacks of every failure above", () => {
    expect(seen.length).toBeGreaterThan(5);
    const text = (e: unknown): string => {
      if (!(e instanceof Error)) return String(e);
      return [e.message, (e as IdpError).hint ?? "", e.stack ?? "", JSON.stringify(e), e.cause ? text(e.cause) : ""].join("\n");
    };
    for (const error of seen) {
      const all = text(error);
      for (const secret of SECRETS) {
        expect(all).not.toContain(secret);
        expect(all).not.toContain(Buffer.from(`alice:${secret}`).toString("base64"));
      }
    }
  });
});
