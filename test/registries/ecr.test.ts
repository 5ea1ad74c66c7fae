import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { awsCredentials } from "../../src/providers/aws/credentials.ts";
import { signV4, sha256Hex } from "../../src/providers/aws/sigv4.ts";
import { ecrHost, ecrProvider } from "../../src/providers/ecr.ts";
import { openConfiguredRepository } from "../../src/registries/open.ts";
import { parseRegistryReference } from "../../src/oci/reference.ts";
import { MediaType } from "../../src/oci/mediatypes.ts";
import { digestOf } from "../../src/oci/digest.ts";
import { writeStandInHelper } from "../remote/helpers/cred-helper.ts";
import { startDistribution } from "../helpers/distribution.ts";
import { tempDir, type RegistryUnderTest } from "../helpers/idp.ts";
import { makeImage } from "../helpers/oci.ts";
import { peer } from "../helpers/peers.ts";
import { run } from "../helpers/process.ts";
import { AWS_TEST_KEY, AWS_TEST_SECRET, ECR_PASSWORD, ecrCreateRepository, ecrListing, ecrTokenExchange } from "./fixtures/ecr.ts";
import { startReplay, type Exchange, type Replay } from "./replay.ts";
import { collect, contextOf, testHome, type TestHome } from "./setup.ts";

/**
 * ECR: the ECR API is a REPLAY of its documented exchanges (see replay.ts), but the registry
 * is real: CNCF Distribution 2.8 with an htpasswd user `AWS` whose password is the token the
 * replayed GetAuthorizationToken hands out, so the credential idp mints from IAM is checked by
 * a real registry, and so is the push after idp created the repository.
 */
