import { AuthError, InvalidInputError } from "../../errors/index.ts";
import { isLoopback } from "../transport/endpoint.ts";
import type { HttpSender } from "../transport/http.ts";
import { parseChallenges, type Challenge } from "./challenge.ts";
import { hasSecret, type Credential, type CredentialSource } from "./credentials.ts";
import { mergeScopes } from "./scope.ts";
import { fetchToken, type Token } from "./token.ts";

export interface AuthorizerOptions {
  /** The registry host, the credential key. */
  host: string;
  credentials: CredentialSource;
  sender: HttpSender;
  /** `client_id` sent to OAuth2 token endpoints. */
  clientId?: string;
  /** Try the OAuth2 password grant before the Docker GET form. */
  oauth2?: boolean;
  /** Allow a plain-HTTP token realm on a non-loopback host (only with --insecure). */
  insecure?: boolean;
  now?: () => number;
}

/**
 * Authentication state for one registry host: which scheme it asked for (learned from the
 * first 401, as Docker does, then sent up front), the credentials (looked up once), and bearer
 * tokens cached per set of scopes and renewed shortly before they expire.
 *
 * @example
 * const header = await authorizer.authorization(["repository:a:pull"]);
 * if (res.status === 401 && await authorizer.challenge(res, scopes)) retry();
 */
export class Authorizer {
  readonly #options: AuthorizerOptions;
  #credential: Promise<Credential | undefined> | undefined;
  #basic = false;
  #bearer: { realm: string; service: string | undefined } | undefined;
  readonly #tokens = new Map<string, Token>();
  readonly #pending = new Map<string, Promise<Token>>();
  #refreshToken: string | undefined;

  constructor(options: AuthorizerOptions) {
    this.#options = options;
  }

  /** The credentials for the host, from the configured sources (looked up once). */
  credential(): Promise<Credential | undefined> {
    this.#credential ??= this.#options.credentials.get(this.#options.host);
    return this.#credential;
  }

  /** True once a credential was found for this host. */
  async hasCredential(): Promise<boolean> {
    return hasSecret(await this.credential());
  }

  /** The Authorization header for a request needing `scopes`, when the scheme is known. */
  async authorization(scopes: string[]): Promise<string | undefined> {
    const credential = await this.credential();
    if (credential?.registryToken) return `Bearer ${credential.registryToken}`;
    if (this.#bearer) {
      const key = mergeScopes(scopes).join(" ");
      const now = this.#now();
      const cached = this.#tokens.get(key);
      const token = cached && cached.renewAt > now ? cached : await this.#token(key, mergeScopes(scopes));
      return `Bearer ${token.token}`;
    }
    if (this.#basic && credential?.password !== undefined) {
      return `Basic ${Buffer.from(`${credential.username ?? ""}:${credential.password}`).toString("base64")}`;
    }
    return undefined;
  }

  /**
   * Learns from a 401: picks Bearer over Basic (containerd's order), fetches a fresh token for
   * `scopes` plus the scope the challenge names. True when a retry may now succeed; false when
   * there is nothing new to try (no credentials for Basic, an unknown scheme, Basic refused).
   */
  async challenge(res: Response, scopes: string[], sentAuthorization: string | undefined): Promise<boolean> {
    const challenges = parseChallenges(res.headers.get("www-authenticate"));
    const bearer = challenges.find((c) => c.scheme === "bearer" && c.params.realm);
    if (bearer) return this.#onBearer(bearer, scopes, sentAuthorization);
    if (challenges.some((c) => c.scheme === "basic")) {
      const credential = await this.credential();
      if (credential?.password === undefined) return false;
      if (sentAuthorization?.startsWith("Basic ")) return false;
      this.#basic = true;
      return true;
    }
    return false;
  }

  async #onBearer(challenge: Challenge, scopes: string[], sent: string | undefined): Promise<boolean> {
    const realm = challenge.params.realm!;
    this.#checkRealm(realm);
    this.#bearer = { realm, service: challenge.params.service };
    const wanted = mergeScopes([...scopes, ...(challenge.params.scope ? [challenge.params.scope] : [])]);
    const key = mergeScopes(scopes).join(" ");
    const cached = this.#tokens.get(key);
    if (cached && sent === `Bearer ${cached.token}`) this.#tokens.delete(key);
    else if (cached && cached.renewAt > this.#now()) return true;
    const fresh = await this.#token(key, wanted);
    return sent !== `Bearer ${fresh.token}`;
  }

  #token(key: string, scopes: string[]): Promise<Token> {
    const pending = this.#pending.get(key);
    if (pending) return pending;
    const bearer = this.#bearer;
    if (!bearer) throw new AuthError(`no token service known for ${this.#options.host}`);
    const promise = (async () => {
      const stored = await this.credential();
      const credential = this.#refreshToken && !stored?.identityToken ? { ...stored, identityToken: this.#refreshToken } : stored;
      const token = await fetchToken(this.#options.sender, {
        realm: bearer.realm,
        service: bearer.service,
        scopes,
        credential: hasSecret(credential) ? credential : undefined,
        source: this.#options.credentials.name,
        clientId: this.#options.clientId ?? "idp",
        oauth2: this.#options.oauth2 ?? false,
        ...(this.#options.now ? { now: this.#options.now } : {}),
      });
      if (token.refreshToken) this.#refreshToken = token.refreshToken;
      this.#tokens.set(key, token);
      return token;
    })();
    this.#pending.set(key, promise);
    return promise.finally(() => this.#pending.delete(key));
  }

  /** A realm that would receive credentials over plain HTTP must be loopback (or --insecure). */
  #checkRealm(realm: string): void {
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new InvalidInputError(`${this.#options.host} named an invalid token realm`);
    }
    if (url.protocol === "https:") return;
    if (url.protocol === "http:" && (isLoopback(url.hostname) || this.#options.insecure)) return;
    throw new AuthError(`${this.#options.host} asked for credentials at a non-HTTPS token service (${url.host})`, {
      hint: "refusing to send credentials unencrypted; pass --insecure only if you trust the network",
    });
  }

  #now(): number {
    return this.#options.now?.() ?? Date.now();
  }
}
