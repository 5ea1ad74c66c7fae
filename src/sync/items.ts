import { destinationRepository, parseDestination, type Destination } from "../bundle/destination.ts";
import type { Platform } from "../bundle/images/platform.ts";
import type { RuleOptions, SyncRule } from "./config.ts";

/** One rule, parsed once: where from, where to, with which options. */
export interface RuleContext {
  rule: SyncRule;
  options: RuleOptions;
  source: Destination;
  target: Destination;
  platform: Platform | undefined;
}

/** One thing to replicate: a tag (or a digest) of a source repository into a target repository. */
export interface SyncItem {
  kind: "tag" | "dependency" | "image";
  rule: RuleContext;
  source: { registry: string; repository: string };
  target: { registry: string; repository: string };
  /** Tag or digest at the source. */
  reference: string;
  /** Tag to set at the target; none for images pinned by digest. */
  tag: string | undefined;
  /** The digest when it is known already (a resolved dependency); checked against the source. */
  digest?: string;
}

/**
 * Where a source repository lands under a rule: its path below the rule's source prefix,
 * under the target prefix. A repository outside the source prefix (a dependency on another
 * registry, an image) keeps its whole path, without the host, as bundle import does.
 *
 * @example mapRepository(ctx, "ghcr.io", "platform/base") // { registry: "registry.local:5000", repository: "mirror/base" } for ghcr.io/platform → …/mirror
 */
export function mapRepository(ctx: Pick<RuleContext, "source" | "target">, registry: string, path: string): { registry: string; repository: string } {
  const { source, target } = ctx;
  let rel = path;
  if (registry === source.registry && source.prefix !== "" && path.startsWith(`${source.prefix}/`)) rel = path.slice(source.prefix.length + 1);
  return { registry: target.registry, repository: destinationRepository(target, rel) };
}

/**
 * `registry/path` of the rule's source repository `name`.
 *
 * @example sourceRepository(ctx, "ingress") // { registry: "ghcr.io", repository: "platform/ingress" } for source ghcr.io/platform
 */
export function sourceRepository(ctx: Pick<RuleContext, "source">, name: string): { registry: string; repository: string } {
  const path = ctx.source.prefix === "" ? name : `${ctx.source.prefix}/${name}`;
  return { registry: ctx.source.registry, repository: destinationRepository({ registry: ctx.source.registry, prefix: "" }, path) };
}

/**
 * A rule parsed once for a pass.
 *
 * @example const ctx = ruleContext(rule, ruleOptions(config, rule), undefined);
 */
export function ruleContext(rule: SyncRule, options: RuleOptions, platform: Platform | undefined): RuleContext {
  return { rule, options, source: parseDestination(rule.source), target: parseDestination(rule.target), platform };
}

/**
 * `registry/repository` of a side of an item.
 *
 * @example label(item.target) // "registry.local:5000/mirror/ingress"
 */
export function label(side: { registry: string; repository: string }): string {
  return `${side.registry}/${side.repository}`;
}
