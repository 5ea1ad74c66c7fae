import { dirname, resolve } from "node:path";
import semver from "semver";
import * as v from "valibot";
import { issuePath, parseYamlDocuments } from "../config/yaml.ts";
import { InvalidInputError, NotFoundError } from "../errors/index.ts";
import { describeIssue } from "../oci/schemas.ts";
import { parseDestination } from "../bundle/destination.ts";
import { parsePlatform } from "../bundle/images/platform.ts";
import { parseCron } from "./cron.ts";
import { parseDuration } from "./schedule.ts";

/**
 * `sync.yaml`: which repositories to replicate from where to where, and how. One schema, the
 * source of the types below; unknown keys are errors, every problem is reported with its line.
 *
 * @example
 * registries:
 *   registry.local:5000: { rateLimit: 20 }
 * sync:
 *   - source: ghcr.io/platform
 *     target: registry.local:5000/mirror
 *     repositories: [ingress, app-catalog]
 *     tags: { semver: ">=1.0.0", deny: ["-rc"] }
 *     followDeps: true
 * interval: 15m
 */

const check = <T>(fn: (value: T) => unknown) => (value: T) => {
  try {
    fn(value);
    return true;
  } catch {
    return false;
  }
};

const RegexSchema = v.pipe(v.string(), v.check(check((s: string) => new RegExp(s)), "is not a valid regular expression"));
const HostSchema = v.pipe(v.string(), v.check(check((s: string) => parseDestination(s)), "is not a registry host such as registry.local:5000"));
const BaseSchema = v.pipe(v.string(), v.check(check((s: string) => parseDestination(s)), "must be REGISTRY[/PREFIX], e.g. registry.local:5000/mirror"));
const Positive = v.pipe(v.number(), v.integer(), v.minValue(1));

/** How to reach one registry: transport settings and limits. Credentials come from the usual stores. */
export const RegistrySettingsSchema = v.strictObject({
  /** Talk plain HTTP (loopback hosts do without this). */
  plainHttp: v.optional(v.boolean()),
  /** Skip TLS verification. */
  insecure: v.optional(v.boolean()),
  /** Extra PEM bundle to trust. */
  caFile: v.optional(v.string()),
  /** Most requests per second to this registry, over every repository (token bucket). */
  rateLimit: v.optional(v.pipe(v.number(), v.minValue(0.01))),
  retries: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
});
export type RegistrySettings = v.InferOutput<typeof RegistrySettingsSchema>;

export const TagFilterSchema = v.strictObject({
  /** Tags matching any of these (regular expressions, unanchored); default all. */
  allow: v.optional(v.array(RegexSchema)),
  /** Tags matching any of these are left out. */
  deny: v.optional(v.array(RegexSchema)),
  /** Only semver tags in this range (e.g. ">=1.2.0 <2"); other tags are left out. */
  semver: v.optional(v.pipe(v.string(), v.check((s) => semver.validRange(s) !== null, "is not a semver range"))),
  /** Let the semver range match prereleases too. */
  prerelease: v.optional(v.boolean()),
});
export type TagFilter = v.InferOutput<typeof TagFilterSchema>;

const Options = {
  /** Copy the referrers (signatures, SBOMs) of what is copied. Default true. */
  referrers: v.optional(v.boolean()),
  /**
   * A tag whose digest matches the target's is skipped without looking below it (default
   * true). Off: unchanged manifests are checked for referrers added since, one request more each.
   */
  fastCheck: v.optional(v.boolean()),
  /** Tags copied at once per repository. Default 4. */
  concurrency: v.optional(Positive),
  /** Also replicate the dependency closure of every package synced (as `idp deps` resolves it). */
  followDeps: v.optional(v.boolean()),
  /** Also replicate the images the packages' Kubernetes manifests run. */
  includeImages: v.optional(v.boolean()),
  /** With includeImages: only this platform of multi-platform images. */
  platform: v.optional(v.pipe(v.string(), v.check(check(parsePlatform), "must be os/architecture[/variant], e.g. linux/amd64"))),
};

