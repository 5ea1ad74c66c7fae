import * as v from "valibot";
import { AuthError, InvalidInputError, NotFoundError, RegistryResponseError } from "../errors/index.ts";
import type { Credential, CredentialSource } from "../remote/auth/credentials.ts";
import type { AwsCredentials } from "./aws/sigv4.ts";
import type { ProviderContext, RegistryProvider } from "./types.ts";

/** `<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]`. */
const ECR_HOST = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/;
const TARGET = "AmazonEC2ContainerRegistry_V20150921";

const TokenAnswerSchema = v.looseObject({
  authorizationData: v.array(v.looseObject({ authorizationToken: v.string(), expiresAt: v.optional(v.number()) })),
});
const RepositoriesAnswerSchema = v.looseObject({
  repositories: v.optional(v.array(v.looseObject({ repositoryName: v.string(), createdAt: v.optional(v.number()) })), []),
  nextToken: v.nullish(v.string()),
});

/**
 * Amazon ECR: the registry password is an authorization token from the ECR API
 * (`GetAuthorizationToken`, SigV4-signed with credentials from the AWS chain, valid 12 hours)
 * or from the `docker-credential-ecr-login` helper (`credentials.helper: ecr-login`).
 * ECR does not create repositories on push: with `options.createRepositories: true` idp
 * creates a missing one (`DescribeRepositories`, then `CreateRepository`) before pushing.
 * Repositories are listed with `DescribeRepositories`; there is no catalog and no search.
 *
 * @example ecrHost("123456789012.dkr.ecr.eu-west-1.amazonaws.com") // { account: "123456789012", region: "eu-west-1" }
 */
export const ecrProvider: RegistryProvider = {
  kind: "ecr",
  title: "Amazon ECR",
  documented: {
    referrersApi: "yes",
    listing: "ECR API: DescribeRepositories",
    search: "local index (built from DescribeRepositories)",
    auth: "AWS credential chain → GetAuthorizationToken (or docker-credential-ecr-login)",
    createsRepositoryOnPush: false,
    notes: "repositories must exist before a push; options.createRepositories lets idp create them",
  },
  writeProbesByDefault: false,
  recognizesHost: (host) => ECR_HOST.test(host.replace(/:443$/, "")),
  recognizesAnswer: (e) => e.challenge?.service === "ecr.amazonaws.com",

  credentialSource(ctx) {
    const configured = ctx.registry.entry?.credentials;
    // With another secret source configured, that one is the user's choice.
    if (configured && Object.keys(configured).some((k) => k !== "aws" && k !== "username")) return undefined;
    return ecrTokenSource(ctx, configured?.aws !== undefined);
  },

  async *listRepositories(ctx, signal) {
    let nextToken: string | undefined;
    do {
      const answer = await call(ctx, "DescribeRepositories", { registryId: ecrHost(ctx.registry.host)?.account, maxResults: 1000, ...(nextToken ? { nextToken } : {}) }, RepositoriesAnswerSchema, signal);
      for (const r of answer.repositories) yield { name: r.repositoryName, ...(r.createdAt ? { updated: new Date(r.createdAt * 1000).toISOString() } : {}) };
      nextToken = answer.nextToken ?? undefined;
    } while (nextToken);
  },

  async prepareRepository(ctx, repository) {
    if (ctx.registry.entry?.options?.createRepositories !== true) return;
    const registryId = ecrHost(ctx.registry.host)?.account;
    try {
      await call(ctx, "DescribeRepositories", { registryId, repositoryNames: [repository] }, RepositoriesAnswerSchema);
      return;
    } catch (error) {
      if (!isAwsError(error, "RepositoryNotFoundException")) throw error;
    }
    try {
      await call(ctx, "CreateRepository", { registryId, repositoryName: repository, imageTagMutability: "MUTABLE" }, v.looseObject({ repository: v.looseObject({ repositoryName: v.string() }) }));
    } catch (error) {
      // Created meanwhile by someone else: what we wanted.
      if (!isAwsError(error, "RepositoryAlreadyExistsException")) throw error;
    }
  },
};

/**
 * Account and region of an ECR registry host; undefined for other hosts.
 *
 * @example ecrHost("123456789012.dkr.ecr.eu-west-1.amazonaws.com") // { account: "123456789012", region: "eu-west-1", china: false }
 */
