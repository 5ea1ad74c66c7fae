import { InvalidReferenceError } from "../errors/index.ts";
import { parseDigest } from "./digest.ts";
import { MAX_NAME_LENGTH, isValidRepositoryName, isValidTag } from "./names.ts";

/**
 * References as users type them: `[registry[:port]/]repository[:tag][@digest]` by the
 * Docker/OCI grammar, with Docker Hub's normalisation, and `oci-layout:PATH[:tag][@digest]`
 * for an OCI image layout directory.
 */

/** A repository in a registry, possibly naming one manifest by tag and/or digest. */
export interface RegistryReference {
  kind: "registry";
  /** `host`, `host:port` or `[v6]:port`; Docker Hub is `docker.io`. */
  registry: string;
  /** Lower-case path, e.g. `library/alpine`. */
  repository: string;
  tag?: string;
  /** When present it wins over the tag: the tag is only informative. */
  digest?: string;
}

/** An OCI image layout directory on disk. */
export interface LayoutReference {
  kind: "layout";
  path: string;
  tag?: string;
  digest?: string;
}

export type Reference = RegistryReference | LayoutReference;

export const DOCKER_HUB = "docker.io";
const LEGACY_DOCKER_HUB = "index.docker.io";
const LAYOUT_SCHEME = "oci-layout:";

/** A host name, IPv4 address or bracketed IPv6 address, with an optional port. */
const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const HOST = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:.]+\\])(?::[0-9]{1,5})?$`);

/**
 * Parses a reference. Docker Hub names are normalised (`alpine` → `docker.io/library/alpine`,
 * `index.docker.io/x/y` → `docker.io/x/y`); a first component is a registry when it holds a
 * `.` or `:` or is `localhost`, as Docker decides. Neither tag nor digest is filled in when
 * absent: callers choose their default (see {@link referenceTarget}).
 *
 * @example
 * parseReference("alpine:3.20")           // { kind: "registry", registry: "docker.io", repository: "library/alpine", tag: "3.20" }
 * parseReference("localhost:5000/app@sha256:…")
 * parseReference("oci-layout:./out:v1")   // { kind: "layout", path: "./out", tag: "v1" }
 */
export function parseReference(input: string): Reference {
  if (input.startsWith(LAYOUT_SCHEME)) return parseLayoutReference(input.slice(LAYOUT_SCHEME.length), input);
  return parseRegistryReference(input);
}

/** Like {@link parseReference}, refusing layout references. */
export function parseRegistryReference(input: string): RegistryReference {
  const shown = clip(input);
  if (input === "") throw invalid("empty reference", "write it as [registry/]repository[:tag][@digest]");
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(input)) {
    throw invalid(`invalid reference ${shown}: references have no URL scheme`, `drop the scheme: ${clip(input.replace(/^[a-z][a-z0-9+.-]*:\/\//i, ""))}`);
  }
  if (/\s/.test(input)) throw invalid(`invalid reference ${shown}: it contains white space`);

  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    try {
      parseDigest(digest);
    } catch (error) {
      throw invalid(`invalid reference ${shown}: bad digest ${clip(digest)}`, (error as InvalidReferenceError).hint, error);
    }
  }

  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf("/");
  const colon = rest.indexOf(":", lastSlash + 1);
  if (colon !== -1) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!isValidTag(tag)) {
      throw invalid(`invalid reference ${shown}: bad tag ${clip(tag)}`, "tags are up to 128 of [A-Za-z0-9_.-] and may not start with '.' or '-'");
    }
  }

  const { registry, repository } = splitName(rest, shown);
  if (`${registry}/${repository}`.length > MAX_NAME_LENGTH) {
    throw invalid(`invalid reference ${shown}: the name is longer than ${MAX_NAME_LENGTH} characters`);
  }
  const out: RegistryReference = { kind: "registry", registry, repository };
  if (tag !== undefined) out.tag = tag;
  if (digest !== undefined) out.digest = digest;
  return out;
}

