import { homedir } from "node:os";
import { join } from "node:path";
import * as v from "valibot";
import { AuthError } from "../../errors/index.ts";
import { parseIni } from "./ini.ts";
import type { AwsCredentials } from "./sigv4.ts";
import { assumeRoleWithWebIdentity, containerCredentials, instanceCredentials } from "./remote-sources.ts";

/** Options of the chain; `env` is the process environment unless a test passes its own. */
export interface AwsChainOptions {
  env: Record<string, string | undefined>;
  /** A named profile of ~/.aws/config and ~/.aws/credentials (default AWS_PROFILE, else "default"). */
  profile?: string;
  /** Region for STS, when the web-identity source needs one. */
  region?: string;
}

const ProcessAnswerSchema = v.looseObject({
  Version: v.literal(1),
  AccessKeyId: v.string(),
  SecretAccessKey: v.string(),
  SessionToken: v.optional(v.string()),
  Expiration: v.optional(v.string()),
});

/**
 * AWS credentials found the way the AWS CLI and SDKs find them, first match wins:
 *
 * 1. `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` (/ `AWS_SESSION_TOKEN`);
 * 2. the profile's keys, or its `credential_process`, in `~/.aws/credentials` and
 *    `~/.aws/config` (`AWS_SHARED_CREDENTIALS_FILE`, `AWS_CONFIG_FILE`);
 * 3. web identity (EKS IRSA): `AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN` through STS;
 * 4. the ECS/EKS container endpoint (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` or `_FULL_URI`);
 * 5. the EC2 instance metadata service (IMDSv2), unless `AWS_EC2_METADATA_DISABLED=true`.
 *
 * Undefined when none has credentials. Secrets are never part of an error message.
 *
 * @example const creds = await awsCredentials({ env: process.env });
 */
export async function awsCredentials(options: AwsChainOptions): Promise<AwsCredentials | undefined> {
  const { env } = options;
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    return { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) };
  }
  const fromProfile = await profileCredentials(options);
  if (fromProfile) return fromProfile;
  if (env.AWS_WEB_IDENTITY_TOKEN_FILE && env.AWS_ROLE_ARN) return assumeRoleWithWebIdentity(env, options.region);
  if (env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI || env.AWS_CONTAINER_CREDENTIALS_FULL_URI) return containerCredentials(env);
  if (env.AWS_EC2_METADATA_DISABLED?.toLowerCase() === "true") return undefined;
  return instanceCredentials(env);
}

async function profileCredentials(options: AwsChainOptions): Promise<AwsCredentials | undefined> {
  const { env } = options;
  const home = env.HOME || homedir();
  const profile = options.profile ?? env.AWS_PROFILE ?? "default";
  const credentialsFile = await readIni(env.AWS_SHARED_CREDENTIALS_FILE || join(home, ".aws", "credentials"));
  const configFile = await readIni(env.AWS_CONFIG_FILE || join(home, ".aws", "config"));
  const sections = [credentialsFile[profile], configFile[profile === "default" ? "default" : `profile ${profile}`]].filter((s) => s !== undefined);
  for (const section of sections) {
    if (section.aws_access_key_id && section.aws_secret_access_key) {
      return { accessKeyId: section.aws_access_key_id, secretAccessKey: section.aws_secret_access_key, ...(section.aws_session_token ? { sessionToken: section.aws_session_token } : {}) };
    }
    if (section.credential_process) return processCredentials(section.credential_process, profile, env);
  }
  if (options.profile !== undefined && sections.length === 0) {
    throw new AuthError(`AWS profile ${options.profile} is in neither ~/.aws/credentials nor ~/.aws/config`, { hint: "check the profile name in registries.yaml (credentials.aws.profile)" });
  }
  return undefined;
}

/** `credential_process`: a program printing the credentials as JSON (aws-vault, SSO helpers). */
async function processCredentials(command: string, profile: string, env: Record<string, string | undefined>): Promise<AwsCredentials> {
  const proc = Bun.spawn(["sh", "-c", command], { stdout: "pipe", stderr: "ignore", env: env as Record<string, string> });
  const [text, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  if (code !== 0) throw new AuthError(`the credential_process of AWS profile ${profile} failed (exit ${code})`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new AuthError(`the credential_process of AWS profile ${profile} printed something that is not JSON`);
  }
  const parsed = v.safeParse(ProcessAnswerSchema, doc);
  if (!parsed.success) throw new AuthError(`the credential_process of AWS profile ${profile} answered without Version 1 credentials`);
  const out = parsed.output;
  return {
    accessKeyId: out.AccessKeyId,
    secretAccessKey: out.SecretAccessKey,
    ...(out.SessionToken ? { sessionToken: out.SessionToken } : {}),
    ...(out.Expiration ? { expiresAt: Date.parse(out.Expiration) } : {}),
  };
}

async function readIni(path: string): Promise<Record<string, Record<string, string>>> {
  const file = Bun.file(path);
  return (await file.exists()) ? parseIni(await file.text()) : {};
}