export function ecrHost(host: string): { account: string; region: string; china: boolean } | undefined {
  const m = ECR_HOST.exec(host.replace(/:443$/, ""));
  return m ? { account: m[1]!, region: m[2]!, china: m[3] !== undefined } : undefined;
}

/**
 * Registry credentials from `GetAuthorizationToken`: `AWS` and the decoded token, cached
 * until shortly before the token expires. With `required`, missing AWS credentials are an
 * AuthError; otherwise this source simply has nothing and the next one is asked.
 */
function ecrTokenSource(ctx: ProviderContext, required: boolean): CredentialSource {
  let cached: { credential: Credential; renewAt: number } | undefined;
  return {
    name: "AWS credential chain (ECR GetAuthorizationToken)",
    async get(host) {
      if (host !== ctx.registry.host) return undefined;
      if (cached && cached.renewAt > Date.now()) return cached.credential;
      const aws = await chainCredentials(ctx);
      if (!aws) {
        if (required) throw new AuthError(`no AWS credentials found for ${ctx.registry.host}`, { hint: "set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or use credentials.helper: ecr-login" });
        return undefined;
      }
      const answer = await call(ctx, "GetAuthorizationToken", {}, TokenAnswerSchema, undefined, aws);
      const data = answer.authorizationData[0];
      if (!data) throw new AuthError("ECR answered GetAuthorizationToken without a token");
      const decoded = Buffer.from(data.authorizationToken, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon < 0) throw new AuthError("ECR's authorization token is not user:password");
      const credential = { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
      const expires = data.expiresAt ? data.expiresAt * 1000 : Date.now() + 12 * 3600_000;
      cached = { credential, renewAt: expires - 5 * 60_000 };
      return credential;
    },
  };
}

async function chainCredentials(ctx: ProviderContext): Promise<AwsCredentials | undefined> {
  const profile = ctx.registry.entry?.credentials?.aws?.profile;
  // The AWS code (and node:crypto under it) loads only for ECR registries.
  const { awsCredentials } = await import("./aws/credentials.ts");
  return awsCredentials({ env: ctx.env, ...(profile ? { profile } : {}), region: regionOf(ctx) });
}

/** One ECR API call: JSON 1.1 protocol, SigV4-signed. */
async function call<S extends v.GenericSchema>(ctx: ProviderContext, action: string, payload: Record<string, unknown>, schema: S, signal?: AbortSignal, known?: AwsCredentials): Promise<v.InferOutput<S>> {
  const credentials = known ?? (await chainCredentials(ctx));
  if (!credentials) throw new AuthError(`${action} needs AWS credentials and none were found`, { hint: "set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY" });
  const api = await ctx.api(apiBase(ctx));
  const body = new TextEncoder().encode(JSON.stringify(Object.fromEntries(Object.entries(payload).filter(([, value]) => value !== undefined))));
  const { signV4 } = await import("./aws/sigv4.ts");
  const headers = signV4({
    method: "POST",
    url: api.url("/"),
    headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": `${TARGET}.${action}` },
    body,
    region: regionOf(ctx),
    service: "ecr",
    credentials,
  });
  const { value } = await api.json({ method: "POST", path: "/", body, headers, ...(signal ? { signal } : {}) }, schema);
  return value;
}

function regionOf(ctx: ProviderContext): string {
  const region = ctx.registry.entry?.options?.region ?? ecrHost(ctx.registry.host)?.region ?? ctx.env.AWS_REGION ?? ctx.env.AWS_DEFAULT_REGION;
  if (!region) throw new InvalidInputError(`no AWS region for ${ctx.registry.host}`, { hint: "set options.region in registries.yaml" });
  return region;
}

/** The ECR API endpoint: options.api, AWS_ENDPOINT_URL_ECR / AWS_ENDPOINT_URL, else the regional one. */
function apiBase(ctx: ProviderContext): string {
  const configured = ctx.registry.entry?.options?.api ?? ctx.env.AWS_ENDPOINT_URL_ECR ?? ctx.env.AWS_ENDPOINT_URL;
  if (configured) return configured;
  const host = ecrHost(ctx.registry.host);
  return `https://api.ecr.${regionOf(ctx)}.amazonaws.com${host?.china ? ".cn" : ""}`;
}

function isAwsError(error: unknown, type: string): boolean {
  const cause = error instanceof NotFoundError ? error.cause : error;
  return cause instanceof RegistryResponseError && cause.codes.includes(type);
}
