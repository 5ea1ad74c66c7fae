import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { InvalidInputError } from "../../src/errors/index.ts";
import { nextCron, parseCron, parseDuration, parseSyncConfig, scheduleFrom, nextPassAt, SyncState, tagPredicate, TokenBucket } from "../../src/sync/index.ts";
import { mapRepository, ruleContext } from "../../src/sync/items.ts";
import { ruleOptions } from "../../src/sync/config.ts";
import { tempDir } from "../helpers/idp.ts";

/** The pure parts of sync: config schema, tag filters, schedules, the rate limiter, state. */

const GOOD = `
registries:
  127.0.0.1:5000: { rateLimit: 50 }
defaults: { concurrency: 2 }
sync:
  - source: 127.0.0.1:5000/examples
    target: registry.local:5001/mirror
    repositories: [ingress]
    tags: { allow: ["^1\\\\."], deny: ["-rc"], semver: ">=1.0.0" }
    followDeps: true
state: ./state.json
interval: 15m
`;

describe("sync config", () => {
  test("a valid file parses, with defaults applied and the state path made absolute", () => {
    const config = parseSyncConfig(GOOD, "/etc/idp/sync.yaml");
    expect(config.state).toBe("/etc/idp/state.json");
    const opts = ruleOptions(config, config.sync[0]!);
    expect(opts).toEqual({ referrers: true, fastCheck: true, concurrency: 2, followDeps: true, includeImages: false, platform: undefined });
  });

  const bad: [string, string, RegExp][] = [
    ["unknown key", "sync:\n  - source: a.io\n    target: b.io\n    repositories: [x]\n    colour: red\n", /sync\.yaml:5:\d+: sync\.0\.colour: unknown field/],
    ["bad regex", "sync:\n  - source: a.io\n    target: b.io\n    repositories: [x]\n    tags: { allow: ['(('] }\n", /sync\.yaml:5:\d+: .*not a valid regular expression/],
    ["bad semver range", "sync:\n  - source: a.io\n    target: b.io\n    repositories: [x]\n    tags: { semver: 'one' }\n", /not a semver range/],
    ["target without a host", "sync:\n  - source: a.io\n    target: mirror\n    repositories: [x]\n", /sync\.yaml:3:13: .*REGISTRY\[\/PREFIX\]/],
    ["no repositories", "sync:\n  - source: a.io\n    target: b.io\n    repositories: []\n", /at least one repository/],
    ["interval and cron", "sync:\n  - { source: a.io, target: b.io, repositories: [x] }\ninterval: 1m\ncron: '* * * * *'\n", /interval or cron, not both/],
    ["bad cron", "sync:\n  - { source: a.io, target: b.io, repositories: [x] }\ncron: '61 * * * *'\n", /sync\.yaml:3:7: .*not a cron expression/],
    ["bad duration", "sync:\n  - { source: a.io, target: b.io, repositories: [x] }\ninterval: soon\n", /not a duration/],
    ["not YAML", "sync: [\n", /sync\.yaml:\d+:\d+/],
  ];
  for (const [name, text, message] of bad) {
    test(`refuses ${name} with file:line:col`, () => {
      expect(() => parseSyncConfig(text, "sync.yaml")).toThrow(message);
      expect(() => parseSyncConfig(text, "sync.yaml")).toThrow(InvalidInputError);
    });
  }
});

describe("tag filters", () => {
  test("allow, deny and semver combine", () => {
    const keep = tagPredicate({ allow: ["^v?1\\."], deny: ["-rc"], semver: "<1.5.0" });
    expect(["1.0.0", "v1.2.0", "1.4.9", "1.5.0", "1.2.0-rc.1", "2.0.0", "latest"].filter(keep)).toEqual(["1.0.0", "v1.2.0", "1.4.9"]);
  });
  test("semver leaves out non-versions and prereleases unless asked", () => {
    expect(["1.0.0", "1.1.0-beta.1", "latest", "main"].filter(tagPredicate({ semver: "*" }))).toEqual(["1.0.0"]);
    expect(["1.0.0", "1.1.0-beta.1"].filter(tagPredicate({ semver: ">=1.0.0", prerelease: true }))).toEqual(["1.0.0", "1.1.0-beta.1"]);
  });
  test("no filter keeps everything", () => {
    expect(["a", "b"].filter(tagPredicate(undefined))).toEqual(["a", "b"]);
  });
});