describe("SigV4", () => {
  test("matches AWS's documented example signature (S3 GET Object, docs.aws.amazon.com sig-v4-header-based-auth)", () => {
    const headers = signV4({
      method: "GET",
      url: new URL("https://examplebucket.s3.amazonaws.com/test.txt"),
      headers: { range: "bytes=0-9", "x-amz-content-sha256": sha256Hex("") },
      body: { sha256: sha256Hex("") },
      region: "us-east-1",
      service: "s3",
      credentials: { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
      now: new Date("2013-05-24T00:00:00Z"),
    });
    expect(headers.Authorization).toBe(
      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
    );
  });

  test("ECR hosts give account and region; others are not ECR", () => {
    expect(ecrHost("123456789012.dkr.ecr.eu-west-1.amazonaws.com")).toEqual({ account: "123456789012", region: "eu-west-1", china: false });
    expect(ecrHost("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn")?.china).toBe(true);
    expect(ecrHost("ghcr.io")).toBeUndefined();
  });
});

describe("AWS credential chain", () => {
  let home: TestHome;
  let replay: Replay | undefined;
  afterEach(async () => {
    await replay?.stop();
    replay = undefined;
    home.remove();
  });

  test("environment first, then the profile's keys, then its credential_process", async () => {
    home = testHome();
    mkdirSync(join(home.path, ".aws"));
    writeFileSync(join(home.path, ".aws", "credentials"), "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = file-secret\n");
    writeFileSync(join(home.path, ".aws", "config"), `[profile tool]\ncredential_process = printf '{"Version":1,"AccessKeyId":"AKIDPROC","SecretAccessKey":"proc-secret","SessionToken":"tok"}'\n`);
    expect((await awsCredentials({ env: { ...home.env, AWS_ACCESS_KEY_ID: "AKIDENV", AWS_SECRET_ACCESS_KEY: "env-secret" } }))?.accessKeyId).toBe("AKIDENV");
    expect((await awsCredentials({ env: home.env }))?.accessKeyId).toBe("AKIDFILE");
    expect(await awsCredentials({ env: home.env, profile: "tool" })).toMatchObject({ accessKeyId: "AKIDPROC", sessionToken: "tok" });
    await expect(awsCredentials({ env: home.env, profile: "nope" })).rejects.toThrow(/AWS profile nope/);
  });

  test("container endpoint, web identity through STS, and IMDSv2 (each a replayed AWS endpoint)", async () => {
    const answer = { AccessKeyId: "AKIDREMOTE", SecretAccessKey: "remote-secret", Token: "session", Expiration: "2030-01-01T00:00:00Z" };
    const exchanges: Exchange[] = [
      { source: "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html (container credentials endpoint)", request: { method: "GET", path: "/creds", headers: { authorization: "container-token" } }, response: { status: 200, json: answer } },
      {
        source: "https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html",
        request: { method: "GET", path: "/", query: { Action: "AssumeRoleWithWebIdentity", RoleArn: "arn:aws:iam::123456789012:role/idp", WebIdentityToken: "projected-jwt" } },
        response: { status: 200, headers: { "Content-Type": "text/xml" }, text: "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>AKIDSTS</AccessKeyId><SecretAccessKey>sts-secret</SecretAccessKey><SessionToken>sts-session</SessionToken><Expiration>2030-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>" },
      },
      { source: "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-service.html (IMDSv2 session token)", request: { method: "PUT", path: "/latest/api/token", headers: { "x-aws-ec2-metadata-token-ttl-seconds": "21600" } }, response: { status: 200, text: "imds-session" } },
      { source: "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-data-retrieval.html (role name)", request: { method: "GET", path: "/latest/meta-data/iam/security-credentials/", headers: { "x-aws-ec2-metadata-token": "imds-session" } }, response: { status: 200, text: "idp-role" } },
      { source: "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-data-retrieval.html (role credentials)", request: { method: "GET", path: "/latest/meta-data/iam/security-credentials/idp-role", headers: { "x-aws-ec2-metadata-token": "imds-session" } }, response: { status: 200, json: { ...answer, AccessKeyId: "AKIDIMDS" } } },
    ];
    replay = await startReplay(exchanges);
    home = testHome();
    const tokenFile = join(home.path, "token");
    writeFileSync(tokenFile, "projected-jwt\n");
    expect(await awsCredentials({ env: { ...home.env, AWS_CONTAINER_CREDENTIALS_FULL_URI: `${replay.url}/creds`, AWS_CONTAINER_AUTHORIZATION_TOKEN: "container-token" } })).toMatchObject({ accessKeyId: "AKIDREMOTE", sessionToken: "session" });
    expect(await awsCredentials({ env: { ...home.env, AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile, AWS_ROLE_ARN: "arn:aws:iam::123456789012:role/idp", AWS_ENDPOINT_URL_STS: replay.url } })).toMatchObject({ accessKeyId: "AKIDSTS", sessionToken: "sts-session" });
    expect((await awsCredentials({ env: { ...home.env, AWS_EC2_METADATA_DISABLED: undefined, AWS_EC2_METADATA_SERVICE_ENDPOINT: replay.url } }))?.accessKeyId).toBe("AKIDIMDS");
    replay.assertAllUsed();
  });
});

describe("ECR provider (replayed ECR API, real Distribution as the registry)", () => {
  let registry: RegistryUnderTest;
  let dir: { path: string; remove(): void };
  let home: TestHome;
  let replay: Replay | undefined;
  beforeAll(async () => {
    dir = tempDir("idp-ecr-");
    const htpasswd = join(dir.path, "htpasswd");
    writeFileSync(htpasswd, `${(await run([peer("htpasswd"), "-Bbn", "AWS", ECR_PASSWORD])).stdout.trim()}\n`);
    registry = await startDistribution({ extraConfig: ["auth:", "  htpasswd:", "    realm: ecr-stand-in", `    path: ${htpasswd}`].join("\n") });
  });
  afterAll(async () => {
    await registry?.stop();
    dir.remove();
  });
  afterEach(async () => {
    await replay?.stop();
    replay = undefined;
    home.remove();
  });

  const config = (api: string, create: boolean) =>
    `registries:\n  prod:\n    url: http://${registry.host}\n    provider: ecr\n    credentials:\n      aws: {}\n    options:\n      api: ${api}\n      region: eu-west-1\n      createRepositories: ${create}\n`;

  test("mints the registry password from IAM, creates the missing repository, then pushes to the real registry", async () => {
    replay = await startReplay([...ecrCreateRepository("team/new"), ecrTokenExchange()]);
    home = testHome({ AWS_ACCESS_KEY_ID: AWS_TEST_KEY, AWS_SECRET_ACCESS_KEY: AWS_TEST_SECRET });
    home.writeConfig(config(replay.url, true));
    const repo = await openConfiguredRepository(parseRegistryReference(`${registry.host}/team/new`), { retries: 0 }, { create: true, env: home.env });
    const image = makeImage();
    for (const blob of [image.config, ...image.layers]) await repo.push({ mediaType: MediaType.ociLayerGzip, digest: blob.digest, size: blob.size }, blob.bytes);
    await repo.push({ mediaType: image.mediaType, digest: image.manifest.digest, size: image.manifest.size }, image.manifest.bytes);
    await repo.tag({ mediaType: image.mediaType, digest: image.manifest.digest, size: image.manifest.size }, "v1");
    expect((await repo.resolve("v1")).digest).toBe(image.manifest.digest);
    replay.assertAllUsed();
    // GetAuthorizationToken once per process, whatever the number of registry requests.
    expect(replay.requests.filter((r) => r.headers["x-amz-target"]?.endsWith("GetAuthorizationToken"))).toHaveLength(1);
  });

  test("without createRepositories nothing is created; listing pages through DescribeRepositories", async () => {
    replay = await startReplay([...ecrListing()]);
    home = testHome({ AWS_ACCESS_KEY_ID: AWS_TEST_KEY, AWS_SECRET_ACCESS_KEY: AWS_TEST_SECRET });
    home.writeConfig(config(replay.url, false));
    await openConfiguredRepository(parseRegistryReference(`${registry.host}/team/other`), { retries: 0 }, { create: true, env: home.env });
    const ctx = await contextOf(home, "prod");
    expect((await collect(ecrProvider.listRepositories(ctx))).map((r) => r.name)).toEqual(["team/app", "team/ingress", "platform/base"]);
    replay.assertAllUsed();
  });

  test("credentials.helper: ecr-login answers instead of IAM: no ECR API call is made", async () => {
    replay = await startReplay([]);
    home = testHome();
    const bin = join(home.path, "bin");
    mkdirSync(bin);
    writeStandInHelper(bin, "ecr-login", { [registry.host]: { Username: "AWS", Secret: ECR_PASSWORD } });
    home.env.PATH = `${bin}:${process.env.PATH}`;
    home.writeConfig(`registries:\n  prod:\n    url: http://${registry.host}\n    provider: ecr\n    credentials:\n      helper: ecr-login\n    options:\n      api: ${replay.url}\n      region: eu-west-1\n`);
    const repo = await openConfiguredRepository(parseRegistryReference(`${registry.host}/team/helper`), { retries: 0 }, { env: home.env });
    const blob = new TextEncoder().encode("pushed with the helper's token");
    await repo.push({ mediaType: MediaType.ociLayerGzip, digest: digestOf(blob), size: blob.byteLength }, blob);
    expect(await repo.exists({ mediaType: MediaType.ociLayerGzip, digest: digestOf(blob), size: blob.byteLength })).toBe(true);
    expect(replay.requests).toEqual([]);
  });

  test("credentials.aws without AWS credentials is one clear error naming what to set", async () => {
    replay = await startReplay([]);
    home = testHome();
    home.writeConfig(config(replay.url, false));
    const repo = await openConfiguredRepository(parseRegistryReference(`${registry.host}/team/app`), { retries: 0 }, { env: home.env });
    const error = await repo.resolve("v1").catch((e: Error) => e);
    expect(String(error)).toMatch(/no AWS credentials found/);
    expect((error as { hint?: string }).hint).toMatch(/AWS_PROFILE/);
  });
});
