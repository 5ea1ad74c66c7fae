import { homedir } from "node:os";
import { join } from "node:path";
import * as v from "valibot";
import type { Credential, CredentialSource } from "./credentials.ts";
import { decodeBasic, encodeBasic, readJsonFile, writeSecretJson } from "./files.ts";
import { helperErase, helperGet, helperStore } from "./helper.ts";

const AuthEntrySchema = v.looseObject({
  auth: v.optional(v.string()),
  username: v.optional(v.string()),
  password: v.optional(v.string()),
  identitytoken: v.optional(v.string()),
  registrytoken: v.optional(v.string()),
});

/** The parts of Docker's `config.json` idp reads; everything else is kept as is on write. */
export const DockerConfigSchema = v.looseObject({
  auths: v.optional(v.record(v.string(), AuthEntrySchema)),
  credsStore: v.optional(v.string()),
  credHelpers: v.optional(v.record(v.string(), v.string())),
});
export type DockerConfig = v.InferOutput<typeof DockerConfigSchema>;

/** The key Docker keeps Docker Hub credentials under. */
const DOCKER_HUB_KEY = "https://index.docker.io/v1/";

/** `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`. */
export function dockerConfigPath(env: Record<string, string | undefined> = process.env): string {
  return join(env.DOCKER_CONFIG || join(env.HOME || homedir(), ".docker"), "config.json");
}

/** Docker Hub's hosts share one credential, under the legacy index URL. */
function isDockerHub(host: string): boolean {
  return ["docker.io", "index.docker.io", "registry-1.docker.io"].includes(host);
}

/** The server address Docker would name `host` by, for helpers. */
export function dockerServerAddress(host: string): string {
  return isDockerHub(host) ? DOCKER_HUB_KEY : host;
}

/** `https://ghcr.io/v1/` → `ghcr.io`: the host part of an `auths` key. */
function keyHost(key: string): string {
  const stripped = key.replace(/^[a-z]+:\/\//i, "");
  const slash = stripped.indexOf("/");
  return (slash < 0 ? stripped : stripped.slice(0, slash)).toLowerCase();
}

function entryCredential(entry: v.InferOutput<typeof AuthEntrySchema>): Credential | undefined {
  if (entry.identitytoken) return { identityToken: entry.identitytoken, ...(entry.username ? { username: entry.username } : {}) };
  if (entry.registrytoken) return { registryToken: entry.registrytoken };
  if (entry.auth) return decodeBasic(entry.auth);
  if (entry.password) return { username: entry.username ?? "", password: entry.password };
  return undefined;
}

/**
 * Credentials from Docker's config, looked up as Docker does: a `credHelpers` entry for the
 * host, else the `credsStore` helper, else the `auths` entry (`auth` is base64 `user:pass`;
 * `identitytoken` is a refresh token). Helpers are real `docker-credential-<name>` programs.
 *
 * @example dockerConfigCredentials().get("ghcr.io")
 */
export function dockerConfigCredentials(env: Record<string, string | undefined> = process.env, path = dockerConfigPath(env)): CredentialSource {
  return {
    name: `docker config ${path}`,
    async get(host) {
      const config = await readJsonFile(path, DockerConfigSchema);
      if (!config) return undefined;
      const server = dockerServerAddress(host);
      const helper = findByHost(config.credHelpers, host);
      if (helper) return helperGet(helper, server, env);
      if (config.credsStore) {
        const stored = await helperGet(config.credsStore, server, env);
        if (stored) return stored;
      }
      const entry = findByHost(config.auths, host);
      return entry ? entryCredential(entry) : undefined;
    },
  };
}

function findByHost<T>(record: Record<string, T> | undefined, host: string): T | undefined {
  if (!record) return undefined;
  const wanted = isDockerHub(host) ? "index.docker.io" : host.toLowerCase();
  for (const [key, value] of Object.entries(record)) {
    const kh = keyHost(key);
    if (kh === wanted || (isDockerHub(host) && isDockerHub(kh))) return value;
  }
  return undefined;
}

/**
 * Saves credentials into Docker's config (`idp login --docker-config`): through the helper the
 * config names, else as an `auths` entry. Other fields of the file are kept.
 */
export async function saveDockerCredential(host: string, credential: Credential, env: Record<string, string | undefined> = process.env, path = dockerConfigPath(env)): Promise<void> {
  const config = (await readJsonFile(path, DockerConfigSchema)) ?? {};
  const helper = findByHost(config.credHelpers, host) ?? config.credsStore;
  const server = dockerServerAddress(host);
  if (helper) return helperStore(helper, server, credential, env);
  const auths = { ...config.auths };
  for (const key of Object.keys(auths)) if (keyHost(key) === keyHost(server)) delete auths[key];
  auths[server] = credential.identityToken
    ? { auth: "", identitytoken: credential.identityToken }
    : { auth: encodeBasic(credential.username ?? "", credential.password ?? "") };
  writeSecretJson(path, { ...config, auths });
}

/** Removes credentials from Docker's config (and its helper). True when something was removed. */
export async function removeDockerCredential(host: string, env: Record<string, string | undefined> = process.env, path = dockerConfigPath(env)): Promise<boolean> {
  const config = await readJsonFile(path, DockerConfigSchema);
  if (!config) return false;
  const server = dockerServerAddress(host);
  const helper = findByHost(config.credHelpers, host) ?? config.credsStore;
  if (helper) await helperErase(helper, server, env);
  const auths = { ...config.auths };
  let removed = Boolean(helper);
  for (const key of Object.keys(auths)) {
    if (keyHost(key) === keyHost(server)) {
      delete auths[key];
      removed = true;
    }
  }
  if (removed) writeSecretJson(path, { ...config, auths });
  return removed;
}
