/** OCI and Docker media types idp reads and writes, in one place. */
export const MediaType = {
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociEmpty: "application/vnd.oci.empty.v1+json",
  ociLayer: "application/vnd.oci.image.layer.v1.tar",
  ociLayerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  ociLayerZstd: "application/vnd.oci.image.layer.v1.tar+zstd",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  dockerLayerGzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  dockerForeignLayer: "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
  dockerSchema1: "application/vnd.docker.distribution.manifest.v1+json",
  dockerSchema1Signed: "application/vnd.docker.distribution.manifest.v1+prettyjws",
} as const;

/**
 * An idp package: one OCI image manifest whose single layer is a plain tar+gzip (the type
 * Argo CD's OCI source accepts by default, and Flux and `oras pull` read), tagged with an
 * idp artifact type and carrying its metadata in an idp config blob.
 */
export const PackageMediaType = {
  artifact: "application/vnd.idp.package.v1",
  config: "application/vnd.idp.package.config.v1+json",
  layer: MediaType.ociLayerGzip,
} as const;

/** Manifest media types a registry stores under /manifests/. */
export const MANIFEST_MEDIA_TYPES: readonly string[] = [
  MediaType.ociManifest,
  MediaType.ociIndex,
  MediaType.dockerManifest,
  MediaType.dockerManifestList,
];

/** Media types whose documents list child manifests rather than layers. */
export function isIndexMediaType(mediaType: string): boolean {
  return mediaType === MediaType.ociIndex || mediaType === MediaType.dockerManifestList;
}

/**
 * Layers a registry need not hold: OCI non-distributable layers (deprecated but still
 * produced by Windows images) and Docker foreign layers.
 */
export function isNondistributable(mediaType: string): boolean {
  return (
    mediaType.startsWith("application/vnd.oci.image.layer.nondistributable.") ||
    mediaType === MediaType.dockerForeignLayer
  );
}

/** The media type without parameters, lower-cased: `a/b; charset=x` → `a/b`. */
export function bareMediaType(value: string): string {
  const semi = value.indexOf(";");
  return (semi === -1 ? value : value.slice(0, semi)).trim().toLowerCase();
}

/** OCI image layout constants (image-spec image-layout.md). */
export const OCI_LAYOUT_FILE = "oci-layout";
export const OCI_LAYOUT_VERSION = "1.0.0";

/** Standard annotation keys idp reads or writes. */
export const Annotation = {
  refName: "org.opencontainers.image.ref.name",
  title: "org.opencontainers.image.title",
  created: "org.opencontainers.image.created",
  version: "org.opencontainers.image.version",
  description: "org.opencontainers.image.description",
  source: "org.opencontainers.image.source",
  revision: "org.opencontainers.image.revision",
  licenses: "org.opencontainers.image.licenses",
  authors: "org.opencontainers.image.authors",
  /** ORAS extracts a layer carrying this ("true") as a directory named by its title. */
  orasUnpack: "io.deis.oras.content.unpack",
  /** ORAS checks the extracted tar (before gzip) against this digest. */
  orasContentDigest: "io.deis.oras.content.digest",
} as const;
