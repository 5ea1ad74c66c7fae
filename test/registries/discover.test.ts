import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { discoverProvider } from "../../src/providers/discover.ts";
import { providerForHost } from "../../src/providers/catalog.ts";
import { startDistribution } from "../helpers/distribution.ts";
import { startIdp, type RegistryUnderTest } from "../helpers/idp.ts";
import { giteaChallenge, giteaVersion } from "./fixtures/gitea.ts";
import { harborChallenge, harborSystemInfo } from "./fixtures/harbor.ts";
import { startReplay, type Exchange, type Replay } from "./replay.ts";

/**
 * Provider discovery: by host name without any request; by the anonymous `/v2/` answer and
 * well-known endpoints for services that run on anyone's domain (REPLAYED from their docs);
 * and, for real registries (idp serve, Distribution 2.8), the generic answer.
 */
describe("discovery by host", () => {
  test("hosts only one service uses decide without a request", () => {
    expect(providerForHost("docker.io")).toBe("dockerhub");
    expect(providerForHost("registry-1.docker.io")).toBe("dockerhub");
    expect(providerForHost("ghcr.io")).toBe("ghcr");
    expect(providerForHost("contoso.azurecr.io")).toBe("acr");
    expect(providerForHost("123456789012.dkr.ecr.us-east-1.amazonaws.com")).toBe("ecr");
    expect(providerForHost("harbor.example.com")).toBeUndefined();
  });

  test("probe: false never asks", async () => {
    expect(await discoverProvider("203.0.113.1:5000", { probe: false })).toMatchObject({ kind: "generic", by: "default" });
  });
});

describe("discovery by probing (replayed answers)", () => {
  let replay: Replay | undefined;
  afterEach(async () => {
    await replay?.stop();
    replay = undefined;
  });
  const open: Exchange = { source: "OCI distribution spec (GET /v2/ answers 200 when anonymous access is allowed)", request: { method: "GET", path: "/v2/" }, response: { status: 200, json: {} } };
  const cases: [string, Exchange[], string, string][] = [
    ["Harbor's token challenge", [harborChallenge()], "harbor", "answer"],
    ["Gitea's token challenge", [giteaChallenge()], "gitea", "answer"],
    ["Harbor's systeminfo when /v2/ is open", [open, harborSystemInfo()], "harbor", "endpoint"],
    ["Gitea's version endpoint when /v2/ is open", [open, giteaVersion()], "gitea", "endpoint"],
    [
      "Docker Hub's token service",
      [{ source: "https://distribution.github.io/distribution/spec/auth/token/ (Docker Hub's challenge names auth.docker.io)", request: { method: "GET", path: "/v2/" }, response: { status: 401, headers: { "Www-Authenticate": 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io"' } } }],
      "dockerhub",
      "answer",
    ],
    [
      "ECR's Basic challenge",
      [{ source: "https://docs.aws.amazon.com/AmazonECR/latest/userguide/registry_auth.html (ECR registries use Basic auth with an ECR token)", request: { method: "GET", path: "/v2/" }, response: { status: 401, headers: { "Www-Authenticate": 'Basic realm="https://123456789012.dkr.ecr.eu-west-1.amazonaws.com/",service="ecr.amazonaws.com"' } } }],
      "ecr",
      "answer",
    ],
  ];
  for (const [title, exchanges, kind, by] of cases) {
    test(title, async () => {
      replay = await startReplay(exchanges);
      expect(await discoverProvider(replay.host, { env: {} })).toMatchObject({ kind, by });
    });
  }

  test("an open /v2/ with no well-known endpoint is generic", async () => {
    replay = await startReplay([open]);
    expect(await discoverProvider(replay.host, { env: {} })).toMatchObject({ kind: "generic", by: "default" });
    expect(replay.requests.map((r) => r.path)).toEqual(["/v2/", "/api/v2.0/systeminfo", "/api/v1/version"]);
  });
});

describe("discovery against real registries", () => {
  const registries: RegistryUnderTest[] = [];
  beforeAll(async () => {
    registries.push(await startIdp(), await startDistribution());
  });
  afterAll(async () => {
    await Promise.all(registries.map((r) => r.stop()));
  });
  test("idp serve and Distribution 2.8 are generic OCI registries", async () => {
    for (const r of registries) expect((await discoverProvider(r.host, { env: {} })).kind).toBe("generic");
  });
});
