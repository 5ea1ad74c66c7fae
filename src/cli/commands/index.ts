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
 */
export const COMMANDS: ((cli: CAC) => void)[] = [
  registerPush,
  registerPull,
  registerCopy,
  registerTag,
  registerTags,
  registerCatalog,
  registerManifest,
  registerResolve,
  registerDelete,
  registerLogin,
  registerPackage,
  registerPackageRemote,
  registerDeps,
  registerBundle,
  registerSync,
  registerArgocd,
  registerArgocdPlugin,
  registerMigrate,
  registerServe,
  registerRegistryGc,
  registerRegistry,
  registerRegistryTest,
  registerSearch,
  registerCache,
];
