const cache = new Map<string, string>();
const CACHE_LIMIT = 256;
/** Longer texts are hashed each time rather than kept alive by the cache. */
const CACHED_LENGTH = 256 * 1024;
const encoder = new TextEncoder();

/**
 * The address of a text in the journal: the first 128 bits of its SHA-256, as 32 hex digits.
 * SHA-256, not a fast non-cryptographic hash: component texts can come from outside (a retrieved
 * web page), and a crafted collision must not make a resumed run send another text. Recently hashed
 * texts are remembered, so a system prompt sent every iteration is hashed once.
 */
export async function contentHash(text: string): Promise<string> {
  const known = cache.get(text);
  if (known !== undefined) return known;
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", encoder.encode(text)));
  let hex = "";
  for (let i = 0; i < 16; i++) hex += digest[i]!.toString(16).padStart(2, "0");
  if (text.length <= CACHED_LENGTH) {
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
    cache.set(text, hex);
  }
  return hex;
}

/**
 * Content addresses of texts bound for the journal: each one's hash, and whether the journal still
 * needs the text itself, which is only the first time the thread sees it (`known`: the texts it
 * holds; a text twice in `texts` is needed once).
 */
export async function addressTexts(
  texts: readonly string[],
  known: ReadonlyMap<string, string>,
): Promise<{ hash: string; first: boolean }[]> {
  const fresh = new Set<string>();
  const out: { hash: string; first: boolean }[] = [];
  for (const text of texts) {
    const hash = await contentHash(text);
    out.push({ hash, first: !known.has(hash) && !fresh.has(hash) });
    fresh.add(hash);
  }
  return out;
}
