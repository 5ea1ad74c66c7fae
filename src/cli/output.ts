import { writeSync } from "node:fs";
import { isTerminal } from "./tty.ts";

/**
 * Where messages go: data on stdout, everything for humans on stderr. Colour only on a TTY,
 * never with NO_COLOR or in CI.
 *
 * Writes go straight to file descriptors 1 and 2: the first touch of process.stdout or
 * process.stderr builds Node's stream machinery (~8 ms of a small command's start-up), and a
 * CLI that writes whole lines and then exits gains nothing from it.
 */
const useColour = isTerminal(2) && process.env.NO_COLOR === undefined && !process.env.CI && process.env.TERM !== "dumb";

type Paint = (text: string) => string;
type Kleur = typeof import("kleur");
let kleur: Kleur | undefined;
/** kleur, loaded on first use: it reads process.stdout when it loads. */
function paint(style: "bold" | "dim" | "green" | "red" | "yellow"): Paint {
  return (text) => {
    if (!useColour) return text;
    kleur ??= require("kleur") as Kleur;
    kleur.enabled = true;
    return kleur[style](text);
  };
}

export const colour = { bold: paint("bold"), dim: paint("dim"), green: paint("green"), red: paint("red"), yellow: paint("yellow") };

/** Writes all of `data` to a file descriptor, waiting out a full pipe; a closed reader ends it quietly. */
export function writeFd(fd: 1 | 2, data: string | Uint8Array): void {
  const bytes = typeof data === "string" ? Buffer.from(data) : data;
  let offset = 0;
  while (offset < bytes.byteLength) {
    try {
      offset += writeSync(fd, bytes, offset);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EAGAIN") {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
        continue;
      }
      if (code === "EPIPE") return;
      throw error;
    }
  }
}

/** A message for humans (stderr). */
export function info(message: string): void {
  writeFd(2, `${message}\n`);
}

export function warn(message: string): void {
  writeFd(2, `${colour.yellow("warning:")} ${message}\n`);
}

/** The one-line failure a command ends with, plus a hint line when there is one. */
export function printError(message: string, hint?: string): void {
  writeFd(2, `${colour.red("error:")} ${message}\n${hint ? `${colour.dim("hint:")} ${hint}\n` : ""}`);
}

/** Data for scripts (stdout). */
export function data(text: string): void {
  writeFd(1, text.endsWith("\n") ? text : `${text}\n`);
}

/** Data as one JSON document (stdout). */
export function json(value: unknown): void {
  writeFd(1, `${JSON.stringify(value, null, 2)}\n`);
}
