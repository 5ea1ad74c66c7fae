import { isIP } from "node:net";
import { join, resolve } from "node:path";
import * as v from "valibot";
import { InvalidInputError } from "../src/errors/index.ts";
import { idpHome } from "../src/config/home.ts";
import { describeIssue } from "../src/oci/schemas.ts";

const Count = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
const PositiveCount = v.pipe(v.number(), v.safeInteger(), v.minValue(1));

/**
 * Everything `idp serve` can be told, from flags, environment and a YAML file alike. Unknown
 * keys are errors, so a typo never silently falls back to a default.
 */
export const ServeConfigSchema = v.strictObject({
  /** HOST:PORT to listen on; port 0 picks a free one. */
  listen: v.optional(v.pipe(v.string(), v.check((s) => parseListen(s) !== undefined, "must be HOST:PORT, e.g. 127.0.0.1:5000")), "127.0.0.1:5000"),
  /** Storage root directory. Default: $IDP_HOME/registry (~/.idp/registry). */
  root: v.optional(v.pipe(v.string(), v.minLength(1))),
  /** `fs` (the default) or `memory` (nothing survives a restart; for tests and demos). */
  storage: v.optional(v.picklist(["fs", "memory"]), "fs"),
  /** Refuse manifests whose blobs or child manifests are missing (MANIFEST_BLOB_UNKNOWN). */
  strictReferences: v.optional(v.boolean(), false),
  limits: v.optional(
    v.strictObject({
      maxManifestBytes: v.optional(PositiveCount, 4 * 1024 * 1024),
      /** 0: no limit. */
      maxBlobBytes: v.optional(Count, 0),
      maxTagsPage: v.optional(PositiveCount, 10_000),
      maxCatalogPage: v.optional(PositiveCount, 1_000),
    }),
    {},
  ),
});
export type ServeConfig = v.InferOutput<typeof ServeConfigSchema>;
export type ServeConfigInput = v.InferInput<typeof ServeConfigSchema>;

/** Environment variables `idp serve` reads, each mapped onto a config field. */
export const SERVE_ENV = {
  IDP_REGISTRY_LISTEN: "listen",
  IDP_REGISTRY_ROOT: "root",
  IDP_REGISTRY_STORAGE: "storage",
} as const;

export interface Listen {
  hostname: string;
  port: number;
}

/** Splits HOST:PORT (`[::1]:5000` for IPv6); undefined when malformed. */
export function parseListen(value: string): Listen | undefined {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]*)):(\d{1,5})$/.exec(value);
  if (!match) return undefined;
  const hostname = match[1] ?? match[2] ?? "";
  const port = Number(match[3]);
  if (port > 65535) return undefined;
  if (match[1] !== undefined && isIP(match[1]) !== 6) return undefined;
  return { hostname: hostname === "" ? "0.0.0.0" : hostname, port };
}

/** True for addresses only this machine can reach. */
export function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "::1" || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/**
 * Builds the config: defaults, then the YAML file, then environment variables, then flags
 * (later wins). Any invalid field is one InvalidInputError naming the field and its source.
 */
export async function loadServeConfig(sources: {
  file?: string | undefined;
  env?: Record<string, string | undefined>;
  flags?: Partial<Record<keyof ServeConfigInput, unknown>>;
}): Promise<ServeConfig & { root: string }> {
  const env = sources.env ?? process.env;
  let merged: Record<string, unknown> = {};
  const file = sources.file ?? env.IDP_REGISTRY_CONFIG;
  if (file) {
    const text = await Bun.file(file).text().catch((error: NodeJS.ErrnoException) => {
      throw new InvalidInputError(`config ${file}: cannot read it (${error.code ?? error.message})`);
    });
    let doc: unknown;
    try {
      doc = Bun.YAML.parse(text);
    } catch (error) {
      throw new InvalidInputError(`config ${file}: not valid YAML (${(error as Error).message.replace(/^YAML Parse error: /, "")})`);
    }
    if (doc !== null && doc !== undefined && (typeof doc !== "object" || Array.isArray(doc))) {
      throw new InvalidInputError(`config ${file}: expected a mapping of settings at the top level`);
    }
    merged = { ...(doc as Record<string, unknown> | null) };
    check(merged, `config ${file}`);
  }
  for (const [name, field] of Object.entries(SERVE_ENV)) {
    const value = env[name];
    if (value !== undefined && value !== "") {
      merged[field] = value;
      check(merged, name, true);
    }
  }
  for (const [field, value] of Object.entries(sources.flags ?? {})) {
    if (value !== undefined) {
      merged[field] = value;
      check(merged, `--${field.replace(/[A-Z]/g, (ch) => `-${ch.toLowerCase()}`)}`, true);
    }
  }
  const config = check(merged, "config");
  return { ...config, root: resolve(config.root ?? join(idpHome(env), "registry")) };
}

/** Validates; a failure names its source, and the field unless the source is that field. */
function check(input: Record<string, unknown>, source: string, sourceIsField = false): ServeConfig {
  const parsed = v.safeParse(ServeConfigSchema, input);
  if (!parsed.success) throw new InvalidInputError(`${source}: ${describeIssue(parsed.issues, { omitPath: sourceIsField })}`);
  return parsed.output;
}
