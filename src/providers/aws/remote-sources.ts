import * as v from "valibot";
import { AuthError } from "../../errors/index.ts";
import type { AwsCredentials } from "./sigv4.ts";

/**
 * The AWS credential sources that answer over HTTP: STS web identity, the container
 * endpoint and the EC2 instance metadata service. Endpoints can be pointed elsewhere with
 * the variables the AWS SDKs read (`AWS_ENDPOINT_URL_STS`, `AWS_EC2_METADATA_SERVICE_ENDPOINT`),
 * which is also how the tests replay them.
 */

const ContainerAnswerSchema = v.looseObject({
  AccessKeyId: v.string(),
  SecretAccessKey: v.string(),
  Token: v.optional(v.string()),
  Expiration: v.optional(v.string()),
});

const CONTAINER_HOST = "http://169.254.170.2";
const IMDS = "http://169.254.169.254";

/**
 * ECS/EKS Pod Identity: `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` or `_FULL_URI` (+ authorization token).
 *
 * @example await containerCredentials(process.env) // { accessKeyId, secretAccessKey, sessionToken, expiresAt }
 */
export async function containerCredentials(env: Record<string, string | undefined>): Promise<AwsCredentials> {
  const url = env.AWS_CONTAINER_CREDENTIALS_FULL_URI || `${CONTAINER_HOST}${env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI}`;
  let token = env.AWS_CONTAINER_AUTHORIZATION_TOKEN;
  if (!token && env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE) token = (await Bun.file(env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE).text()).trim();
  const res = await get(url, token ? { Authorization: token } : {}, "the container credentials endpoint");
  const parsed = v.safeParse(ContainerAnswerSchema, await res.json().catch(() => undefined));
  if (!parsed.success) throw new AuthError("the container credentials endpoint answered without credentials");
  return fromAnswer(parsed.output);
}

/**
 * EC2 instance profile through IMDSv2 (session token first, then the role's credentials);
 * undefined within a second when there is no metadata service (not on EC2).
 *
 * @example await instanceCredentials(process.env)
 */
export async function instanceCredentials(env: Record<string, string | undefined>): Promise<AwsCredentials | undefined> {
  const base = (env.AWS_EC2_METADATA_SERVICE_ENDPOINT || IMDS).replace(/\/+$/, "");
  let token: string;
  try {
    const res = await fetch(`${base}/latest/api/token`, { method: "PUT", headers: { "X-aws-ec2-metadata-token-ttl-seconds": "21600" }, signal: AbortSignal.timeout(1000) });
    if (!res.ok) return undefined;
    token = await res.text();
  } catch {
    // No metadata service: not on EC2, which is the common case on a laptop.
    return undefined;
  }
  const headers = { "X-aws-ec2-metadata-token": token };
  const roles = await get(`${base}/latest/meta-data/iam/security-credentials/`, headers, "the EC2 metadata service");
  const role = (await roles.text()).split("\n")[0]?.trim();
  if (!role) return undefined;
  const res = await get(`${base}/latest/meta-data/iam/security-credentials/${encodeURIComponent(role)}`, headers, "the EC2 metadata service");
  const parsed = v.safeParse(ContainerAnswerSchema, await res.json().catch(() => undefined));
  if (!parsed.success) throw new AuthError("the EC2 metadata service answered without credentials");
  return fromAnswer(parsed.output);
}

/**
 * EKS IRSA: the projected token exchanged at STS `AssumeRoleWithWebIdentity` (unsigned).
 *
 * @example await assumeRoleWithWebIdentity(process.env, "eu-west-1")
 */
export async function assumeRoleWithWebIdentity(env: Record<string, string | undefined>, region?: string): Promise<AwsCredentials> {
  const token = (await Bun.file(env.AWS_WEB_IDENTITY_TOKEN_FILE!).text()).trim();
  const stsRegion = region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  const endpoint = env.AWS_ENDPOINT_URL_STS || (stsRegion ? `https://sts.${stsRegion}.amazonaws.com` : "https://sts.amazonaws.com");
  const url = new URL(endpoint);
  url.searchParams.set("Action", "AssumeRoleWithWebIdentity");
  url.searchParams.set("Version", "2011-06-15");
  url.searchParams.set("RoleArn", env.AWS_ROLE_ARN!);
  url.searchParams.set("RoleSessionName", env.AWS_ROLE_SESSION_NAME || `idp-${Date.now()}`);
  url.searchParams.set("WebIdentityToken", token);
  const res = await fetch(url, { headers: { Accept: "application/xml" }, signal: AbortSignal.timeout(30_000) }).catch(() => undefined);
  if (!res?.ok) throw new AuthError(`STS refused the web identity of role ${env.AWS_ROLE_ARN}${res ? ` (${res.status})` : ""}`, { hint: "check the role's trust policy and the service account annotation" });
  const xml = await res.text();
  const field = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
  const accessKeyId = field("AccessKeyId");
  const secretAccessKey = field("SecretAccessKey");
  if (!accessKeyId || !secretAccessKey) throw new AuthError("STS answered AssumeRoleWithWebIdentity without credentials");
  const sessionToken = field("SessionToken");
  const expiration = field("Expiration");
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}), ...(expiration ? { expiresAt: Date.parse(expiration) } : {}) };
}

async function get(url: string, headers: Record<string, string>, what: string): Promise<Response> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(5000) }).catch(() => undefined);
  if (!res?.ok) throw new AuthError(`${what} did not answer with credentials${res ? ` (${res.status})` : ""}`);
  return res;
}

function fromAnswer(a: v.InferOutput<typeof ContainerAnswerSchema>): AwsCredentials {
  return {
    accessKeyId: a.AccessKeyId,
    secretAccessKey: a.SecretAccessKey,
    ...(a.Token ? { sessionToken: a.Token } : {}),
    ...(a.Expiration ? { expiresAt: Date.parse(a.Expiration) } : {}),
  };
}
