import { VERSION } from "../version.ts";
import { Authorizer } from "./auth/authorizer.ts";
import { chainCredentials, envCredentials, staticCredentials, type Credential, type CredentialSource } from "./auth/credentials.ts";
import { dockerConfigCredentials } from "./auth/docker-config.ts";
import { idpStoreCredentials } from "./auth/idp-store.ts";
import { retryPolicy, type RetryPolicy } from "./retry/policy.ts";
import { RegistryClient } from "./transport/client.ts";
import { resolveEndpoint } from "./transport/endpoint.ts";
import { HttpSender, type RequestHook } from "./transport/http.ts";

/** Everything a caller (the CLI, copy, sync) can say about how to reach a registry. */
export interface RemoteOptions {
  /** Where credentials come from; default: `defaultCredentials(env)`. */
  credentials?: CredentialSource;
  /** Credentials given explicitly; tried before `credentials`. */
  credential?: Credential;
  /** Skip TLS verification, and allow plain HTTP to non-loopback hosts. */
  insecure?: boolean;
  /** Talk plain HTTP (loopback hosts, or with `insecure`). */
  plainHttp?: boolean;
  /** Extra PEM bundle to trust for this registry. */
  caFile?: string;
  /** Retries after the first attempt; default IDP_OCI_RETRY_COUNT or 3. */
  retries?: number;
  /** Idle timeout in ms; default IDP_OCI_TIMEOUT (seconds) or 300 s. */
  timeoutMs?: number;
  /** Any other part of the retry policy (backoff steps). */
  retry?: Partial<RetryPolicy>;
  userAgent?: string;
  /** Aborts every request of this client. */
  signal?: AbortSignal;
  /** Use the OAuth2 password grant (POST) before the Docker token GET. */
  oauth2?: boolean;
  /** Environment to read (tests pass their own); default process.env. */
  env?: Record<string, string | undefined>;
  /**
   * Awaited before every HTTP request is sent (each retry and redirect too): a rate limiter
   * waits here, a counter counts. Throwing fails the request. Default: none.
   */
  onRequest?: RequestHook;
}

/**
 * The credential sources idp consults, first match wins: environment variables, idp's own
 * store (`idp login`), then Docker's config (with its credential helpers).
 */
export function defaultCredentials(env: Record<string, string | undefined> = process.env): CredentialSource {
  return chainCredentials(envCredentials(env), idpStoreCredentials(env), dockerConfigCredentials(env));
}

/** Builds the authenticated client for one registry host from the options. */
export async function createClient(registry: string, options: RemoteOptions = {}): Promise<RegistryClient> {
  const env = options.env ?? process.env;
  const endpoint = await resolveEndpoint(registry, {
    ...(options.insecure === undefined ? {} : { insecure: options.insecure }),
    ...(options.plainHttp === undefined ? {} : { plainHttp: options.plainHttp }),
    ...(options.caFile === undefined ? {} : { caFile: options.caFile }),
  });
  const policy = retryPolicy(env, {
    ...options.retry,
    ...(options.retries === undefined ? {} : { retries: options.retries }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  const sender = new HttpSender({
    endpoint,
    policy,
    userAgent: options.userAgent ?? `idp/${VERSION}`,
    env,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onRequest ? { onRequest: options.onRequest } : {}),
  });
  const base = options.credentials ?? defaultCredentials(env);
  const credentials = options.credential ? chainCredentials(staticCredentials(options.credential), base) : base;
  const authorizer = new Authorizer({
    host: registry,
    credentials,
    sender,
    ...(options.oauth2 === undefined ? {} : { oauth2: options.oauth2 }),
    ...(options.insecure === undefined ? {} : { insecure: options.insecure }),
  });
  return new RegistryClient(endpoint, sender, authorizer);
}