describe("schedules", () => {
  const at = (s: string) => new Date(s);
  test("cron: steps, ranges, names and the day-of-month/day-of-week either rule", () => {
    expect(nextCron(parseCron("*/15 * * * *"), at("2025-03-01T10:07:30Z")).toISOString()).toBe("2025-03-01T10:15:00.000Z");
    expect(nextCron(parseCron("0 3 * * *"), at("2025-03-01T04:00:00Z")).toISOString()).toBe("2025-03-02T03:00:00.000Z");
    expect(nextCron(parseCron("30 8 * * mon-fri"), at("2025-03-01T09:00:00Z")).toISOString()).toBe("2025-03-03T08:30:00.000Z"); // a Saturday → Monday
    expect(nextCron(parseCron("0 0 1 jan *"), at("2025-03-01T00:00:00Z")).toISOString()).toBe("2026-01-01T00:00:00.000Z");
    expect(nextCron(parseCron("0 0 13 * 5"), at("2025-03-01T00:00:00Z")).toISOString()).toBe("2025-03-07T00:00:00.000Z"); // Friday before the 13th
    expect(nextCron(parseCron("@hourly"), at("2025-03-01T10:00:00Z")).toISOString()).toBe("2025-03-01T11:00:00.000Z");
    expect(nextCron(parseCron("0 0 29 2 *"), at("2025-03-01T00:00:00Z")).toISOString()).toBe("2028-02-29T00:00:00.000Z");
  });
  test("cron refuses bad fields", () => {
    for (const bad of ["* * * *", "60 * * * *", "* 24 * * *", "5-1 * * * *", "*/0 * * * *", "* * * foo *"]) expect(() => parseCron(bad)).toThrow(InvalidInputError);
  });
  test("durations", () => {
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(parseDuration("45")).toBe(45_000);
    for (const bad of ["", "10 minutes", "1x", "500ms"]) expect(() => parseDuration(bad)).toThrow(InvalidInputError);
  });
  test("the command line wins over the config; an interval counts from the start of the last pass", () => {
    expect(scheduleFrom({ once: true }, { interval: "1m" })).toEqual({ kind: "once" });
    expect(scheduleFrom({ interval: "30s" }, { cron: "@daily" })).toEqual({ kind: "interval", ms: 30_000, text: "30s" });
    expect(scheduleFrom({}, { cron: "@daily" })).toEqual({ kind: "cron", expression: "@daily" });
    const s = scheduleFrom({}, { interval: "1m" });
    expect(nextPassAt(s, at("2025-01-01T00:00:00Z"), at("2025-01-01T00:00:10Z"))!.toISOString()).toBe("2025-01-01T00:01:00.000Z");
    expect(nextPassAt(s, at("2025-01-01T00:00:00Z"), at("2025-01-01T00:02:00Z"))!.toISOString()).toBe("2025-01-01T00:02:00.000Z");
    expect(nextPassAt({ kind: "once" }, at("2025-01-01T00:00:00Z"), at("2025-01-01T00:00:00Z"))).toBeUndefined();
  });
});

describe("token bucket", () => {
  test("allows a burst, then one token per 1/rate seconds", async () => {
    let now = 0;
    const bucket = new TokenBucket(10, 2, () => now);
    await bucket.take();
    await bucket.take();
    let third = false;
    const pending = bucket.take().then(() => (third = true));
    await Bun.sleep(20);
    expect(third).toBe(false);
    now = 100; // 1 token refilled
    await pending;
    expect(third).toBe(true);
  });
  test("an abort rejects a waiter", async () => {
    const bucket = new TokenBucket(0.01, 1);
    await bucket.take();
    const stop = new AbortController();
    const waiting = bucket.take(stop.signal);
    stop.abort(new Error("stop"));
    await expect(waiting).rejects.toThrow("stop");
  });
});

describe("placing repositories", () => {
  test("the path below the source prefix goes under the target prefix; others keep their whole path", () => {
    const ctx = ruleContext({ source: "ghcr.io/platform", target: "registry.local:5000/mirror", repositories: ["x"] }, ruleOptions({ sync: [], path: "" }, { source: "", target: "", repositories: [] }), undefined);
    expect(mapRepository(ctx, "ghcr.io", "platform/base")).toEqual({ registry: "registry.local:5000", repository: "mirror/base" });
    expect(mapRepository(ctx, "docker.io", "library/nginx")).toEqual({ registry: "registry.local:5000", repository: "mirror/library/nginx" });
  });
});

describe("state", () => {
  test("survives a save and load; an unreadable file is an empty state", async () => {
    const dir = tempDir("idp-sync-state-");
    try {
      const path = join(dir.path, "state.json");
      const state = await SyncState.load(path);
      state.target("r/app")["v1"] = `sha256:${"a".repeat(64)}`;
      state.setPackageFacts(`sha256:${"b".repeat(64)}`, null);
      await state.save();
      const again = await SyncState.load(path);
      expect(again.target("r/app")["v1"]).toBe(`sha256:${"a".repeat(64)}`);
      expect(again.packageFacts(`sha256:${"b".repeat(64)}`)).toBeNull();
      writeFileSync(path, "{not json");
      expect((await SyncState.load(path)).target("r/app")).toEqual({});
    } finally {
      dir.remove();
    }
  });
});
