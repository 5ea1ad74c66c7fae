/**
 * Files in and out of layers: reproducible packing (packLayer, packLayerToFile) and safe
 * extraction (extract).
 */
export { packLayer, packLayerToFile, type PackOptions, type PackedLayer } from "./layer.ts";
export { extract, DEFAULT_MAX_EXTRACT_BYTES, type ExtractOptions, type ExtractResult } from "./extract.ts";
export type { PackSource } from "./walk.ts";
