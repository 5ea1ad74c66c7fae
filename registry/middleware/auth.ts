import type { MiddlewareHandler } from "hono";
import { isValidRepositoryName } from "../../src/oci/names.ts";
import { RegistryError } from "../errors.ts";
import { Access, OPEN_ACCESS } from "../auth/access.ts";
import { isRefusal, type Authenticator } from "../auth/authenticator.ts";
import { tokenAction, type Scope } from "../auth/scope.ts";
import type { RegistryEnv } from "../routes/context.ts";
import { clientAddress } from "./address.ts";
import type { RequestKind } from "./classify.ts";

/**
 * Authentication and authorisation of /v2/ requests, decided before any route touches
 * storage (so a 401/403 never depends on whether the repository exists). Without an
 * Authenticator every request gets OPEN_ACCESS.
 *
 * Anonymous clients that need more get 401 with a challenge (Basic, or Bearer with the scope
 * to ask for); signed-in clients get 403 DENIED, except a token that lacks a scope the policy
 * would grant, which gets 401 `insufficient_scope` so the client fetches a wider token.
 * `/v2/` and `_catalog` need a signed-in user (containers/image needs the `/v2/` challenge).
 *
 * @example app.use("*", authentication(auth));
 */
export function authentication(auth: Authenticator | undefined): MiddlewareHandler<RegistryEnv> {
  return async function authenticate(c, next) {
    const kind = c.get("kind");
    if (!auth || !kind.api) {
      c.set("access", auth ? new Access(auth.policy) : OPEN_ACCESS);
      return next();
    }
    const origin = new URL(c.req.url).origin;
    const who = await auth.identify(c.req.header("authorization"), clientAddress(c));
    if (isRefusal(who)) {
      if (who.kind === "rate-limited") {
        throw new RegistryError("TOOMANYREQUESTS", "too many failed sign-ins from this address; wait before trying again", {
          headers: { "Retry-After": String(who.retryAfterSeconds) },
        });
      }
      throw new RegistryError("UNAUTHORIZED", `authentication failed: ${who.reason}`, {
        headers: { "WWW-Authenticate": auth.challenge(origin, scopeOf(kind), who.error) },
      });
    }
    const access = new Access(auth.policy, who);
    c.set("access", access);
    if (permitted(kind, access)) {
      const from = who.via === "token" && kind.route === "upload" && c.req.method === "POST" ? mountSource(c.req.query("from"), kind) : undefined;
      // A token must grant pull on a mount's source; when the policy would, ask the client to
      // fetch a token covering both (as Distribution does), else the mount falls back to 202.
      if (from && !access.can(from, "read") && access.policyAllows(from, "read")) {
        const scopes = [scopeOf(kind), { type: "repository" as const, name: from, actions: ["pull"] }];
        throw new RegistryError("UNAUTHORIZED", `the token does not grant pull on ${from}, the mount source`, {
          headers: { "WWW-Authenticate": auth.challenge(origin, scopes, "insufficient_scope") },
        });
      }
      return next();
    }
    const scope = scopeOf(kind);
    if (who.user === undefined) {
      throw new RegistryError("UNAUTHORIZED", "authentication required", { headers: { "WWW-Authenticate": auth.challenge(origin, scope) } });
    }
    const policyWould = kind.route === "catalog" || (kind.repository !== undefined && kind.action !== undefined && access.policyAllows(kind.repository, kind.action));
    if (who.via === "token" && policyWould) {
      throw new RegistryError("UNAUTHORIZED", "the token does not grant this; ask for a token with the scope in WWW-Authenticate", {
        headers: { "WWW-Authenticate": auth.challenge(origin, scope, "insufficient_scope") },
      });
    }
    throw new RegistryError("DENIED", deniedMessage(kind, who.user));
  };
}

/** The `from` of a mount when it names another valid repository. */
function mountSource(from: string | undefined, kind: RequestKind): string | undefined {
  return from !== undefined && from !== kind.repository && isValidRepositoryName(from) ? from : undefined;
}

function permitted(kind: RequestKind, access: Access): boolean {
  if (kind.route === "catalog") return access.canListCatalog();
  if (kind.repository !== undefined && kind.action !== undefined) return access.can(kind.repository, kind.action);
  return access.principal.user !== undefined;
}

/** The scope a client should ask a token for to make this request. */
function scopeOf(kind: RequestKind): Scope | undefined {
  if (kind.route === "catalog") return { type: "registry", name: "catalog", actions: ["*"] };
  if (kind.repository === undefined || kind.action === undefined || !isValidRepositoryName(kind.repository)) return undefined;
  const action = tokenAction(kind.action);
  return { type: "repository", name: kind.repository.slice(0, 256), actions: action === "push" ? ["pull", "push"] : [action] };
}

function deniedMessage(kind: RequestKind, user: string): string {
  if (kind.route === "catalog") return `user ${user} may not list repositories`;
  if (kind.repository === undefined || kind.action === undefined) return `user ${user} may not do this`;
  const verb = { read: "read", create: "push to", update: "move tags in", delete: "delete from" }[kind.action];
  return `user ${user} may not ${verb} ${kind.repository.slice(0, 256)}`;
}
