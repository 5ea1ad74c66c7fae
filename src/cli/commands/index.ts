import type { CAC } from "cac";

/**
 * Every command, one registration function per file, loaded only when argv names it (their
 * help texts are most of the CLI's code: a pull need not load the other sixty). Keep each
 * file light: it declares the command (name, options, examples) and imports its
 * implementation inside the action.
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
  /** Loads the file and returns its registration function. */
  load: () => Promise<(cli: CAC) => void>;
}

export const COMMANDS: readonly CommandEntry[] = [
  { words: ["push"], load: () => import("./push.ts").then((m) => m.registerPush) },
  { words: ["pull"], load: () => import("./pull.ts").then((m) => m.registerPull) },
  { words: ["copy"], load: () => import("./copy.ts").then((m) => m.registerCopy) },
  { words: ["tag"], load: () => import("./tag.ts").then((m) => m.registerTag) },
  { words: ["tags"], load: () => import("./tags.ts").then((m) => m.registerTags) },
  { words: ["catalog"], load: () => import("./catalog.ts").then((m) => m.registerCatalog) },
  { words: ["manifest"], load: () => import("./manifest.ts").then((m) => m.registerManifest) },
  { words: ["resolve"], load: () => import("./resolve.ts").then((m) => m.registerResolve) },
  { words: ["delete"], load: () => import("./delete.ts").then((m) => m.registerDelete) },
  { words: ["login", "logout"], load: () => import("./login.ts").then((m) => m.registerLogin) },
  { words: ["package"], load: () => import("./package.ts").then((m) => m.registerPackage) },
  { words: ["package"], load: () => import("./package-remote.ts").then((m) => m.registerPackageRemote) },
  { words: ["deps"], load: () => import("./deps.ts").then((m) => m.registerDeps) },
  { words: ["bundle"], load: () => import("./bundle.ts").then((m) => m.registerBundle) },
  { words: ["sync"], load: () => import("./sync.ts").then((m) => m.registerSync) },
  { words: ["argocd"], load: () => import("./argocd.ts").then((m) => m.registerArgocd) },
  { words: ["argocd"], load: () => import("./argocd-plugin.ts").then((m) => m.registerArgocdPlugin) },
  { words: ["migrate"], load: () => import("./migrate.ts").then((m) => m.registerMigrate) },
  { words: ["serve"], load: () => import("./serve.ts").then((m) => m.registerServe) },
  { words: ["registry"], load: () => import("./registry-gc.ts").then((m) => m.registerRegistryGc) },
  { words: ["registry"], load: () => import("./registry.ts").then((m) => m.registerRegistry) },
  { words: ["registry"], load: () => import("./registry-test.ts").then((m) => m.registerRegistryTest) },
  { words: ["search", "index"], load: () => import("./search.ts").then((m) => m.registerSearch) },
  { words: ["cache"], load: () => import("./cache.ts").then((m) => m.registerCache) },
];
