import { afterEach, describe, expect, test } from "bun:test";
import { acrProvider } from "../../src/providers/acr.ts";
import { dockerHubProvider } from "../../src/providers/dockerhub.ts";
import { ghcrProvider } from "../../src/providers/ghcr.ts";
import { giteaProvider } from "../../src/providers/gitea.ts";
import { harborProvider } from "../../src/providers/harbor.ts";
import { staticCredentials } from "../../src/remote/index.ts";
import { testRegistry } from "../../src/registries/probe.ts";
import { ACR_ACCESS, AAD_TOKEN, acrExchanges } from "./fixtures/acr.ts";
import { HUB_PAT, HUB_USER, dockerHubExchanges, dockerHubRegistryExchanges } from "./fixtures/dockerhub.ts";
import { GH_TOKEN, GH_USER, ghcrExchanges } from "./fixtures/ghcr.ts";
import { GITEA_TOKEN, GITEA_USER, giteaExchanges } from "./fixtures/gitea.ts";
import { HARBOR_SECRET, HARBOR_USER, harborExchanges } from "./fixtures/harbor.ts";
import { startReplay, type Replay } from "./replay.ts";
import { collect, contextOf, testHome, type TestHome } from "./setup.ts";

/**
 * Hosted providers against REPLAYS of their documented HTTP exchanges (see replay.ts and
 * fixtures/): these services cannot run here, so a stand-in serves exactly what their API
 * documentation shows and checks what idp sends. Each test ends by asserting that every
 * documented exchange was made and nothing else was asked.
 */
let home: TestHome;
let replay: Replay | undefined;
afterEach(async () => {
  await replay?.stop();
  replay = undefined;
  home?.remove();
});

describe("Docker Hub (replayed Hub API)", () => {
  test("lists a namespace's repositories across pages with a Hub token, and searches", async () => {
    replay = await startReplay(dockerHubExchanges());
    home = testHome();
    home.writeConfig(`registries:\n  hub:\n    url: docker.io\n    namespace: acme\n    options:\n      api: ${replay.url}\n`);
    const ctx = await contextOf(home, "hub", { credentials: staticCredentials({ username: HUB_USER, password: HUB_PAT }) });
    expect(ctx.registry.provider).toBe("dockerhub");
    const repos = await collect(dockerHubProvider.listRepositories(ctx));
    expect(repos.map((r) => r.name)).toEqual(["acme/platform-base", "acme/ingress", "acme/app-catalog"]);
    expect(repos[0]).toMatchObject({ description: "Base platform package", pulls: 120, stars: 2 });
    const found = await dockerHubProvider.search!(ctx, "nginx");
    // Official images are `library/` repositories.
    expect(found.map((r) => r.name)).toEqual(["library/nginx", "acme/nginx-ingress"]);
    replay.assertAllUsed();
    // One token for the whole session, never the PAT on the listing requests.
    expect(replay.requests.filter((r) => r.path === "/v2/auth/token")).toHaveLength(1);
    expect(replay.requests.some((r) => r.path !== "/v2/auth/token" && JSON.stringify(r).includes(HUB_PAT))).toBe(false);
  });
});

describe("Harbor (replayed Harbor API)", () => {
  test("lists repositories project by project, and uses Harbor's search API", async () => {
    replay = await startReplay(harborExchanges());
    home = testHome();
    home.writeConfig(`registries:\n  corp:\n    url: ${replay.url}\n    provider: harbor\n`);
    const ctx = await contextOf(home, "corp", { credentials: staticCredentials({ username: HARBOR_USER, password: HARBOR_SECRET }) });
    const repos = await collect(harborProvider.listRepositories(ctx));
    expect(repos.map((r) => r.name)).toEqual(["library/nginx", "platform/ingress", "platform/cert-manager"]);
    expect(repos[1]).toMatchObject({ description: "Ingress for the platform", pulls: 12 });
    const found = await harborProvider.search!(ctx, "ingress");
    expect(found).toEqual([{ name: "platform/ingress", pulls: 12 }]);
    replay.assertAllUsed();
  });
});

