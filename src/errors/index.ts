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
