/**
 * What a registry may be told to prove who we are. Secrets live only in these objects: they
 * are never printed, logged or put into an error message (errors name the host and the source,
 * never a value).
 */
export interface Credential {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token (Docker's `identitytoken`), exchanged at the token endpoint. */
  identityToken?: string;
  /** A bearer token to send as is (Docker's `registrytoken`). */
  registryToken?: string;
}

/** Where credentials for a registry host come from. Undefined: this source has none. */
export interface CredentialSource {
  /** A short name for messages: "docker config", "environment", … (never a secret). */
  readonly name: string;
  get(host: string): Promise<Credential | undefined>;
}

/** True when the credential carries anything to send. */
export function hasSecret(credential: Credential | undefined): credential is Credential {
  return Boolean(credential && (credential.password || credential.identityToken || credential.registryToken));
}

/**
 * The first source that has credentials for the host wins, in the order given.
 *
 * @example chainCredentials(staticCredentials({ username, password }), envCredentials())
 */
export function chainCredentials(...sources: CredentialSource[]): CredentialSource {
  return {
    name: sources.map((s) => s.name).join(", "),
    async get(host) {
      for (const source of sources) {
        const found = await source.get(host);
        if (hasSecret(found)) return found;
      }
      return undefined;
    },
  };
}

/**
 * Credentials given in code (a CLI's `--username/--password-stdin`): for every host, or for
 * the hosts of a map.
 *
 * @example staticCredentials({ username: "ci", password: token })
 */
export function staticCredentials(credential: Credential | Record<string, Credential>): CredentialSource {
  const isSingle = ["username", "password", "identityToken", "registryToken"].some((k) => k in credential);
  return {
    name: "explicit credentials",
    async get(host) {
      if (isSingle) return credential as Credential;
      return (credential as Record<string, Credential>)[host];
    },
  };
}

/** No credentials at all: anonymous access. */
export const anonymous: CredentialSource = { name: "anonymous", get: async () => undefined };

/**
 * Credentials from environment variables, for CI:
 *
 * - `IDP_REGISTRY_<HOST>_USERNAME` / `IDP_REGISTRY_<HOST>_PASSWORD` apply to one host, where
 *   `<HOST>` is the host upper-cased with every character outside `A-Z0-9` turned into `_`
 *   (`ghcr.io` → `GHCR_IO`, `127.0.0.1:5000` → `127_0_0_1_5000`). They win over the pair below.
 * - `IDP_REGISTRY_USERNAME` / `IDP_REGISTRY_PASSWORD` apply to the hosts listed in
 *   `IDP_REGISTRY_HOST` (comma-separated) when it is set, else to every host. Setting the
 *   host list is wise: an unscoped pair is offered to every registry that asks, Docker Hub
 *   included.
 *
 * @example envCredentials({ IDP_REGISTRY_GHCR_IO_USERNAME: "me", IDP_REGISTRY_GHCR_IO_PASSWORD: "…" })
 */
export function envCredentials(env: Record<string, string | undefined> = process.env): CredentialSource {
  return {
    name: "environment",
    async get(host) {
      const key = envHostKey(host);
      const scopedUser = env[`IDP_REGISTRY_${key}_USERNAME`];
      const scopedPass = env[`IDP_REGISTRY_${key}_PASSWORD`];
      if (scopedPass) return { username: scopedUser ?? "", password: scopedPass };
      const password = env.IDP_REGISTRY_PASSWORD;
      if (!password) return undefined;
      const hosts = env.IDP_REGISTRY_HOST?.split(",").map((h) => h.trim().toLowerCase()).filter(Boolean);
      if (hosts && hosts.length > 0 && !hosts.includes(host.toLowerCase())) return undefined;
      return { username: env.IDP_REGISTRY_USERNAME ?? "", password };
    },
  };
}

/** `ghcr.io` → `GHCR_IO`: the host part of the scoped variable names. */
export function envHostKey(host: string): string {
  return host.toUpperCase().replace(/[^A-Z0-9]/g, "_");
}
