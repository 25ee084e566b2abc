import { createRequire } from "node:module";
import { ConfigError, type Tokenizer } from "@loom/core";

/** Models that use the older cl100k_base encoding; everything newer uses o200k_base. */
const CL100K = /^(gpt-4(?!o|\.\d|-?o)|gpt-3\.5|text-embedding-(ada|3))/;

type CountTokens = (text: string) => number;

/**
 * `gpt-tokenizer` is an optional peer dependency (30 MB of encodings), loaded here, the first time
 * a tokenizer is asked for, never on import. Required synchronously (it ships CommonJS), so
 * `openaiTokenizer()` stays synchronous in ESM and CJS alike.
 */
function loadEncoding(encoding: "cl100k_base" | "o200k_base"): CountTokens {
  // import.meta.url is shimmed in the CJS build (tsup shims).
  const require = createRequire(import.meta.url);
  try {
    return (require(`gpt-tokenizer/encoding/${encoding}`) as { countTokens: CountTokens }).countTokens;
  } catch (error) {
    if ((error as { code?: unknown }).code !== "MODULE_NOT_FOUND") throw error;
    throw new ConfigError(
      'openaiTokenizer() needs the "gpt-tokenizer" package, an optional peer dependency of @loom/providers-openai: npm install gpt-tokenizer@^4',
    );
  }
}

/**
 * A real tokenizer for OpenAI models (via `gpt-tokenizer`, installed next to this package), for
 * `createAgent({ tokenizer })`, so context assembly counts what the model will count: o200k_base
 * for GPT-4o, GPT-4.1, GPT-5 and the o-series; cl100k_base for GPT-4 and GPT-3.5. Throws a
 * `ConfigError` naming the install command when `gpt-tokenizer` is not installed.
 */
export function openaiTokenizer(model = "gpt-4o"): Tokenizer {
  const name = CL100K.test(model) ? "cl100k_base" : "o200k_base";
  const count = loadEncoding(name);
  return { name, count: (text) => count(text) };
}
