import { access, constants } from "node:fs/promises";
import type { Readiness } from "./routes.ts";

/** How long a storage check result is reused: /readyz may be polled often. */
const CHECK_TTL_MS = 2000;

/**
 * Readiness of a server: not while it is stopping, and only while its storage root (when it
 * has one) can be written.
 *
 * @example const readiness = storageReadiness("/var/lib/idp", () => stopping);
 */
export function storageReadiness(root: string | undefined, stopping: () => boolean): Readiness {
  let last: { at: number; ok: boolean } | undefined;
  return {
    async check() {
      if (stopping()) return { ready: false, reason: "stopping" };
      if (root === undefined) return { ready: true };
      if (!last || Date.now() - last.at > CHECK_TTL_MS) {
        const ok = await access(root, constants.W_OK).then(
          () => true,
          () => false,
        );
        last = { at: Date.now(), ok };
      }
      return last.ok ? { ready: true } : { ready: false, reason: "storage root is not writable" };
    },
  };
}
