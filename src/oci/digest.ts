import { InvalidReferenceError, UnsupportedError } from "../errors/index.ts";

/** Digest algorithms idp can compute and store. */
export const DIGEST_ALGORITHMS = ["sha256", "sha512"] as const;
export type DigestAlgorithm = (typeof DIGEST_ALGORITHMS)[number];

/** Hex length of each registered algorithm's encoded part (image-spec descriptor.md). */
const REGISTERED: Record<string, RegExp> = {
  sha256: /^[a-f0-9]{64}$/,
  sha512: /^[a-f0-9]{128}$/,
  blake3: /^[a-f0-9]{64}$/,
};

const DIGEST_GRAMMAR = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export interface ParsedDigest {
  algorithm: string;
  encoded: string;
}

/**
 * Parses a digest by the OCI grammar (`algorithm ":" encoded`); registered algorithms must
 * also have the right encoded form. Unknown algorithms that fit the grammar pass.
 *
 * @example parseDigest("sha256:e3b0…") // { algorithm: "sha256", encoded: "e3b0…" }
 */
export function parseDigest(value: string): ParsedDigest {
  if (value.length > 256 || !DIGEST_GRAMMAR.test(value)) {
    throw new InvalidReferenceError(`invalid digest ${JSON.stringify(clip(value))}`, {
      hint: "a digest looks like sha256:<64 lower-case hex characters>",
    });
  }
  const colon = value.indexOf(":");
  const algorithm = value.slice(0, colon);
  const encoded = value.slice(colon + 1);
  const registered = REGISTERED[algorithm];
  if (registered && !registered.test(encoded)) {
    throw new InvalidReferenceError(`invalid ${algorithm} digest ${JSON.stringify(clip(value))}`, {
      hint: `${algorithm} digests are ${algorithm === "sha512" ? 128 : 64} lower-case hex characters`,
    });
  }
  return { algorithm, encoded };
}

/** True when `value` is a well-formed digest of an algorithm idp can compute. */
export function isSupportedDigest(value: string): boolean {
  try {
    return isSupportedAlgorithm(parseDigest(value).algorithm);
  } catch {
    return false;
  }
}

export function isSupportedAlgorithm(algorithm: string): algorithm is DigestAlgorithm {
  return (DIGEST_ALGORITHMS as readonly string[]).includes(algorithm);
}

/**
 * Parses a digest and insists idp can compute it: the form any digest that decides where
 * bytes are stored must pass.
 */
export function parseSupportedDigest(value: string): { algorithm: DigestAlgorithm; encoded: string } {
  const parsed = parseDigest(value);
  if (!isSupportedAlgorithm(parsed.algorithm)) {
    throw new UnsupportedError(`unsupported digest algorithm ${JSON.stringify(clip(parsed.algorithm))}`, {
      hint: `supported algorithms: ${DIGEST_ALGORITHMS.join(", ")}`,
    });
  }
  return { algorithm: parsed.algorithm, encoded: parsed.encoded };
}

/** A streaming hasher for `algorithm`; `digest()` returns the full `alg:hex` string. */
export class Digester {
  readonly algorithm: DigestAlgorithm;
  #hasher: Bun.CryptoHasher;
  #size = 0;
  constructor(algorithm: DigestAlgorithm = "sha256") {
    this.algorithm = algorithm;
    this.#hasher = new Bun.CryptoHasher(algorithm);
  }
  update(chunk: Uint8Array): void {
    this.#hasher.update(chunk);
    this.#size += chunk.byteLength;
  }
  get size(): number {
    return this.#size;
  }
  digest(): string {
    return `${this.algorithm}:${this.#hasher.copy().digest("hex")}`;
  }
}

/** The digest of a byte string. */
export function digestOf(data: Uint8Array | string, algorithm: DigestAlgorithm = "sha256"): string {
  return `${algorithm}:${new Bun.CryptoHasher(algorithm).update(data).digest("hex")}`;
}

function clip(value: string): string {
  return value.length > 80 ? `${value.slice(0, 77)}...` : value;
}