describe("Gitea (replayed packages API)", () => {
  test("lists an owner's container images (one per image, newest version, digests skipped) and searches with q=", async () => {
    replay = await startReplay(giteaExchanges());
    home = testHome();
    home.writeConfig(`registries:\n  git:\n    url: ${replay.url}\n    provider: gitea\n    namespace: acme\n`);
    const ctx = await contextOf(home, "git", { credentials: staticCredentials({ username: GITEA_USER, password: GITEA_TOKEN }) });
    const repos = await collect(giteaProvider.listRepositories(ctx));
    // The owner's login is mixed case; repository paths are lower-case.
    expect(repos).toEqual([
      { name: "acme/platform-base", latest: "1.1.0", updated: "2026-02-01T00:00:00Z" },
      { name: "acme/ingress", latest: "0.3.0", updated: "2026-01-15T00:00:00Z" },
    ]);
    expect((await giteaProvider.search!(ctx, "ingress")).map((r) => r.name)).toEqual(["acme/ingress"]);
    replay.assertAllUsed();
    // The user name goes to Gitea exactly as configured (its login is case-sensitive).
    expect(replay.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from(`${GITEA_USER}:${GITEA_TOKEN}`).toString("base64")}`);
  });
});

describe("GHCR (replayed GitHub packages API)", () => {
  test("falls back from organisation to user listing and follows Link pages, with the PAT as bearer", async () => {
    replay = await startReplay(ghcrExchanges());
    home = testHome();
    home.writeConfig(`registries:\n  gh:\n    url: ghcr.io\n    namespace: ${GH_USER}\n    options:\n      api: ${replay.url}\n`);
    const ctx = await contextOf(home, "gh", { credentials: staticCredentials({ username: GH_USER, password: GH_TOKEN }) });
    expect(ctx.registry.provider).toBe("ghcr");
    const repos = await collect(ghcrProvider.listRepositories(ctx));
    expect(repos.map((r) => r.name)).toEqual(["octo-user/platform-base", "octo-user/ingress", "octo-user/app-catalog"]);
    expect(ghcrProvider.search).toBeUndefined();
    replay.assertAllUsed();
  });
});

describe("ACR (replayed token exchange and registry)", () => {
  test("exchanges the Azure AD token for a refresh token, and the Docker token flow turns it into access tokens", async () => {
    replay = await startReplay(acrExchanges());
    home = testHome({ AZURE_ACCESS_TOKEN: AAD_TOKEN });
    home.writeConfig(`registries:\n  acr:\n    url: ${replay.url}\n    provider: acr\n    credentials:\n      azure:\n        tokenEnv: AZURE_ACCESS_TOKEN\n        tenant: contoso-tenant\n`);
    const ctx = await contextOf(home, "acr");
    const repos = await collect(acrProvider.listRepositories(ctx));
    expect(repos.map((r) => r.name)).toEqual(["platform/base", "platform/ingress"]);
    replay.assertAllUsed();
    const exchanges = replay.requests.filter((r) => r.path === "/oauth2/exchange");
    expect(exchanges).toHaveLength(1);
    // The AAD token goes only to the exchange; the registry sees ACR's access token.
    expect(replay.requests.filter((r) => r.body.includes(AAD_TOKEN) || JSON.stringify(r.headers).includes(AAD_TOKEN)).map((r) => r.path)).toEqual(["/oauth2/exchange"]);
    expect(replay.requests.findLast((r) => r.path === "/v2/_catalog")!.headers.authorization).toBe(`Bearer ${ACR_ACCESS}`);
  });

  test("a missing token variable is one clear error naming the variable, not anonymous access", async () => {
    replay = await startReplay(acrExchanges());
    home = testHome();
    home.writeConfig(`registries:\n  acr:\n    url: ${replay.url}\n    provider: acr\n    credentials:\n      azure:\n        tokenEnv: AZURE_ACCESS_TOKEN\n`);
    const ctx = await contextOf(home, "acr");
    await expect(collect(acrProvider.listRepositories(ctx))).rejects.toThrow(/AZURE_ACCESS_TOKEN is not set/);
  });
});

describe("registry test on Docker Hub (replayed registry)", () => {
  test("reports the pull allowance, skips the write probes, and finds the catalog restricted", async () => {
    replay = await startReplay(dockerHubRegistryExchanges());
    home = testHome();
    home.writeConfig(`registries:\n  hub:\n    url: ${replay.url}\n    provider: dockerhub\n`);
    const report = await testRegistry(await contextOf(home, "hub"));
    expect(report.rateLimit).toEqual({ limit: "100;w=21600", remaining: "76;w=21600" });
    expect(report.auth).toMatchObject({ scheme: "bearer", service: "registry.docker.io" });
    const results = Object.fromEntries(report.checks.map((c) => [c.name, c.result]));
    expect(results).toMatchObject({ catalog: "restricted", chunkedUpload: "skipped", mount: "skipped", delete: "skipped" });
    // Nothing was pushed: no upload was ever started.
    expect(replay.requests.some((r) => r.path.includes("/blobs/uploads/"))).toBe(false);
    replay.assertAllUsed();
  });
});
