import { join } from "node:path";
import { limiter } from "../../src/copy/limit.ts";
import { IDP_BIN } from "../../test/helpers/idp.ts";
import { json, pushBlob, putManifest, randomContent } from "../../test/helpers/oci.ts";
import { writeLayout, writeRandomFile } from "../fixtures.ts";
import { sh } from "../measure.ts";

/**
 * `tags` small images in `repo`, all sharing two layers (1 MiB and 256 KiB), each with its
 * own config: what a busy repository of one application looks like.
 */
export async function pushManyTags(base: string, repo: string, tags: number): Promise<void> {
  const layers = [randomContent(1024 * 1024), randomContent(256 * 1024)];
  for (const layer of layers) await pushBlob(base, repo, layer);
  const limit = limiter(16);
  await Promise.all(
    Array.from({ length: tags }, (_, i) =>
      limit(async () => {
        const config = json({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] }, build: i });
        await pushBlob(base, repo, config);
        const manifest = json({
          schemaVersion: 2,
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: config.digest, size: config.size },
          layers: layers.map((l) => ({ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: l.digest, size: l.size })),
        });
        const res = await putManifest(base, repo, `1.0.${i}`, manifest, "application/vnd.oci.image.manifest.v1+json");
        if (res.status !== 201) throw new Error(`manifest PUT answered ${res.status}`);
      }),
    ),
  );
}

/**
 * `count` images of one `size`-byte random layer each, pushed to `host/set/img:N` (through an
 * OCI layout and `idp copy`, streamed). The layers are declared gzip so skopeo copies them as
 * they are. Returns the references.
 */
export async function pushBigImages(work: string, host: string, count: number, size: number, from = 1): Promise<string[]> {
  const refs: string[] = [];
  for (let i = from; i < from + count; i++) {
    const file = writeRandomFile(join(work, `layer-${i}.bin`), size);
    const layout = writeLayout(join(work, `layout-${i}`), file);
    const ref = `${host}/set/img:${i}`;
    await sh([IDP_BIN, "copy", `oci-layout:${layout}:v1`, ref, "-q"]);
    await sh(["rm", "-rf", layout, file.path]);
    refs.push(ref);
  }
  return refs;
}
