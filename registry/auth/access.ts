import type { Action, AccessPolicy } from "./policy.ts";
import { tokenAction } from "./scope.ts";

/** A client as authentication found it. */
export interface Principal {
  /** The signed-in user; undefined for anonymous clients. */
  user: string | undefined;
  /** How it proved who it is. */
  via: "anonymous" | "basic" | "token";
  /**
   * For bearer tokens: what the token grants, repository → token actions (`pull`, `push`,
   * `delete`, `*`). A request needs both the token's grant and the policy's (so a rule removed
   * after the token was issued takes effect at once).
   */
  grants?: ReadonlyMap<string, ReadonlySet<string>>;
  /** For bearer tokens: whether `registry:catalog:*` was granted. */
  catalog?: boolean;
}

export const ANONYMOUS: Principal = { user: undefined, via: "anonymous" };

/**
 * What one request's client may do, handed to routes (catalog filtering, mount sources,
 * tag overwrites) through the Hono context.
 *
 * @example
 * if (!c.get("access").can(from, "read")) return mountRefused();
 */
export class Access {
  readonly principal: Principal;
  #policy: AccessPolicy | undefined;

  /** `policy` undefined: authentication is off and everything is allowed. */
  constructor(policy: AccessPolicy | undefined, principal: Principal = ANONYMOUS) {
    this.#policy = policy;
    this.principal = principal;
  }

  /** False when authentication is off: routes may take their unrestricted fast paths. */
  get enforced(): boolean {
    return this.#policy !== undefined;
  }

  can(repository: string, action: Action): boolean {
    if (!this.#policy) return true;
    if (!this.#policy.allows(this.principal, repository, action)) return false;
    if (this.principal.via !== "token") return true;
    const granted = this.principal.grants?.get(repository);
    return granted !== undefined && (granted.has(tokenAction(action)) || granted.has("*"));
  }

  /** Whether the policy alone (ignoring a token's narrower grants) allows it. */
  policyAllows(repository: string, action: Action): boolean {
    return !this.#policy || this.#policy.allows(this.principal, repository, action);
  }

  /** `_catalog` is for signed-in users (d-12); tokens also need `registry:catalog:*`. */
  canListCatalog(): boolean {
    if (!this.#policy) return true;
    if (this.principal.user === undefined) return false;
    return this.principal.via !== "token" || this.principal.catalog === true;
  }
}

/** Access for a registry without authentication. */
export const OPEN_ACCESS = new Access(undefined);
