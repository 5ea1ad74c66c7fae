import { AuthError } from "../errors/index.ts";
import type { Credential, CredentialSource } from "../remote/auth/credentials.ts";
import { dockerServerAddress } from "../remote/auth/docker-config.ts";
import { helperGet } from "../remote/auth/helper.ts";
import type { ResolvedRegistry } from "./resolve.ts";
import type { CredentialsConfig } from "./schema.ts";

/**
 * The credential source a registry's `credentials:` block describes, bound to that
 * registry's host: a password kept in the file (only when the user insisted), one read from
 * an environment variable or a file at the moment it is needed, or a Docker credential
 * helper. Undefined when the block names none of these (no block, or only a user name, or
 * a provider's own source such as `aws` or `azure`): the default chain (`idp login`, Docker's
 * config) then answers. A configured source that is empty is an AuthError naming where the
 * secret was expected, never silently anonymous.
 *
 * @example configuredCredentials(registry, process.env)?.get(registry.host)
 */
export function configuredCredentials(registry: ResolvedRegistry, env: Record<string, string | undefined>): CredentialSource | undefined {
  const config = registry.entry?.credentials;
  if (!config) return undefined;
  const label = registry.name ?? registry.host;
  const read = secretReader(config, label, env);
  if (!read) return undefined;
  return {
    name: describeCredentials(config) ?? "registries.yaml",
    async get(host) {
      if (host.toLowerCase() !== registry.host) return undefined;
      if (config.helper) return helperGet(config.helper, dockerServerAddress(host), env);
      const secret = await read();
      return { username: config.username ?? "", password: secret } satisfies Credential;
    },
  };
}

function secretReader(config: CredentialsConfig, label: string, env: Record<string, string | undefined>): (() => Promise<string>) | undefined {
  if (config.password !== undefined) return async () => config.password!;
  if (config.passwordEnv !== undefined) {
    const name = config.passwordEnv;
    return async () => {
      const value = env[name];
      if (!value) throw new AuthError(`${name} is not set: registry ${label} takes its password from it`, { hint: `export ${name}, or change credentials in registries.yaml` });
      return value;
    };
  }
  if (config.passwordFile !== undefined) {
    const path = config.passwordFile;
    return async () => {
      const file = Bun.file(path);
      if (!(await file.exists())) throw new AuthError(`${path} does not exist: registry ${label} takes its password from it`);
      const secret = (await file.text()).split(/\r?\n/, 1)[0] ?? "";
      if (!secret) throw new AuthError(`${path} is empty: registry ${label} takes its password from it`);
      return secret;
    };
  }
  if (config.helper !== undefined) return async () => "";
  return undefined;
}

/**
 * Where a registry's secret comes from, in words safe to print (names of variables, files
 * and helpers, never the secret).
 *
 * @example describeCredentials({ passwordEnv: "TOKEN" }) // "environment variable TOKEN"
 */
export function describeCredentials(config: CredentialsConfig | undefined): string | undefined {
  if (!config) return undefined;
  if (config.password !== undefined) return "password stored in registries.yaml";
  if (config.passwordEnv) return `environment variable ${config.passwordEnv}`;
  if (config.passwordFile) return `file ${config.passwordFile}`;
  if (config.helper) return `credential helper docker-credential-${config.helper}`;
  if (config.aws) return `AWS credential chain${config.aws.profile ? ` (profile ${config.aws.profile})` : ""}`;
  if (config.azure) return `Azure AD token from ${config.azure.tokenEnv}, exchanged`;
  return undefined;
}