/** Splits `name` into registry and repository, applying Docker Hub's rules. */
function splitName(name: string, shown: string): { registry: string; repository: string } {
  if (name === "") throw invalid(`invalid reference ${shown}: no repository name`);
  const slash = name.indexOf("/");
  const first = slash === -1 ? "" : name.slice(0, slash);
  // Docker's rule: a first component is a host only when it could not be a repository path.
  const isHost = slash !== -1 && (first.includes(".") || first.includes(":") || first === "localhost" || first !== first.toLowerCase());
  let registry = isHost ? first : DOCKER_HUB;
  let repository = isHost ? name.slice(slash + 1) : name;
  if (isHost && !HOST.test(registry)) {
    throw invalid(`invalid reference ${shown}: bad registry host ${clip(registry)}`, "a registry is host[:port], e.g. registry.example.com:5000");
  }
  if (isHost) {
    const port = /:([0-9]+)$/.exec(registry)?.[1];
    if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) {
      throw invalid(`invalid reference ${shown}: port ${port} is out of range`);
    }
  }
  if (registry === LEGACY_DOCKER_HUB) registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && !repository.includes("/")) repository = `library/${repository}`;
  if (!isValidRepositoryName(repository)) {
    const lower = repository.toLowerCase();
    const hint = repository !== lower && isValidRepositoryName(lower)
      ? `repository names must be lower-case: ${formatName(registry, lower)}`
      : "repository names are lower-case letters and digits, separated by '.', '_', '__', '-' and '/'";
    throw invalid(`invalid reference ${shown}: bad repository name ${clip(repository)}`, hint);
  }
  return { registry, repository };
}

/**
 * `PATH[:tag][@digest]` of an `oci-layout:` reference. The tag is looked for only after the
 * last `/`, so paths with colons in directory names still work; a `@` followed by something
 * without a `/` is a digest.
 */
function parseLayoutReference(rest: string, input: string): LayoutReference {
  const shown = clip(input);
  let path = rest;
  let digest: string | undefined;
  const at = path.lastIndexOf("@");
  if (at !== -1 && !path.slice(at + 1).includes("/")) {
    digest = path.slice(at + 1);
    path = path.slice(0, at);
    try {
      parseDigest(digest);
    } catch (error) {
      throw invalid(`invalid reference ${shown}: bad digest ${clip(digest)}`, (error as InvalidReferenceError).hint, error);
    }
  }
  let tag: string | undefined;
  const colon = path.indexOf(":", path.lastIndexOf("/") + 1);
  if (colon !== -1) {
    tag = path.slice(colon + 1);
    path = path.slice(0, colon);
    if (!isValidTag(tag)) {
      throw invalid(`invalid reference ${shown}: bad tag ${clip(tag)}`, "tags are up to 128 of [A-Za-z0-9_.-] and may not start with '.' or '-'");
    }
  }
  if (path === "") throw invalid(`invalid reference ${shown}: no layout directory`, "write it as oci-layout:PATH[:tag][@digest]");
  const out: LayoutReference = { kind: "layout", path };
  if (tag !== undefined) out.tag = tag;
  if (digest !== undefined) out.digest = digest;
  return out;
}

/**
 * Formats a reference back into its canonical text; `familiar` shortens Docker Hub names the
 * way `docker` shows them (`docker.io/library/alpine` → `alpine`).
 *
 * @example formatReference(parseReference("alpine:3")) // "docker.io/library/alpine:3"
 */
export function formatReference(ref: Reference, options: { familiar?: boolean } = {}): string {
  const suffix = `${ref.tag !== undefined ? `:${ref.tag}` : ""}${ref.digest !== undefined ? `@${ref.digest}` : ""}`;
  if (ref.kind === "layout") return `${LAYOUT_SCHEME}${ref.path}${suffix}`;
  const name = options.familiar ? familiarName(ref.registry, ref.repository) : formatName(ref.registry, ref.repository);
  return `${name}${suffix}`;
}

/**
 * What to ask a store for: the digest when pinned, else the tag, else `latest` (Docker's
 * default). Callers that want no default read `ref.digest ?? ref.tag`.
 *
 * @example referenceTarget(parseReference("alpine")) // "latest"
 */
export function referenceTarget(ref: Reference): string {
  return ref.digest ?? ref.tag ?? "latest";
}

function formatName(registry: string, repository: string): string {
  return `${registry}/${repository}`;
}

function familiarName(registry: string, repository: string): string {
  if (registry !== DOCKER_HUB) return formatName(registry, repository);
  return repository.startsWith("library/") && !repository.slice(8).includes("/") ? repository.slice(8) : repository;
}

function invalid(message: string, hint?: string, cause?: unknown): InvalidReferenceError {
  const options: { hint?: string; cause?: unknown } = {};
  if (hint !== undefined) options.hint = hint;
  if (cause !== undefined) options.cause = cause;
  return new InvalidReferenceError(message, options);
}

function clip(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
}
