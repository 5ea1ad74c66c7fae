/**
 * The registry's whole on-disk layout, relative to its root (`--root`, default
 * `$IDP_HOME/registry` or `~/.idp/registry`):
 *
 *   blobs/<alg>/<hex>            every blob and manifest, once, by digest. A file's hard-link
 *                                count is 1 + the number of repositories that link it.
 *   repositories/<name>/         one OCI image layout per repository ('/' in the name is
 *                                written '+', which names can never contain):
 *     oci-layout                 {"imageLayoutVersion":"1.0.0"}
 *     index.json                 the repository's manifests; a tag is a descriptor annotated
 *                                org.opencontainers.image.ref.name, an untagged manifest a
 *                                descriptor without it
 *     blobs/<alg>/<hex>          hard links into the top-level blobs/ for each blob and
 *                                manifest in this repository (a blob is readable here only
 *                                if it is linked here)
 *   uploads/<uuid>/data          bytes of an upload session so far
 *   uploads/<uuid>/info.json     {repository, algorithm, started}
 *   tmp/<pid>-<n>                files being written; renamed or linked into place only
 *                                once complete and synced, swept at start when their
 *                                process is gone
 *
 * Every name below is checked against the distribution-spec grammar before it gets here;
 * this module only joins strings.
 */

export const BLOBS = "blobs";
export const REPOSITORIES = "repositories";
export const UPLOADS = "uploads";

export function blobPath(digest: string): string {
  const colon = digest.indexOf(":");
  return `${BLOBS}/${digest.slice(0, colon)}/${digest.slice(colon + 1)}`;
}

export function repoDir(repo: string): string {
  return `${REPOSITORIES}/${encodeRepo(repo)}`;
}

export function repoBlobPath(repo: string, digest: string): string {
  return `${repoDir(repo)}/${blobPath(digest)}`;
}

export function repoIndexPath(repo: string): string {
  return `${repoDir(repo)}/index.json`;
}

export function repoLayoutMarkerPath(repo: string): string {
  return `${repoDir(repo)}/oci-layout`;
}

export function uploadDir(id: string): string {
  return `${UPLOADS}/${id}`;
}

export function uploadDataPath(id: string): string {
  return `${UPLOADS}/${id}/data`;
}

export function uploadInfoPath(id: string): string {
  return `${UPLOADS}/${id}/info.json`;
}

export function encodeRepo(repo: string): string {
  return repo.replaceAll("/", "+");
}

export function decodeRepo(dirName: string): string {
  return dirName.replaceAll("+", "/");
}
