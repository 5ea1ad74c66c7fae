import { homedir } from "node:os";
import { join } from "node:path";

/** idp's home directory: `$IDP_HOME`, else `~/.idp`. */
export function idpHome(env: Record<string, string | undefined> = process.env): string {
  return env.IDP_HOME || join(homedir(), ".idp");
}
