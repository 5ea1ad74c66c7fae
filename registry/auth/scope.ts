import { isValidRepositoryName } from "../../src/oci/names.ts";
import type { Action } from "./policy.ts";

/** One scope of the Docker token flow: `repository:team/app:pull,push` or `registry:catalog:*`. */
export interface Scope {
  type: "repository" | "registry";
  name: string;
  actions: string[];
}

/** Most scopes one token request may ask for; a push asks for two or three. */
export const MAX_SCOPES = 64;

/**
 * Parses the `scope` parameters of a token request (each may hold several, space separated).
 * Unknown resource types and malformed repository names are dropped, as the token spec lets a
 * server grant less than asked; more than MAX_SCOPES is an error.
 *
 * @example parseScopes(["repository:team/app:pull,push"]) // [{ type: "repository", name: "team/app", actions: ["pull", "push"] }]
 */
export function parseScopes(values: readonly string[]): Scope[] {
  const out: Scope[] = [];
  for (const value of values) {
    for (const item of value.split(" ")) {
      if (item === "") continue;
      if (out.length >= MAX_SCOPES) throw new RangeError(`at most ${MAX_SCOPES} scopes per token request`);
      const first = item.indexOf(":");
      const last = item.lastIndexOf(":");
      if (first <= 0 || last === first) continue;
      const type = item.slice(0, first).replace(/\(.*\)$/, "");
      const name = item.slice(first + 1, last);
      const actions = item.slice(last + 1).split(",").filter(Boolean);
      if (type === "repository" && isValidRepositoryName(name)) out.push({ type, name, actions });
      else if (type === "registry" && name === "catalog") out.push({ type, name, actions });
    }
  }
  return out;
}

/**
 * `repository:team/app:pull,push`
 *
 * @example formatScope({ type: "repository", name: "a/b", actions: ["pull"] }) // "repository:a/b:pull"
 */
export function formatScope(scope: Scope): string {
  return `${scope.type}:${scope.name}:${scope.actions.join(",")}`;
}

/**
 * The token action that carries a registry action: pull reads, push creates and moves tags.
 *
 * @example tokenAction("update") // "push"
 */
export function tokenAction(action: Action): "pull" | "push" | "delete" {
  return action === "read" ? "pull" : action === "delete" ? "delete" : "push";
}

/**
 * Registry actions a requested token action stands for.
 *
 * @example actionsOf("push") // ["create", "update"]
 */
export function actionsOf(tokenActionName: string): Action[] {
  switch (tokenActionName) {
    case "pull":
      return ["read"];
    case "push":
      return ["create", "update"];
    case "delete":
      return ["delete"];
    case "*":
      return ["read", "create", "update", "delete"];
    default:
      return [];
  }
}
