import type { CAC } from "cac";
import { registerRegistryGc } from "./registry-gc.ts";
import { registerServe } from "./serve.ts";

/**
 * Every command, one registration function per file. Keep each file light: it declares the
 * command (name, options, examples) and imports its implementation inside the action, so
 * `idp --version` loads none of them.
 *
 * Multi-word commands (`manifest get`, `registry gc`) are registered under their full name;
 * main.ts joins the two words of argv before cac matches them.
 */
export const COMMANDS: ((cli: CAC) => void)[] = [registerServe, registerRegistryGc];
