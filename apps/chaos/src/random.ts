import { seededRandom } from "@loom/testing";

/** A seeded generator (`seededRandom` from @loom/testing), so a failing trial can be replayed with LOOM_CHAOS_SEED. */
export const random = seededRandom;

/** A 32-bit seed made from text (FNV-1a): the same trial and name give the same choices in every process. */
export function seedOf(...parts: readonly (string | number)[]): number {
  let h = 0x811c9dc5;
  for (const ch of parts.join("|")) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The run's seed: LOOM_CHAOS_SEED when set (to replay a failure), else one from the clock. */
export function runSeed(): number {
  const fromEnv = process.env.LOOM_CHAOS_SEED;
  return fromEnv !== undefined && fromEnv !== "" ? Number(fromEnv) : Date.now() % 1_000_000;
}
