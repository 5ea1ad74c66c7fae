/**
 * Registries as configuration: `registries.yaml` (named registries, their providers, TLS,
 * credential references, namespaces and mirrors), the reference syntax that names them
 * (`NAME/repo:tag`), and opening repositories with all of it applied.
 *
 * @example
 * const { text } = await expandNamedReference("corp/app:v1"); // "harbor.example.com/platform/app:v1"
 * const repo = await openConfiguredRepository(parseRegistryReference(text), {});
 */
export { loadRegistries, readRegistriesFile, registriesPaths, type NamedEntry, type RegistriesConfig } from "./file.ts";
export { changeRegistries, type RegistriesChange } from "./edit.ts";
export { expandReference, requireRegistry, resolveRegistry, type ExpandedReference, type ResolvedRegistry } from "./resolve.ts";
export { registryContext } from "./context.ts";
export { openConfiguredRepository, type ConfiguredTarget } from "./open.ts";
export { describeCredentials } from "./credentials.ts";
export { MirroredTarget } from "./mirrors.ts";
export { PROVIDER_KINDS, RegistryEntrySchema, RegistriesFileSchema, parseRegistryUrl, type ProviderKind, type RegistryEntry } from "./schema.ts";
export { expandNamedReference, registryHost } from "./lookup.ts";
