import { InvalidInputError } from "../errors/index.ts";
import { staticCredentials, type Credential } from "./auth/credentials.ts";
import { removeDockerCredential, saveDockerCredential } from "./auth/docker-config.ts";
import { idpAuthPath, removeIdpCredential, saveIdpCredential } from "./auth/idp-store.ts";
import type { RemoteOptions } from "./options.ts";
import { openRegistry } from "./registry.ts";

export interface LoginOptions extends Omit<RemoteOptions, "credentials" | "credential"> {
  /** Where to save: idp's own `$IDP_HOME/auth.json` (default) or Docker's config. */
  store?: "idp" | "docker";
  /** Save without asking the registry first. */
  skipVerify?: boolean;
}

/**
 * Checks credentials against the registry (`GET /v2/` with them, through the token service
 * when it uses one) and saves them: in `$IDP_HOME/auth.json` (mode 0600) or, with
 * `store: "docker"`, in Docker's config (through its credential helper when it names one).
 * Returns where they were saved (a path or helper description, never the secret).
 *
 * @example await login("127.0.0.1:5000", { username: "ci", password }, { store: "idp" })
 */
export async function login(registry: string, credential: Credential, options: LoginOptions = {}): Promise<string> {
  if (!credential.password && !credential.identityToken) {
    throw new InvalidInputError(`no password or token given for ${registry}`, { hint: "pass --password-stdin" });
  }
  const env = options.env ?? process.env;
  if (!options.skipVerify) {
    const reg = await openRegistry(registry, { ...options, credentials: staticCredentials(credential) });
    await reg.ping();
  }
  if (options.store === "docker") {
    await saveDockerCredential(registry, credential, env);
    return "docker config";
  }
  const path = idpAuthPath(env);
  await saveIdpCredential(registry, credential, path);
  return path;
}

/**
 * Forgets the credentials of `registry` in idp's store, or Docker's config with
 * `store: "docker"`. True when there were some.
 *
 * @example await logout("127.0.0.1:5000")
 */
export async function logout(registry: string, options: { store?: "idp" | "docker"; env?: Record<string, string | undefined> } = {}): Promise<boolean> {
  const env = options.env ?? process.env;
  if (options.store === "docker") return removeDockerCredential(registry, env);
  return removeIdpCredential(registry, idpAuthPath(env));
}
