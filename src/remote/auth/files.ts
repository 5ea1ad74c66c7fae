import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import * as v from "valibot";
import { InvalidInputError } from "../../errors/index.ts";
import { describeIssue } from "../../oci/schemas.ts";

/**
 * Reads a JSON file through a schema. Undefined when the file does not exist; a malformed
 * file is an InvalidInputError naming the file and the field (never the file's content: these
 * files hold secrets).
 */
export async function readJsonFile<S extends v.GenericSchema>(path: string, schema: S): Promise<v.InferOutput<S> | undefined> {
  // Synchronous: every command reads these small files, and a thread-pool trip costs more.
  if (!existsSync(path)) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    throw new InvalidInputError(`${path} is not valid JSON`);
  }
  const parsed = v.safeParse(schema, doc);
  if (!parsed.success) throw new InvalidInputError(`${path}: ${describeIssue(parsed.issues)}`);
  return parsed.output;
}

/**
 * Writes a secret-bearing JSON file: mode 0600 from the first byte (temp file in the same
 * directory, then rename), so no reader ever sees it half-written or world-readable.
 */
export function writeSecretJson(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(temp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temp, 0o600);
  renameSync(temp, path);
}

/** `user:pass` in base64, the form both config files keep. */
export function encodeBasic(username: string, password: string): string {
  return Buffer.from(`${username}:${password}`, "utf8").toString("base64");
}

/** The inverse of encodeBasic; undefined when it is not `user:pass`. */
export function decodeBasic(auth: string): { username: string; password: string } | undefined {
  const text = Buffer.from(auth, "base64").toString("utf8");
  const colon = text.indexOf(":");
  if (colon < 0) return undefined;
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}
