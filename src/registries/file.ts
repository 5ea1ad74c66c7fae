import { existsSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import * as v from "valibot";
import { idpHome } from "../config/home.ts";
import { InvalidInputError } from "../errors/index.ts";
import { describeIssue } from "../oci/schemas.ts";
import type { RegistriesFile, RegistryEntry } from "./schema.ts";

/** The registries file's name, in `$IDP_HOME` and in the seed project's home. */
export const REGISTRIES_FILE = "registries.yaml";

/** Where idp reads named registries from, and writes them to. */
export interface RegistriesPaths {
  /** `$IDP_HOME/registries.yaml`: read, and the only file idp writes. */
  primary: string;
  /** `$IDPBUILDER_HOME/registries.yaml` (default `~/.idpbuilder/`): read too when present. */
  seed: string;
}

/**
 * The registries files for an environment.
 *
 * @example registriesPaths({ IDP_HOME: "/tmp/h" }).primary // "/tmp/h/registries.yaml"
 */
export function registriesPaths(env: Record<string, string | undefined> = process.env): RegistriesPaths {
  const seedHome = env.IDPBUILDER_HOME || join(env.HOME || homedir(), ".idpbuilder");
  return { primary: join(idpHome(env), REGISTRIES_FILE), seed: join(seedHome, REGISTRIES_FILE) };
}

/** One named registry and the file it came from. */
export interface NamedEntry {
  name: string;
  entry: RegistryEntry;
  /** The file defining it (the primary file wins over the seed's for the same name). */
  source: string;
}

/** Both files, merged: what every command sees. */
export interface RegistriesConfig {
  paths: RegistriesPaths;
  entries: Map<string, NamedEntry>;
  default: string | undefined;
  cache: RegistriesFile["cache"];
  /** The primary file as parsed (for edits); empty when it does not exist. */
  primary: RegistriesFile;
}

/**
 * Reads `$IDP_HOME/registries.yaml` and, when present, the seed project's file, and merges
 * them (the primary file's entries and settings win). A malformed file is one
 * InvalidInputError naming the file, line and field; a file holding a password must not be
 * readable by others.
 *
 * @example const config = await loadRegistries(); config.entries.get("corp")?.entry.url
 */
export async function loadRegistries(env: Record<string, string | undefined> = process.env): Promise<RegistriesConfig> {
  const paths = registriesPaths(env);
  const seed = paths.seed === paths.primary ? undefined : await readRegistriesFile(paths.seed);
  const primary = await readRegistriesFile(paths.primary);
  const entries = new Map<string, NamedEntry>();
  for (const [file, path] of [[seed, paths.seed], [primary, paths.primary]] as const) {
    for (const [name, entry] of Object.entries(file?.registries ?? {})) entries.set(name, { name, entry, source: path });
  }
  const defaultName = primary?.default ?? seed?.default;
  if (defaultName !== undefined && !entries.has(defaultName)) {
    const where = primary?.default !== undefined ? paths.primary : paths.seed;
    throw new InvalidInputError(`${where}: default: names ${JSON.stringify(defaultName)}, which is not a configured registry`, {
      hint: `add it with \`idp registry add ${defaultName} URL\`, or pick another with \`idp registry default NAME\``,
    });
  }
  return {
    paths,
    entries,
    default: defaultName,
    cache: { ...seed?.cache, ...primary?.cache },
    primary: primary ?? { version: 1, registries: {} },
  };
}

/**
 * Reads and validates one registries file; undefined when it does not exist. Errors say
 * `file:line:col: field: problem` and never quote values (the file may hold a secret).
 *
 * @example await readRegistriesFile("/home/me/.idp/registries.yaml")
 */
export async function readRegistriesFile(path: string): Promise<RegistriesFile | undefined> {
  // A synchronous check: most commands run without the file, and ask several times.
  if (!existsSync(path)) return undefined;
  const file = Bun.file(path);
  // The YAML parser and the schemas load only when there is a file: most commands run without one.
  const [{ issuePath, parseYamlDocuments }, { RegistriesFileSchema }] = await Promise.all([import("../config/yaml.ts"), import("./schema.ts")]);
  const { documents, errors } = parseYamlDocuments(await file.text());
  const syntax = errors[0];
  if (syntax) throw new InvalidInputError(`${path}:${syntax.line}:${syntax.col}: ${syntax.message}`, { hint: "fix the YAML syntax" });
  if (documents.length > 1) throw new InvalidInputError(`${path}:${documents[1]!.line}: holds more than one YAML document`);
  const doc = documents[0];
  if (!doc || doc.value === null || doc.value === undefined) return { version: 1, registries: {} };
  const parsed = v.safeParse(RegistriesFileSchema, doc.value);
  if (!parsed.success) {
    const issue = parsed.issues[0]!;
    const at = doc.locate(issuePath(issue));
    throw new InvalidInputError(`${path}:${at.line}:${at.col}: ${describeField(issue)}`, {
      hint: "see docs/registries.md for the fields of registries.yaml",
    });
  }
  if (holdsSecret(parsed.output)) assertPrivate(path);
  return parsed.output;
}

/**
 * True when any entry stores a password in the file itself (the file must then be 0600).
 *
 * @example holdsSecret({ version: 1, registries: { a: { url: "x.io", credentials: { password: "…" } } } }) // true
 */
export function holdsSecret(file: RegistriesFile): boolean {
  return Object.values(file.registries).some((entry) => entry.credentials?.password !== undefined);
}

/** `registries.corp.provider: must be one of …`, naming the field from the top of the file. */
function describeField(issue: v.BaseIssue<unknown>): string {
  return v.getDotPath(issue) ? describeIssue([issue]) : `top level: ${describeIssue([issue])}`;
}

/** A file holding a secret must be readable by its owner only, as ssh insists for keys. */
function assertPrivate(path: string): void {
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new InvalidInputError(`${path} stores a password but is readable by others (mode ${mode.toString(8).padStart(4, "0")})`, {
      hint: `run \`chmod 600 ${path}\`, or move the secret out (passwordEnv, passwordFile or a credential helper)`,
    });
  }
}
