import { afterAll } from "bun:test";
import { removeLeftoverTempDirs } from "./idp.ts";

/**
 * Preloaded by bun test (bunfig.toml): temporary directories made with tempDir() that a test
 * left behind are removed once the test files are done, so repeated runs do not fill /tmp.
 */
afterAll(() => removeLeftoverTempDirs());
