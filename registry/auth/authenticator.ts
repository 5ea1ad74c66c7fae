import { ANONYMOUS, type Principal } from "./access.ts";
import type { PasswordCheck } from "./htpasswd.ts";
import { signToken, TokenError, verifyToken, type AccessClaim } from "./jwt.ts";
import type { TokenKey } from "./keys.ts";
import type { AccessPolicy } from "./policy.ts";
import { RateLimiter } from "./rate-limit.ts";
import { actionsOf, formatScope, type Scope } from "./scope.ts";

/** Verified tokens remembered (each up to MAX_CACHED_TOKEN characters). */
const MAX_VERIFIED = 1024;
const MAX_CACHED_TOKEN = 4096;

export interface TokenSettings {
  key: TokenKey;
  issuer: string;
  service: string;
  ttlMs: number;
  /** Fixed realm URL; undefined: `/auth/token` on the origin the client used. */
  realm: string | undefined;
}

export interface AuthenticatorOptions {
  type: "basic" | "token";
  passwords: PasswordCheck;
  policy: AccessPolicy;
  token: TokenSettings;
  /** Token requests per client address. */
  tokenRequests: RateLimiter;
  /** Failed sign-ins per client address (Basic on /v2/ and on the token endpoint). */
  failures: RateLimiter;
}

/** Why a request carries no usable identity: the answer is 401 (or 429 when too many failed). */
export type Refusal =
  | { kind: "unauthorized"; reason: string; error?: "invalid_token" }
  | { kind: "rate-limited"; retryAfterSeconds: number };

export interface IssuedToken {
  token: string;
  access_token: string;
  expires_in: number;
  issued_at: string;
}

/**
 * Turns credentials into a Principal, and issues and checks tokens. Bearer tokens are only
 * ever checked against idp's own key (keys.ts, jwt.ts); Basic credentials against the
 * htpasswd entries. A client address past its budget of failed sign-ins gets 429 before any
 * bcrypt work is spent on it.
 *
 * @example
 * const who = await auth.identify(request.headers.get("authorization"), "10.0.0.7");
 * if ("kind" in who) return challenge(who);
 */
export class Authenticator {
  readonly type: "basic" | "token";
  readonly policy: AccessPolicy;
  readonly token: TokenSettings;
  readonly tokenRequests: RateLimiter;
  #passwords: PasswordCheck;
  #failures: RateLimiter;
  /**
   * Tokens already verified, until they expire: a signature check costs ~80 µs, several times
   * a whole blob GET, and clients send the same token with every request.
   */
  #verified = new Map<string, { principal: Principal; expiresMs: number }>();

  constructor(options: AuthenticatorOptions) {
    this.type = options.type;
    this.policy = options.policy;
    this.token = options.token;
    this.tokenRequests = options.tokenRequests;
    this.#passwords = options.passwords;
    this.#failures = options.failures;
  }

  get userCount(): number {
    return this.#passwords.users.size;
  }

  /** The principal of an `Authorization` header (none: anonymous). */
  async identify(authorization: string | null | undefined, address: string): Promise<Principal | Refusal> {
    if (!authorization) return ANONYMOUS;
    const space = authorization.indexOf(" ");
    const scheme = authorization.slice(0, space).toLowerCase();
    const value = authorization.slice(space + 1).trim();
    if (scheme === "basic") return this.checkBasic(value, address);
    if (scheme === "bearer" && this.type === "token") return this.#checkBearer(value);
    return { kind: "unauthorized", reason: "unsupported authorization scheme" };
  }

  /** Checks `base64(user:password)` (a Basic header's value). */
  async checkBasic(encoded: string, address: string): Promise<Principal | Refusal> {
    const decoded = /^[A-Za-z0-9+/]+={0,2}$/.test(encoded) ? Buffer.from(encoded, "base64").toString("utf8") : "";
    const colon = decoded.indexOf(":");
    return this.checkPassword(colon > 0 ? decoded.slice(0, colon) : "", decoded.slice(colon + 1), address);
  }

