/** Mulberry32: a small seeded generator, so a failing trial can be replayed with LOOM_CHAOS_SEED. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
