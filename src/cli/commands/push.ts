import type { CAC } from "cac";
import { list, withRemoteFlags, type RemoteFlags } from "../common.ts";

interface PushFlags extends RemoteFlags {
  artifactType?: string;
  annotation?: string | string[];
  annotationFile?: string;
  config?: string;
  concurrency?: string | number;
  json?: boolean;
  quiet?: boolean;
}

/** `idp push REF PATH...`: files and directories as an OCI artifact. */
export function registerPush(cli: CAC): void {
  withRemoteFlags(
    cli
      .command("push <reference> [...paths]", "Push files and directories as an OCI artifact (a directory becomes one reproducible tar+gzip layer)")
      .option("--artifact-type <type>", "The manifest's artifactType (default application/vnd.unknown.artifact.v1 without --config)")
      .option("-a, --annotation <key=value>", "A manifest annotation (repeatable)")
      .option("--annotation-file <file>", "JSON annotations: {\"$manifest\": {...}, \"<file title>\": {...}} (oras' format)")
      .option("--config <file:type>", "Use this file as the config blob, with this media type")
      .option("--concurrency <n>", "Blobs in flight at once (default 4)")
      .option("--json", "Print {reference, digest, tags, layers, copied, skipped, bytes} as JSON")
      .option("-q, --quiet", "Print only the digest")
      .example("idp push 127.0.0.1:5000/team/notes:v1 README.md docs/")
      .example("idp push 127.0.0.1:5000/team/site:1.0.0,latest ./site --artifact-type application/vnd.example.site")
      .example("idp push registry.example.com/team/cfg:v2 app.yaml:application/yaml -a org.opencontainers.image.source=https://git.example.com/cfg"),
  ).action(async (reference: string, paths: string[], flags: PushFlags) => {
    const { checkPushPaths, parsePushPath, pushFiles } = await import("../../client/push.ts");
    const { splitTags } = await import("../../client/tags.ts");
    const { readAnnotations } = await import("../../client/annotations.ts");
    const { expandReference, openReference } = await import("../targets.ts");
    const { Progress, progressMode } = await import("../progress.ts");
    const { data, json } = await import("../output.ts");
    const { UsageError } = await import("../usage.ts");
    const expanded = await expandReference(reference);
    const { ref, tags } = splitTags(expanded.text);
    if (ref.digest) throw new UsageError("push takes a tag, not a digest", "idp push host/repo:tag PATH...");
    const config = flags.config === undefined ? undefined : parseConfig(flags.config, UsageError);
    const annotations = await readAnnotations(list(flags.annotation), flags.annotationFile);
    const build = {
      ...(flags.artifactType ? { artifactType: flags.artifactType } : {}),
      annotations: annotations.manifest,
      fileAnnotations: annotations.files,
      ...(config ? { config } : {}),
    };
    const pushPaths = paths.map(parsePushPath);
    // Before the destination is opened (a layout would be created): a typo changes nothing.
    checkPushPaths(pushPaths);
    const target = await openReference(ref, flags, { create: true, ...(expanded.registry ? { registry: expanded.registry } : {}) });
    const progress = new Progress({ verb: "push", mode: progressMode(flags) });
    const { onInterrupt } = await import("../interrupt.ts");
    const stop = onInterrupt();
    try {
      const pushed = await pushFiles(pushPaths, build, target, tags, { observer: progress, signal: stop.signal, ...(flags.concurrency ? { concurrency: Number(flags.concurrency) } : {}) });
      if (flags.json) json({ reference, digest: pushed.manifest.digest, tags, layers: pushed.layers, ...pushed.counts });
      else data(pushed.manifest.digest);
    } finally {
      stop.off();
      progress.close();
    }
  });
}

function parseConfig(value: string, Usage: new (m: string, h?: string) => Error): { path: string; mediaType: string } {
  const colon = value.lastIndexOf(":");
  if (colon <= 0 || !value.slice(colon + 1).includes("/")) throw new Usage(`--config needs FILE:MEDIA_TYPE, got ${JSON.stringify(value)}`, "--config config.json:application/vnd.example.config.v1+json");
  return { path: value.slice(0, colon), mediaType: value.slice(colon + 1) };
}
