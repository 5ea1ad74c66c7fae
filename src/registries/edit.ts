import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import * as v from "valibot";
import { isMap, parseDocument, type Document } from "yaml";
import { InvalidInputError, NotFoundError } from "../errors/index.ts";
import { describeIssue } from "../oci/schemas.ts";
import { withFileLock } from "../util/file-lock.ts";
import { holdsSecret, loadRegistries, registriesPaths } from "./file.ts";
import { RegistriesFileSchema, type RegistryEntry } from "./schema.ts";

/** One change to the primary registries file. */
export type RegistriesChange =
  | { kind: "set"; name: string; entry: RegistryEntry; makeDefault?: boolean }
  | { kind: "remove"; name: string }
  | { kind: "default"; name: string | undefined };

/**
 * Applies a change to `$IDP_HOME/registries.yaml`, keeping the file's comments and layout:
 * under a lock shared by idp processes, the YAML document is edited, the result is checked
 * against the schema (an edit never writes an invalid file), and the new text replaces the
 * old atomically. A file that stores a password is written 0600, others 0644. Entries that
 * only the seed project's file defines cannot be changed here.
 *
 * @example await changeRegistries({ kind: "set", name: "local", entry: { url: "http://127.0.0.1:5000" } });
 */
export async function changeRegistries(change: RegistriesChange, env: Record<string, string | undefined> = process.env): Promise<void> {
  const { primary: path } = registriesPaths(env);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  await withFileLock(`${path}.lock`, async () => {
    const merged = await loadRegistries(env);
    const file = Bun.file(path);
    let doc = parseDocument((await file.exists()) ? await file.text() : "version: 1\n");
    // An empty file (or only comments) has no mapping to edit yet.
    if (!isMap(doc.contents)) doc = parseDocument(`${doc.toString().trimEnd()}\nversion: 1\n`.trimStart());
    apply(doc, change, merged.entries, merged.paths.primary);
    const value = doc.toJS() as unknown;
    const parsed = v.safeParse(RegistriesFileSchema, value);
    if (!parsed.success) throw new InvalidInputError(`the change would make ${path} invalid: ${describeIssue(parsed.issues)}`);
    const defaultName = parsed.output.default;
    if (defaultName !== undefined && !merged.entries.has(defaultName) && !(defaultName in parsed.output.registries)) {
      throw new NotFoundError(`no registry named ${JSON.stringify(defaultName)}`, { hint: "`idp registry list` shows the configured names" });
    }
    writeAtomically(path, doc.toString(), holdsSecret(parsed.output) ? 0o600 : 0o644);
  });
}

function apply(doc: Document, change: RegistriesChange, known: Map<string, { source: string }>, primary: string): void {
  if (change.kind === "set") {
    doc.setIn(["registries", change.name], doc.createNode(change.entry));
    if (change.makeDefault) doc.set("default", change.name);
    return;
  }
  if (change.kind === "default") {
    if (change.name === undefined) doc.delete("default");
    else if (!known.has(change.name)) throw new NotFoundError(`no registry named ${JSON.stringify(change.name)}`, { hint: "`idp registry list` shows the configured names" });
    else doc.set("default", change.name);
    return;
  }
  const found = known.get(change.name);
  if (!found) throw new NotFoundError(`no registry named ${JSON.stringify(change.name)}`, { hint: "`idp registry list` shows the configured names" });
  if (found.source !== primary) {
    throw new InvalidInputError(`registry ${change.name} is defined in ${found.source}, which idp does not write`, { hint: `edit that file to remove it` });
  }
  doc.deleteIn(["registries", change.name]);
  if (doc.get("default") === change.name) doc.delete("default");
}

/** Temp file in the same directory with the final mode from the start, then rename. */
function writeAtomically(path: string, text: string, mode: number): void {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    writeFileSync(temp, text, { mode });
    chmodSync(temp, mode);
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}
