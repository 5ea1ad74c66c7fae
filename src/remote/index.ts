/**
 * The remote registry client: a repository as a Target, a registry with ping and catalog,
 * login/logout, and the pieces the CLI and tests configure (credentials, retry policy).
 *
 * @example
 * import { openRepository } from "./remote/index.ts";
 * const repo = await openRepository({ registry: "127.0.0.1:5000", repository: "team/app" });
 * console.log(await repo.resolve("v1"));
 */
export { openRegistry, openRepository, RemoteRegistry, type PingResult } from "./registry.ts";
export { RemoteRepository, type RemotePushOptions } from "./repository.ts";
export { createClient, defaultCredentials, type RemoteOptions } from "./options.ts";
export { login, logout, type LoginOptions } from "./login.ts";
export {
  anonymous,
  chainCredentials,
  envCredentials,
  staticCredentials,
  type Credential,
  type CredentialSource,
} from "./auth/credentials.ts";
export { dockerConfigCredentials, dockerConfigPath } from "./auth/docker-config.ts";
export { idpAuthPath, idpStoreCredentials } from "./auth/idp-store.ts";
export { DEFAULT_RETRY_POLICY, retryPolicy, type RetryPolicy } from "./retry/policy.ts";
export { DEFAULT_UPLOAD_TUNING, type UploadTuning } from "./upload.ts";
export { MAX_MANIFEST_BYTES, MANIFEST_ACCEPT } from "./manifests.ts";
export { referrersTag } from "./referrers.ts";