  /** Checks a user name and password; failures count against the address. */
  async checkPassword(user: string, password: string, address: string): Promise<Principal | Refusal> {
    if (!this.#failures.peek(address)) return this.#limited(address);
    if (user && (await this.#passwords.verify(user, password))) return { user, via: "basic" };
    this.#failures.take(address);
    return { kind: "unauthorized", reason: "user name or password is wrong" };
  }

  /** A signed token granting what `principal` may do of what `scopes` ask. */
  async issue(principal: Principal, scopes: readonly Scope[]): Promise<IssuedToken> {
    const access: AccessClaim[] = [];
    for (const scope of scopes) {
      if (scope.type === "registry") {
        if (principal.user !== undefined && scope.actions.includes("*")) access.push({ type: "registry", name: "catalog", actions: ["*"] });
        continue;
      }
      const granted = scope.actions.filter((a) => {
        const needed = actionsOf(a);
        // push needs create (update is checked per request); * needs everything.
        const required = a === "push" ? ["create" as const] : needed;
        return required.length > 0 && required.every((action) => this.policy.allows(principal, scope.name, action));
      });
      if (granted.length > 0) access.push({ type: "repository", name: scope.name, actions: [...new Set(granted)] });
    }
    const now = Math.floor(Date.now() / 1000);
    const ttl = Math.floor(this.token.ttlMs / 1000);
    const jwt = await signToken(this.token.key, {
      iss: this.token.issuer,
      sub: principal.user ?? "",
      aud: this.token.service,
      exp: now + ttl,
      nbf: now - 1,
      iat: now,
      jti: crypto.randomUUID(),
      access,
    });
    return { token: jwt, access_token: jwt, expires_in: ttl, issued_at: new Date(now * 1000).toISOString() };
  }

  /** `WWW-Authenticate` for a 401 on `origin` (the URL the client used), optionally for scopes. */
  challenge(origin: string, scope?: Scope | (Scope | undefined)[], error?: "insufficient_scope" | "invalid_token"): string {
    if (this.type === "basic") return 'Basic realm="idp registry", charset="UTF-8"';
    const realm = this.token.realm ?? `${origin}/auth/token`;
    let value = `Bearer realm="${realm}",service="${this.token.service}"`;
    const scopes = (Array.isArray(scope) ? scope : [scope]).filter((s) => s !== undefined);
    if (scopes.length) value += `,scope="${scopes.map(formatScope).join(" ")}"`;
    if (error) value += `,error="${error}"`;
    return value;
  }

  async #checkBearer(token: string): Promise<Principal | Refusal> {
    const known = this.#verified.get(token);
    if (known && known.expiresMs > Date.now()) return known.principal;
    try {
      const claims = await verifyToken(this.token.key, token, {
        issuer: this.token.issuer,
        audience: this.token.service,
        maxTtlSeconds: Math.ceil(this.token.ttlMs / 1000),
      });
      const grants = new Map<string, Set<string>>();
      let catalog = false;
      for (const claim of claims.access) {
        if (claim.type === "repository") grants.set(claim.name, new Set([...(grants.get(claim.name) ?? []), ...claim.actions]));
        else if (claim.type === "registry" && claim.name === "catalog" && claim.actions.includes("*")) catalog = true;
      }
      const principal: Principal = { user: claims.sub === "" ? undefined : claims.sub, via: "token", grants, catalog };
      if (token.length <= MAX_CACHED_TOKEN) {
        if (this.#verified.size >= MAX_VERIFIED) this.#verified.clear();
        this.#verified.set(token, { principal, expiresMs: claims.exp * 1000 });
      }
      return principal;
    } catch (error) {
      if (error instanceof TokenError) return { kind: "unauthorized", reason: error.message, error: "invalid_token" };
      throw error;
    }
  }

  #limited(address: string): Refusal {
    const verdict = this.#failures.take(address);
    return { kind: "rate-limited", retryAfterSeconds: verdict.ok ? 1 : verdict.retryAfterSeconds };
  }
}

/**
 * True when `value` is a Refusal rather than a Principal.
 *
 * @example if (isRefusal(who)) throw unauthorized(who.reason);
 */
export function isRefusal(value: Principal | Refusal): value is Refusal {
  return "kind" in value;
}
