/**
 * The few error classes idp code branches on. Every message is one readable line that says
 * what failed and where; `hint` says what to do about it. Code and tests use `instanceof`,
 * never the message text.
 *
 * @example
 * throw new NotFoundError("manifest sha256:ab… not found in library/alpine", { hint: "check the tag" });
 */
export class IdpError extends Error {
  override name = "IdpError";
  readonly hint: string | undefined;
  constructor(message: string, options: { cause?: unknown; hint?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.hint = options.hint;
  }
}

/** Something asked for does not exist (blob, manifest, tag, repository, file). */
export class NotFoundError extends IdpError {
  override name = "NotFoundError";
}

/** Something to be created exists already with other content. */
export class AlreadyExistsError extends IdpError {
  override name = "AlreadyExistsError";
}

/** Content did not match the digest or size it was announced with. */
export class DigestMismatchError extends IdpError {
  override name = "DigestMismatchError";
}

/** A valid request for something this implementation or peer does not do. */
export class UnsupportedError extends IdpError {
  override name = "UnsupportedError";
}

/** Input or content over a configured limit. */
export class SizeLimitError extends IdpError {
  override name = "SizeLimitError";
}

/** A reference, repository name, tag or digest that does not follow the grammar. */
export class InvalidReferenceError extends IdpError {
  override name = "InvalidReferenceError";
}

/** Input that is malformed: a manifest, a config file, a tarball. */
export class InvalidInputError extends IdpError {
  override name = "InvalidInputError";
}

/** Missing or refused credentials. */
export class AuthError extends IdpError {
  override name = "AuthError";
}

/** The fields a registry's error answer is described by. */
export interface RegistryResponseInit {
  method: string;
  /** The request URL; credentials and query values are removed before it is kept. */
  url: string;
  status: number;
  /** OCI error codes of the body (`{"errors":[{"code":…}]}`), in order. */
  codes?: string[];
  /** The registry's messages for those codes. */
  messages?: string[];
}

/**
 * A registry answered an HTTP request with an error status. Carries the parsed OCI error body;
 * the message is one line: `GET https://host/v2/x/manifests/1: 404 MANIFEST_UNKNOWN (manifest
 * unknown)`. The URL never carries credentials or query values (pre-signed URLs are secrets).
 *
 * @example
 * if (error instanceof RegistryResponseError && error.codes.includes("NAME_UNKNOWN")) …
 */
export class RegistryResponseError extends IdpError {
  override name = "RegistryResponseError";
  readonly method: string;
  readonly url: string;
  readonly status: number;
  readonly codes: string[];
  readonly messages: string[];
  constructor(init: RegistryResponseInit, options: { cause?: unknown; hint?: string } = {}) {
    const url = redactUrl(init.url);
    const codes = init.codes ?? [];
    const messages = (init.messages ?? []).map(oneLine);
    const detail = codes.map((code, i) => (messages[i] ? `${code} (${messages[i]})` : code)).join(", ");
    super(`${init.method} ${url}: ${init.status}${detail ? ` ${detail}` : ""}`, options);
    this.method = init.method;
    this.url = url;
    this.status = init.status;
    this.codes = codes;
    this.messages = messages;
  }
}

/** A registry could not be reached, or the connection broke or stalled, after every retry. */
export class NetworkError extends IdpError {
  override name = "NetworkError";
}

/** Query parameters whose values are safe (and useful) to show in messages. */
const SHOWN_QUERY = new Set(["digest", "mount", "from", "n", "last", "artifactType", "tag", "service", "scope"]);

/**
 * A URL fit for messages: no user info, no fragment, and the value of every query parameter
 * not known to be harmless replaced (pre-signed blob URLs carry signatures in the query).
 */
export function redactUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "<invalid url>";
  }
  url.username = "";
  url.password = "";
  url.hash = "";
  for (const key of [...url.searchParams.keys()]) {
    if (!SHOWN_QUERY.has(key)) url.searchParams.set(key, "redacted");
  }
  return url.toString();
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 200 ? `${flat.slice(0, 197)}...` : flat;
}

/**
 * A copy between two stores failed. `side` says which store failed: the source (reading,
 * or content that did not verify) or the destination (writing); `cause` holds the error.
 *
 * @example
 * if (error instanceof CopyError && error.side === "destination") console.error(`cannot write ${error.descriptor.digest}`);
 */
export class CopyError extends IdpError {
  override name = "CopyError";
  readonly side: "source" | "destination";
  readonly descriptor: { mediaType: string; digest: string; size: number };
  constructor(
    message: string,
    options: { cause?: unknown; hint?: string; side: "source" | "destination"; descriptor: { mediaType: string; digest: string; size: number } },
  ) {
    super(message, options);
    this.side = options.side;
    this.descriptor = { mediaType: options.descriptor.mediaType, digest: options.descriptor.digest, size: options.descriptor.size };
  }
}

/**
 * The user stopped a long operation (SIGINT, SIGTERM) and it ended cleanly at a blob
 * boundary: what was finished is kept, nothing partial is visible, a re-run continues.
 *
 * @example if (error instanceof InterruptedError) info("stopped; run again to continue");
 */
export class InterruptedError extends IdpError {
  override name = "InterruptedError";
}
