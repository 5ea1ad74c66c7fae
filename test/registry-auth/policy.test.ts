import { describe, expect, test } from "bun:test";
import { compileGlob } from "../../registry/auth/glob.ts";
import { AccessPolicy } from "../../registry/auth/policy.ts";
import { parseScopes } from "../../registry/auth/scope.ts";

describe("repository globs", () => {
  test("* stays within a segment, ** crosses segments, team/** includes team itself", () => {
    const one = compileGlob("team/*", { segments: true });
    expect(one.test("team/app")).toBe(true);
    expect(one.test("team/app/sub")).toBe(false);
    expect(one.test("teamx/app")).toBe(false);
    const all = compileGlob("team/**", { segments: true });
    expect(all.test("team/app/sub")).toBe(true);
    expect(all.test("team")).toBe(true);
    expect(all.test("teams/app")).toBe(false);
    expect(compileGlob("**", { segments: true }).test("a/b/c")).toBe(true);
  });

  test("regex characters in a pattern match only themselves", () => {
    expect(compileGlob("a.b", { segments: true }).test("axb")).toBe(false);
    expect(compileGlob("v1.*").test("v1.2.3")).toBe(true);
    expect(compileGlob("application/vnd.*+json").test("application/vnd.cncf.notary.signature+json")).toBe(true);
  });
});

describe("access policy", () => {
  const policy = new AccessPolicy({
    rules: [
      { repositories: ["team-a/**"], groups: ["team-a"], actions: ["read", "write"] },
      { repositories: ["team-a/**"], users: ["robot"], actions: ["read", "create"] },
      { repositories: ["public/*"], anonymous: true, actions: ["read"] },
      { repositories: ["**"], users: ["admin"], actions: ["*"] },
      { repositories: ["shared/*"], users: ["*"], actions: ["read"] },
    ],
    groups: { "team-a": ["ann", "al"] },
  });

  test("rules grant by group, by user and to every signed-in user", () => {
    expect(policy.allows({ user: "ann" }, "team-a/app", "update")).toBe(true);
    expect(policy.allows({ user: "ann" }, "team-a/app", "delete")).toBe(false);
    expect(policy.allows({ user: "ann" }, "team-b/app", "read")).toBe(false);
    expect(policy.allows({ user: "zoe" }, "shared/x", "read")).toBe(true);
    expect(policy.allows({ user: "zoe" }, "shared/x", "create")).toBe(false);
    expect(policy.allows({ user: "admin" }, "anything/at/all", "delete")).toBe(true);
  });

  test("a create-only robot may push but not move tags (d-6)", () => {
    expect(policy.allows({ user: "robot" }, "team-a/app", "create")).toBe(true);
    expect(policy.allows({ user: "robot" }, "team-a/app", "update")).toBe(false);
  });

  test("anonymous clients get only what anonymous rules give, and never write", () => {
    expect(policy.allows({ user: undefined }, "public/x", "read")).toBe(true);
    expect(policy.allows({ user: undefined }, "public/x", "create")).toBe(false);
    expect(policy.allows({ user: undefined }, "shared/x", "read")).toBe(false);
  });

  test("without rules every signed-in user may do everything, anonymous nothing unless anonymousRead", () => {
    const open = new AccessPolicy({});
    expect(open.allows({ user: "x" }, "a/b", "delete")).toBe(true);
    expect(open.allows({ user: undefined }, "a/b", "read")).toBe(false);
    const readable = new AccessPolicy({ anonymousRead: true });
    expect(readable.allows({ user: undefined }, "a/b", "read")).toBe(true);
    expect(readable.allows({ user: undefined }, "a/b", "create")).toBe(false);
  });
});

describe("token scopes", () => {
  test("repository and catalog scopes parse; junk and bad names are dropped; too many is an error", () => {
    expect(parseScopes(["repository:team/app:pull,push registry:catalog:*", "repository(plugin):x:pull", "bogus", "repository:A/B:pull"])).toEqual([
      { type: "repository", name: "team/app", actions: ["pull", "push"] },
      { type: "registry", name: "catalog", actions: ["*"] },
      { type: "repository", name: "x", actions: ["pull"] },
    ]);
    expect(() => parseScopes([Array.from({ length: 65 }, (_, i) => `repository:r${i}:pull`).join(" ")])).toThrow(RangeError);
  });
});
