import type { CAC } from "cac";
import { registerArgocd } from "./argocd.ts";
import { registerArgocdPlugin } from "./argocd-plugin.ts";
import { registerBundle } from "./bundle.ts";
import { registerCache } from "./cache.ts";
import { registerCatalog } from "./catalog.ts";
import { registerCopy } from "./copy.ts";
import { registerDelete } from "./delete.ts";
import { registerDeps } from "./deps.ts";
import { registerLogin } from "./login.ts";
import { registerManifest } from "./manifest.ts";
import { registerMigrate } from "./migrate.ts";
import { registerPackage } from "./package.ts";
import { registerPackageRemote } from "./package-remote.ts";
import { registerPull } from "./pull.ts";
import { registerPush } from "./push.ts";
import { registerRegistry } from "./registry.ts";
import { registerRegistryGc } from "./registry-gc.ts";
import { registerRegistryTest } from "./registry-test.ts";
import { registerResolve } from "./resolve.ts";
import { registerSearch } from "./search.ts";
import { registerServe } from "./serve.ts";
import { registerSync } from "./sync.ts";
import { registerTag } from "./tag.ts";
import { registerTags } from "./tags.ts";

/**
 * Every command, one registration function per file. Keep each file light: it declares the
 * command (name, options, examples) and imports its implementation inside the action, so
 * `idp --version` loads none of them.
 *
 * Multi-word commands (`manifest get`, `registry gc`) are registered under their full name;
 * main.ts joins the two words of argv before cac matches them.
 *
 * `words` are the first words of the commands a function registers: main.ts registers only
 * the functions whose words include argv's first word (cac tries every registered command in
 * turn, so a small command does not pay for sixty), and all of them for help or an unknown
 * word. test/cli/commands.test.ts checks the words against what each function registers.
 */
export interface CommandEntry {
  words: readonly string[];
  register: (cli: CAC) => void;
}

export const COMMANDS: readonly CommandEntry[] = [
  { words: ["push"], register: registerPush },
  { words: ["pull"], register: registerPull },
  { words: ["copy"], register: registerCopy },
  { words: ["tag"], register: registerTag },
  { words: ["tags"], register: registerTags },
  { words: ["catalog"], register: registerCatalog },
  { words: ["manifest"], register: registerManifest },
  { words: ["resolve"], register: registerResolve },
  { words: ["delete"], register: registerDelete },
  { words: ["login", "logout"], register: registerLogin },
  { words: ["package"], register: registerPackage },
  { words: ["package"], register: registerPackageRemote },
  { words: ["deps"], register: registerDeps },
  { words: ["bundle"], register: registerBundle },
  { words: ["sync"], register: registerSync },
  { words: ["argocd"], register: registerArgocd },
  { words: ["argocd"], register: registerArgocdPlugin },
  { words: ["migrate"], register: registerMigrate },
  { words: ["serve"], register: registerServe },
  { words: ["registry"], register: registerRegistryGc },
  { words: ["registry"], register: registerRegistry },
  { words: ["registry"], register: registerRegistryTest },
  { words: ["search", "index"], register: registerSearch },
  { words: ["cache"], register: registerCache },
];
