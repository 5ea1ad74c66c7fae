import * as v from "valibot";
import { isValidTag } from "../oci/names.ts";
import { Annotation } from "../oci/mediatypes.ts";
import type { Descriptor, ImageIndex } from "../oci/schemas.ts";

/**
 * What a bundle's `index.json` says about its contents. Each named root carries its original
 * reference three ways, so that every reader finds it where it looks:
 *
 * - `org.opencontainers.image.ref.name`: the full reference (`registry/path:tag`), which the
 *   OCI ref grammar allows and skopeo matches in `oci-archive:FILE.tar:REF`;
 * - `io.containerd.image.name`: the same, for containerd and nerdctl imports;
 * - `dev.idp.bundle.*`: why it is in the bundle (a package asked for, a dependency, an image a
 *   package's manifests reference, a referrer) and which packages use it.
 *
 * The index itself carries when and by what the bundle was made, what was asked for, and what
 * could not be discovered (so `bundle inspect` can say so long after the fact).
 */

export const BundleAnnotation = {
  reference: "dev.idp.bundle.reference",
  role: "dev.idp.bundle.role",
  packageName: "dev.idp.bundle.package",
  usedBy: "dev.idp.bundle.used-by",
  platform: "dev.idp.bundle.platform",
  created: "dev.idp.bundle.created",
  tool: "dev.idp.bundle.tool",
  requested: "dev.idp.bundle.requested",
  undiscovered: "dev.idp.bundle.undiscovered",
  containerdName: "io.containerd.image.name",
} as const;

/** Why a root is in the bundle. */
export const RoleSchema = v.picklist(["package", "dependency", "image", "artifact", "referrer"]);
export type Role = v.InferOutput<typeof RoleSchema>;

/** Something `--include-images` could not see into, kept in the bundle for `inspect`. */
export const NoteSchema = v.object({ package: v.string(), note: v.string() });
export type Note = v.InferOutput<typeof NoteSchema>;
const NotesSchema = v.array(NoteSchema);
const RequestedSchema = v.array(v.string());

/** One root of a bundle, as `inspect`, `import` and `verify` see it. */
export interface BundleEntry {
  descriptor: Descriptor;
  /** The original reference (`registry/path:tag`, `registry/path@digest`) or a bare tag. */
  reference: string | undefined;
  role: Role | undefined;
  /** `name@version` of a package root. */
  packageName: string | undefined;
  /** Packages that depend on it or reference it (dependencies and images). */
  usedBy: string[];
  platform: string | undefined;
}

/** What the bundle says about itself. */
export interface BundleSummary {
  entries: BundleEntry[];
  created: string | undefined;
  tool: string | undefined;
  requested: string[];
  undiscovered: Note[];
}

/**
 * The index.json entry for a named root.
 *
 * @example entryDescriptor(desc, { reference: "r.example/team/app:1.0.0", role: "package", packageName: "app@1.0.0" })
 */
export function entryDescriptor(
  desc: Descriptor,
  entry: { reference?: string; role: Role; packageName?: string; usedBy?: readonly string[]; platform?: string },
): Descriptor {
  const annotations: Record<string, string> = {};
  if (entry.reference !== undefined) {
    annotations[Annotation.refName] = entry.reference;
    annotations[BundleAnnotation.containerdName] = entry.reference;
    annotations[BundleAnnotation.reference] = entry.reference;
  }
  annotations[BundleAnnotation.role] = entry.role;
  if (entry.packageName !== undefined) annotations[BundleAnnotation.packageName] = entry.packageName;
  if (entry.usedBy && entry.usedBy.length > 0) annotations[BundleAnnotation.usedBy] = [...new Set(entry.usedBy)].sort().join(",");
  if (entry.platform !== undefined) annotations[BundleAnnotation.platform] = entry.platform;
  const out: Descriptor = { mediaType: desc.mediaType, digest: desc.digest, size: desc.size, annotations };
  if (desc.artifactType !== undefined) out.artifactType = desc.artifactType;
  return out;
}

/**
 * The annotations of the bundle's index.json itself.
 *
 * @example indexAnnotations({ created: new Date(), tool: "idp 0.1.0", requested: ["r/app:1"], undiscovered: [] })
 */
export function indexAnnotations(info: { created: Date; tool: string; requested: readonly string[]; undiscovered: readonly Note[] }): Record<string, string> {
  return {
    [BundleAnnotation.created]: info.created.toISOString(),
    [BundleAnnotation.tool]: info.tool,
    [BundleAnnotation.requested]: JSON.stringify(info.requested),
    [BundleAnnotation.undiscovered]: JSON.stringify(info.undiscovered),
  };
}

/**
 * Reads a layout's index.json as bundle entries. Layouts idp did not write (skopeo, oras)
 * have only `ref.name`, often a bare tag; their entries have no role.
 *
 * @example summarize(store.index()).entries.filter((e) => e.role === "image")
 */
export function summarize(index: ImageIndex): BundleSummary {
  const a = index.annotations ?? {};
  return {
    entries: index.manifests.map(toEntry),
    created: a[BundleAnnotation.created],
    tool: a[BundleAnnotation.tool],
    requested: parseJson(a[BundleAnnotation.requested], RequestedSchema) ?? [],
    undiscovered: parseJson(a[BundleAnnotation.undiscovered], NotesSchema) ?? [],
  };
}

function toEntry(desc: Descriptor): BundleEntry {
  const a = desc.annotations ?? {};
  const role = v.safeParse(RoleSchema, a[BundleAnnotation.role]);
  return {
    descriptor: desc,
    reference: a[BundleAnnotation.reference] ?? a[BundleAnnotation.containerdName] ?? a[Annotation.refName],
    role: role.success ? role.output : undefined,
    packageName: a[BundleAnnotation.packageName],
    usedBy: a[BundleAnnotation.usedBy]?.split(",") ?? [],
    platform: a[BundleAnnotation.platform],
  };
}

/**
 * True when a layout's reference is only a tag (`v1`), not `registry/path:tag`.
 *
 * @example isBareTag("v1") // true; isBareTag("ghcr.io/team/app:v1") // false
 */
export function isBareTag(reference: string): boolean {
  return !reference.includes("/") && isValidTag(reference);
}

function parseJson<S extends v.GenericSchema>(text: string | undefined, schema: S): v.InferOutput<S> | undefined {
  if (text === undefined) return undefined;
  try {
    const parsed = v.safeParse(schema, JSON.parse(text));
    return parsed.success ? parsed.output : undefined;
  } catch {
    return undefined;
  }
}
