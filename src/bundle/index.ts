/**
 * Air-gap bundles: one tar holding an OCI image layout with packages, their dependency
 * closure, their referrers and optionally the images they run.
 *
 * @example
 * const plan = await planBundle(["127.0.0.1:5000/examples/app-catalog:0.3.0"], index, { registry: "127.0.0.1:5000" });
 * await createBundle(plan, "platform.tar", { index, requested, tool: "idp 0.1.0" });
 * await importBundle(await openBundle("platform.tar"), parseDestination("registry.local:5000/mirror"));
 */
export { createBundle, partialDir, type CreateOptions, type CreateResult } from "./create.ts";
export { destinationRepository, formatDestination, parseDestination, type Destination } from "./destination.ts";
export { BundleAnnotation, summarize, type BundleEntry, type BundleSummary, type Note, type Role } from "./entries.ts";
export { importBundle, planImport, type ImportOptions, type ImportResult } from "./import.ts";
export { inspectBundle, type BundleInspection } from "./inspect.ts";
export { openBundle, type OpenedBundle } from "./open.ts";
export { planBundle, type Plan, type PlanItem, type PlanOptions } from "./plan.ts";
export { verifyBundle, type BundleVerification } from "./verify.ts";
export { parsePlatform, formatPlatform, type Platform } from "./images/platform.ts";
