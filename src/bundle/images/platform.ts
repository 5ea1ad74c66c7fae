import { fetchManifest } from "../../content/successors.ts";
import type { Fetcher } from "../../content/types.ts";
import { InvalidInputError, NotFoundError } from "../../errors/index.ts";
import { isIndexMediaType } from "../../oci/mediatypes.ts";
import type { Descriptor } from "../../oci/schemas.ts";

/** `os/architecture[/variant]`, as `--platform` takes it. */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/**
 * Parses `linux/amd64` or `linux/arm64/v8`.
 *
 * @example parsePlatform("linux/arm/v7") // { os: "linux", architecture: "arm", variant: "v7" }
 */
export function parsePlatform(text: string): Platform {
  const parts = text.split("/");
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9._-]+$/.test(p))) {
    throw new InvalidInputError(`invalid platform ${JSON.stringify(text)}`, { hint: "write os/architecture[/variant], e.g. linux/amd64 or linux/arm64/v8" });
  }
  const [os, architecture, variant] = parts as [string, string, string | undefined];
  return variant === undefined ? { os, architecture } : { os, architecture, variant };
}

/**
 * `os/architecture[/variant]`.
 *
 * @example formatPlatform({ os: "linux", architecture: "arm64", variant: "v8" }) // "linux/arm64/v8"
 */
export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ""}`;
}

/** What to copy for an image when only one platform is wanted. */
export interface PlatformChoice {
  descriptor: Descriptor;
  /** The platform chosen from an index, when one was. */
  platform?: string;
  /** Why the whole image is kept even so. */
  note?: string;
}

/**
 * The manifest of `platform` in the image `desc` names. An index is replaced by its matching
 * child (the tag then names that platform's manifest at the destination, as `skopeo copy
 * --override-arch` does); a single-platform manifest is kept. An image pinned by digest keeps
 * its whole index, because a copy with fewer platforms would have another digest and break
 * the pin. A variant, when given, must match; without one the first matching os/architecture
 * wins (indexes list the preferred variant first).
 *
 * @example await choosePlatform(repo, desc, { os: "linux", architecture: "amd64" }, false)
 */
export async function choosePlatform(store: Fetcher, desc: Descriptor, platform: Platform, pinned: boolean, label: string): Promise<PlatformChoice> {
  if (!isIndexMediaType(desc.mediaType)) return { descriptor: desc };
  if (pinned) return { descriptor: desc, note: `${label} is pinned to the digest of a multi-platform index, so every platform is kept` };
  const { info } = await fetchManifest(store, desc);
  const match = info.manifests.find((m) => {
    const p = m.platform;
    return p !== undefined && p.os === platform.os && p.architecture === platform.architecture && (platform.variant === undefined || p.variant === platform.variant);
  });
  if (!match) {
    const offered = info.manifests.map((m) => (m.platform ? formatPlatform(m.platform) : "unknown")).join(", ");
    throw new NotFoundError(`${label} has no ${formatPlatform(platform)} image (it has: ${offered || "none"})`, { hint: "choose another --platform, or leave it out to bundle every platform" });
  }
  return { descriptor: { mediaType: match.mediaType, digest: match.digest, size: match.size }, platform: formatPlatform(match.platform!) };
}
