import { fstatSync } from "node:fs";

/**
 * True when file descriptor `fd` is a terminal. On Linux the device number answers without
 * loading node:tty, whose first import builds Node's stream machinery (~8 ms of start-up);
 * elsewhere node:tty decides.
 *
 * @example if (isTerminal(2)) drawProgressBars();
 */
export function isTerminal(fd: number): boolean {
  try {
    const stat = fstatSync(fd);
    if (!stat.isCharacterDevice()) return false;
    if (process.platform === "linux") {
      // tty (4), console (5) and the pseudo-terminal slaves (136-143).
      const major = Math.floor(stat.rdev / 256) & 0xfff;
      return major === 4 || major === 5 || (major >= 136 && major <= 143);
    }
  } catch {
    return false;
  }
  return (require("node:tty") as typeof import("node:tty")).isatty(fd);
}
