import type { CAC } from "cac";
import { withRemoteFlags, type RemoteFlags } from "../common.ts";
import { data, info } from "../output.ts";
import { UsageError } from "../usage.ts";

/** `idp delete REF`: deletes a manifest (and so every tag pointing at it). */
export function registerDelete(cli: CAC): void {
  withRemoteFlags(
    cli
      .command("delete <reference>", "Delete the manifest a reference names, with every tag pointing at it")
      .option("-y, --yes", "Do not ask for confirmation (required when not on a terminal)")
      .option("-q, --quiet", "Print only the deleted digest")
      .example("idp delete 127.0.0.1:5000/team/app:old --yes")
      .example("idp delete 127.0.0.1:5000/team/app@sha256:…"),
  ).action(async (reference: string, flags: RemoteFlags & { yes?: boolean; quiet?: boolean }) => {
    const { openStore } = await import("../targets.ts");
    const { referenceTarget } = await import("../../oci/reference.ts");
    const { canDelete } = await import("../../content/types.ts");
    const { UnsupportedError } = await import("../../errors/index.ts");
    const { target, ref, label } = await openStore(reference, flags);
    if (!canDelete(target)) throw new UnsupportedError(`${label} does not support deletes`);
    const desc = await target.resolve(referenceTarget(ref));
    if (!flags.yes) {
      if (!process.stdin.isTTY) throw new UsageError("refusing to delete without --yes when not on a terminal");
      const answer = prompt(`delete ${desc.digest} from ${label} (every tag pointing at it goes too)? [y/N]`);
      if (!answer || !/^y(es)?$/i.test(answer.trim())) {
        info("not deleted");
        return;
      }
    }
    await target.delete(desc);
    if (flags.quiet) data(desc.digest);
    else info(`deleted ${desc.digest} from ${label}`);
  });
}
