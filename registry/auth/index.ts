import type { ServeConfig } from "../config.ts";
import { Authenticator } from "./authenticator.ts";
import { PasswordCheck } from "./htpasswd.ts";
import { generateTokenKey, loadTokenKey } from "./keys.ts";
import { AccessPolicy } from "./policy.ts";
import { RateLimiter } from "./rate-limit.ts";

export { Access, OPEN_ACCESS, type Principal } from "./access.ts";
export { Authenticator } from "./authenticator.ts";
export { AccessPolicy, type Action } from "./policy.ts";

/** Failed sign-ins allowed per client address and token rate-limit period. */
const FAILURES_PER_PERIOD = 10;

/**
 * Builds authentication from the config, or undefined when it is off (no `auth.htpasswd`).
 * Reads the htpasswd file (refusing non-bcrypt lines, d-13) and the token key, or makes a
 * key for this process when none is configured.
 *
 * @example const auth = await createAuthenticator(config); // undefined: open registry
 */
export async function createAuthenticator(config: ServeConfig): Promise<Authenticator | undefined> {
  const { auth } = config;
  if (auth.htpasswd === undefined) return undefined;
  const passwords = await PasswordCheck.fromFile(auth.htpasswd, auth.maxBcryptCost);
  const key = auth.type === "token" ? await (auth.token.key ? loadTokenKey(auth.token.key) : generateTokenKey()) : await generateTokenKey();
  const { requests, per } = auth.token.rateLimit;
  return new Authenticator({
    type: auth.type,
    passwords,
    policy: new AccessPolicy({ rules: config.access, groups: auth.groups, anonymousRead: auth.anonymousRead }),
    token: { key, issuer: auth.token.issuer, service: auth.token.service, ttlMs: auth.token.ttl, realm: auth.token.realm },
    tokenRequests: new RateLimiter({ capacity: requests, periodMs: per }),
    failures: new RateLimiter({ capacity: FAILURES_PER_PERIOD, periodMs: per }),
  });
}
