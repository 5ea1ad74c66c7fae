import { MemoryStore } from "../../src/content/memory/index.ts";
import { runTargetContract } from "./contract.ts";

runTargetContract("memory", async () => ({ target: new MemoryStore(), cleanup: async () => {} }));
