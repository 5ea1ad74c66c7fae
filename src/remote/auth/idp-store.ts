import { join } from "node:path";
import * as v from "valibot";
import { idpHome } from "../../config/home.ts";
import type { Credential, CredentialSource } from "./credentials.ts";
import { decodeBasic, encodeBasic, readJsonFile, writeSecretJson } from "./files.ts";

const EntrySchema = v.strictObject({
  /** base64 `user:pass`, as in Docker's config, so the two stay easy to compare. */
  auth: v.optional(v.string()),
  /** An OAuth2 refresh token obtained at login. */
  identityToken: v.optional(v.string()),
});

/** `$IDP_HOME/auth.json`: idp's own credential store, written by `idp login`. */
export const IdpAuthFileSchema = v.strictObject({
  version: v.literal(1),
  auths: v.record(v.string(), EntrySchema),
});
export type IdpAuthFile = v.InferOutput<typeof IdpAuthFileSchema>;

/** Where idp keeps credentials: `$IDP_HOME/auth.json` (default `~/.idp/auth.json`). */
export function idpAuthPath(env: Record<string, string | undefined> = process.env): string {
  return join(idpHome(env), "auth.json");
}

/**
 * Credentials `idp login` saved.
 *
 * @example idpStoreCredentials().get("127.0.0.1:5000")
 */
export function idpStoreCredentials(env: Record<string, string | undefined> = process.env, path = idpAuthPath(env)): CredentialSource {
  return {
    name: `idp credential store ${path}`,
    async get(host) {
      const entry = (await readJsonFile(path, IdpAuthFileSchema))?.auths[host.toLowerCase()];
      if (!entry) return undefined;
      if (entry.identityToken) return { identityToken: entry.identityToken };
      return entry.auth ? decodeBasic(entry.auth) : undefined;
    },
  };
}

/** Saves (replaces) the credentials of `host`; the file is mode 0600. */
export async function saveIdpCredential(host: string, credential: Credential, path: string): Promise<void> {
  const file = (await readJsonFile(path, IdpAuthFileSchema)) ?? { version: 1 as const, auths: {} };
  file.auths[host.toLowerCase()] = credential.identityToken
    ? { identityToken: credential.identityToken }
    : { auth: encodeBasic(credential.username ?? "", credential.password ?? "") };
  writeSecretJson(path, file);
}

/** Forgets the credentials of `host`. True when there were some. */
export async function removeIdpCredential(host: string, path: string): Promise<boolean> {
  const file = await readJsonFile(path, IdpAuthFileSchema);
  if (!file || !(host.toLowerCase() in file.auths)) return false;
  delete file.auths[host.toLowerCase()];
  writeSecretJson(path, file);
  return true;
}
