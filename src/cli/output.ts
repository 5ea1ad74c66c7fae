import kleur from "kleur";

/**
 * Where messages go: data on stdout, everything for humans on stderr. Colour only on a TTY,
 * never with NO_COLOR or in CI.
 */
const useColour =
  Boolean(process.stderr.isTTY) && process.env.NO_COLOR === undefined && !process.env.CI && process.env.TERM !== "dumb";
kleur.enabled = useColour;

export const colour = kleur;

/** A message for humans (stderr). */
export function info(message: string): void {
  process.stderr.write(`${message}\n`);
}

export function warn(message: string): void {
  process.stderr.write(`${kleur.yellow("warning:")} ${message}\n`);
}

/** The one-line failure a command ends with, plus a hint line when there is one. */
export function printError(message: string, hint?: string): void {
  process.stderr.write(`${kleur.red("error:")} ${message}\n`);
  if (hint) process.stderr.write(`${kleur.dim("hint:")} ${hint}\n`);
}

/** Data for scripts (stdout). */
export function data(text: string): void {
  process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
}

/** Data as one JSON document (stdout). */
export function json(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
