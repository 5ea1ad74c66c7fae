import { ApiClient } from "../providers/api.ts";
import { providerOf } from "../providers/catalog.ts";
import type { ProviderContext } from "../providers/types.ts";
import { chainCredentials, dockerConfigCredentials, envCredentials, idpStoreCredentials, openRegistry, type RemoteOptions, type RemoteRegistry } from "../remote/index.ts";
import { hasSecret, type Credential, type CredentialSource } from "../remote/auth/credentials.ts";
import { retryPolicy } from "../remote/retry/policy.ts";
import { resolveEndpoint } from "../remote/transport/endpoint.ts";
import { HttpSender } from "../remote/transport/http.ts";
import { VERSION } from "../version.ts";
import { configuredCredentials } from "./credentials.ts";
import type { ResolvedRegistry } from "./resolve.ts";

/**
 * Everything needed to work with one registry: the options that reach src/remote (TLS from
 * the entry, credentials in order: the entry's configured source, the provider's own (ECR's
 * IAM token, ACR's exchange), then the default chain of environment, `idp login` and
 * Docker's config) and the provider's API clients. Flags given on the command line win over
 * the entry's settings.
 *
 * @example
 * const ctx = registryContext(requireRegistry(config, "corp"), await remoteOptions(flags));
 * for await (const repo of providerOf(ctx.registry.provider).listRepositories(ctx)) …
 */
export function registryContext(registry: ResolvedRegistry, flags: RemoteOptions = {}, env: Record<string, string | undefined> = flags.env ?? process.env): ProviderContext {
  const sources: CredentialSource[] = [];
  const tls = registry.entry?.tls ?? {};
  const scheme = registry.url.scheme;
  const remote: RemoteOptions = {
    ...flags,
    env,
    insecure: flags.insecure ?? tls.insecure,
    plainHttp: flags.plainHttp ?? tls.plainHttp ?? (scheme === "http" ? true : scheme === "https" ? false : undefined),
    caFile: flags.caFile ?? tls.caFile,
  };
  let credential: Promise<{ credential: Credential | undefined; source: string | undefined }> | undefined;
  const lookup = () => (credential ??= firstCredential(sources, registry.host));
  let opened: Promise<RemoteRegistry> | undefined;
  const ctx: ProviderContext = {
    registry,
    env,
    remote,
    credential: async () => (await lookup()).credential,
    credentialSource: async () => (await lookup()).source,
    openRegistry: () => (opened ??= openRegistry(registry.host, remote)),
    async api(base, authorization) {
      const url = new URL(base);
      const own = url.host === registry.host;
      const endpoint = await resolveEndpoint(url.host, {
        plainHttp: url.protocol === "http:",
        ...(remote.insecure ? { insecure: true } : {}),
        ...(own && remote.caFile ? { caFile: remote.caFile } : {}),
      });
      const policy = retryPolicy(env, { ...(remote.retries === undefined ? {} : { retries: remote.retries }), ...(remote.timeoutMs === undefined ? {} : { timeoutMs: remote.timeoutMs }) });
      const sender = new HttpSender({ endpoint, policy, userAgent: remote.userAgent ?? `idp/${VERSION}`, env, ...(remote.signal ? { signal: remote.signal } : {}) });
      return new ApiClient(base, sender, authorization, `${providerOf(registry.provider).title} API at ${url.host}`);
    },
  };
  const configured = configuredCredentials(registry, env);
  if (configured) sources.push(configured);
  const minted = providerOf(registry.provider).credentialSource?.(ctx);
  // An explicitly configured provider source (aws, azure) goes first; ECR's IAM fallback
  // goes after the user's own logins, so a configured helper or `idp login` still wins.
  const explicit = registry.entry?.credentials?.aws !== undefined || registry.entry?.credentials?.azure !== undefined;
  if (minted && explicit) sources.push(minted);
  // The default chain, one source at a time, so that `registry test` can say which answered.
  if (flags.credentials) sources.push(flags.credentials);
  else sources.push(envCredentials(env), idpStoreCredentials(env), dockerConfigCredentials(env));
  if (minted && !explicit) sources.push(minted);
  remote.credentials = sources.length === 1 ? sources[0]! : chainCredentials(...sources);
  return ctx;
}

/** The first source with a credential for `host`, and its name (a chain only says all names). */
async function firstCredential(sources: CredentialSource[], host: string): Promise<{ credential: Credential | undefined; source: string | undefined }> {
  for (const source of sources) {
    const credential = await source.get(host);
    if (hasSecret(credential)) return { credential, source: source.name };
  }
  return { credential: undefined, source: undefined };
}
