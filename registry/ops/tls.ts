import { X509Certificate, createPrivateKey } from "node:crypto";
import { InvalidInputError } from "../../src/errors/index.ts";
import type { ServeConfig } from "../config.ts";

/** What Bun.serve takes for HTTPS, read and checked up front. */
export interface TlsSettings {
  cert: string;
  key: string;
  ca?: string;
  requestCert?: boolean;
  rejectUnauthorized?: boolean;
}

/**
 * Reads `tls.cert`, `tls.key` and `tls.clientCa` and checks them before the server starts:
 * each must be PEM of the right kind and the key must belong to the certificate, so a
 * mistake is one line naming the file rather than a failed handshake later. With a client CA,
 * clients must present a certificate that chains to it (mutual TLS) or the handshake fails.
 *
 * @example const tls = await loadTls(config.tls); Bun.serve({ tls, … })
 */
export async function loadTls(config: ServeConfig["tls"]): Promise<TlsSettings | undefined> {
  if (config.cert === undefined || config.key === undefined) return undefined;
  const cert = await readPem(config.cert, "tls.cert");
  const key = await readPem(config.key, "tls.key");
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(cert);
  } catch {
    throw new InvalidInputError(`tls.cert ${config.cert}: not a PEM certificate`);
  }
  try {
    if (!certificate.checkPrivateKey(createPrivateKey(key))) {
      throw new InvalidInputError(`tls.key ${config.key}: this key does not belong to the certificate in ${config.cert}`);
    }
  } catch (error) {
    if (error instanceof InvalidInputError) throw error;
    throw new InvalidInputError(`tls.key ${config.key}: not a PEM private key`);
  }
  if (Date.parse(certificate.validTo) < Date.now()) {
    throw new InvalidInputError(`tls.cert ${config.cert}: the certificate expired on ${certificate.validTo}`);
  }
  if (config.clientCa === undefined) return { cert, key };
  const ca = await readPem(config.clientCa, "tls.clientCa");
  try {
    new X509Certificate(ca);
  } catch {
    throw new InvalidInputError(`tls.clientCa ${config.clientCa}: not a PEM certificate`);
  }
  return { cert, key, ca, requestCert: true, rejectUnauthorized: true };
}

async function readPem(path: string, field: string): Promise<string> {
  const text = await Bun.file(path).text().catch((error: NodeJS.ErrnoException) => {
    throw new InvalidInputError(`${field} ${path}: cannot read it (${error.code ?? error.message})`);
  });
  if (!text.includes("-----BEGIN ")) throw new InvalidInputError(`${field} ${path}: not PEM (no -----BEGIN line)`);
  return text;
}