export const SyncRuleSchema = v.strictObject({
  /** REGISTRY[/PREFIX] the repositories are read from. */
  source: BaseSchema,
  /** REGISTRY[/PREFIX] they are written to (same path under it). */
  target: BaseSchema,
  /** Repository paths under `source`. */
  repositories: v.pipe(v.array(v.pipe(v.string(), v.minLength(1))), v.minLength(1, "list at least one repository")),
  tags: v.optional(TagFilterSchema),
  ...Options,
});
export type SyncRule = v.InferOutput<typeof SyncRuleSchema>;

export const SyncConfigSchema = v.pipe(
  v.strictObject({
    registries: v.optional(v.record(HostSchema, RegistrySettingsSchema)),
    defaults: v.optional(v.strictObject(Options)),
    sync: v.pipe(v.array(SyncRuleSchema), v.minLength(1, "list at least one sync rule")),
    /** Where what the targets hold is remembered between runs (relative to this file). */
    state: v.optional(v.string()),
    /** Run a pass this often (`30s`, `15m`, `1h`) until stopped. */
    interval: v.optional(v.pipe(v.string(), v.check(check(parseDuration), "is not a duration such as 30s, 15m or 1h"))),
    /** Or run passes on a cron schedule (5 fields, UTC). */
    cron: v.optional(v.pipe(v.string(), v.check(check(parseCron), "is not a cron expression (minute hour day-of-month month day-of-week)"))),
  }),
  v.check((c) => !(c.interval && c.cron), "give interval or cron, not both"),
);
export type SyncConfig = v.InferOutput<typeof SyncConfigSchema> & { path: string };

/**
 * Reads and validates a sync config file; the first problem is thrown as `file:line:col:
 * path: message`. A relative `state` path is made relative to the file.
 *
 * @example const config = await loadSyncConfig("sync.yaml");
 */
export async function loadSyncConfig(path: string): Promise<SyncConfig> {
  const file = Bun.file(path);
  if (!(await file.exists())) throw new NotFoundError(`sync config ${path} does not exist`);
  return parseSyncConfig(await file.text(), path);
}

/**
 * Validates sync config text (see loadSyncConfig).
 *
 * @example parseSyncConfig("sync:\n  - { source: a.io, target: b.io, repositories: [x] }\n", "sync.yaml")
 */
export function parseSyncConfig(text: string, path: string): SyncConfig {
  const { documents, errors } = parseYamlDocuments(text);
  if (errors.length > 0) throw new InvalidInputError(`${path}:${errors[0]!.line}:${errors[0]!.col}: ${errors[0]!.message}`);
  if (documents.length !== 1) throw new InvalidInputError(`${path}: expected one YAML document, found ${documents.length}`);
  const doc = documents[0]!;
  const parsed = v.safeParse(SyncConfigSchema, doc.value ?? {});
  if (!parsed.success) {
    const issue = parsed.issues[0]!;
    const pos = doc.locate(issuePath(issue));
    throw new InvalidInputError(`${path}:${pos.line}:${pos.col}: ${describeIssue(parsed.issues)}`, { hint: "see docs/sync.md for the format" });
  }
  const config = { ...parsed.output, path: resolve(path) };
  if (config.state !== undefined) config.state = resolve(dirname(config.path), config.state);
  return config;
}

/**
 * A rule's options with the defaults applied.
 *
 * @example ruleOptions(config, config.sync[0]).concurrency // 4 unless set
 */
export function ruleOptions(config: SyncConfig, rule: SyncRule) {
  const d = config.defaults ?? {};
  return {
    referrers: rule.referrers ?? d.referrers ?? true,
    fastCheck: rule.fastCheck ?? d.fastCheck ?? true,
    concurrency: rule.concurrency ?? d.concurrency ?? 4,
    followDeps: rule.followDeps ?? d.followDeps ?? false,
    includeImages: rule.includeImages ?? d.includeImages ?? false,
    platform: rule.platform ?? d.platform,
  };
}
export type RuleOptions = ReturnType<typeof ruleOptions>;
