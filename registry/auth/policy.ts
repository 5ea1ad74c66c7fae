import type { ServeConfig } from "../config.ts";
import { compileGlob, matchesAny } from "./glob.ts";

/**
 * What a client may do to a repository. `create` pushes content and new tags; `update` moves
 * a tag that already points elsewhere (so a create-only robot can never overwrite `v1.0` or
 * `latest`, d-6); `delete` removes tags, manifests and blobs.
 */
export type Action = "read" | "create" | "update" | "delete";
export const ACTIONS: readonly Action[] = ["read", "create", "update", "delete"];

/** Who is asking: a signed-in user with their groups, or an anonymous client. */
export interface Identity {
  /** undefined for anonymous clients. */
  user: string | undefined;
}

interface CompiledRule {
  repositories: RegExp[];
  users: Set<string>;
  anyUser: boolean;
  groups: Set<string>;
  anonymous: boolean;
  actions: Set<Action>;
}

type RuleInput = NonNullable<ServeConfig["access"]>[number];

/**
 * The access rules of the config, compiled. Rules only ever grant: a client may do what any
 * rule matching it and the repository allows, and a signed-in user also what anonymous
 * clients may. Without rules, every signed-in user may do everything; `anonymousRead` lets
 * clients without credentials read every repository.
 *
 * @example
 * const policy = new AccessPolicy({ rules: [{ repositories: ["team/*"], groups: ["team"], actions: ["write"] }], groups: { team: ["ann"] } });
 * policy.allows({ user: "ann" }, "team/app", "update") // true
 * policy.allows({ user: "bob" }, "team/app", "read")   // false
 */
export class AccessPolicy {
  #rules: CompiledRule[] | undefined;
  #groupsOf = new Map<string, string[]>();
  #anonymousRead: boolean;

  constructor(options: { rules?: readonly RuleInput[] | undefined; groups?: Record<string, readonly string[]>; anonymousRead?: boolean }) {
    this.#anonymousRead = options.anonymousRead ?? false;
    for (const [group, members] of Object.entries(options.groups ?? {})) {
      for (const user of members) this.#groupsOf.set(user, [...(this.#groupsOf.get(user) ?? []), group]);
    }
    this.#rules = options.rules?.map((rule) => ({
      repositories: rule.repositories.map((p) => compileGlob(p, { segments: true })),
      users: new Set(rule.users ?? []),
      anyUser: rule.users?.includes("*") ?? false,
      groups: new Set(rule.groups ?? []),
      anonymous: rule.anonymous ?? false,
      actions: expandActions(rule.actions),
    }));
  }

  /** The groups `user` belongs to. */
  groupsOf(user: string): readonly string[] {
    return this.#groupsOf.get(user) ?? [];
  }

  allows(who: Identity, repository: string, action: Action): boolean {
    if (action === "read" && this.#anonymousRead) return true;
    if (!this.#rules) return who.user !== undefined;
    for (const rule of this.#rules) {
      if (rule.actions.has(action) && appliesTo(rule, who.user, this.groupsOf(who.user ?? "")) && matchesAny(rule.repositories, repository)) {
        return true;
      }
    }
    return false;
  }

  /** Every action `who` may do on `repository`. */
  actions(who: Identity, repository: string): Set<Action> {
    return new Set(ACTIONS.filter((action) => this.allows(who, repository, action)));
  }
}

function appliesTo(rule: CompiledRule, user: string | undefined, groups: readonly string[]): boolean {
  // Signing in never takes anything away: what anonymous clients get, users get too.
  if (rule.anonymous) return true;
  if (user === undefined) return false;
  if (rule.anyUser || rule.users.has(user)) return true;
  for (const g of groups) if (rule.groups.has(g)) return true;
  return false;
}

function expandActions(actions: readonly string[]): Set<Action> {
  const out = new Set<Action>();
  for (const a of actions) {
    if (a === "*") for (const all of ACTIONS) out.add(all);
    else if (a === "write") {
      out.add("create");
      out.add("update");
    } else out.add(a as Action);
  }
  return out;
}
