import type { Tokenizer } from "@loom/core";
import { countTokens as cl100k } from "gpt-tokenizer/encoding/cl100k_base";
import { countTokens as o200k } from "gpt-tokenizer/encoding/o200k_base";

/** Models that use the older cl100k_base encoding; everything newer uses o200k_base. */
const CL100K = /^(gpt-4(?!o|\.\d|-?o)|gpt-3\.5|text-embedding-(ada|3))/;

/**
 * A real tokenizer for OpenAI models (via `gpt-tokenizer`), for `createAgent({ tokenizer })`, so
 * context assembly counts what the model will count: o200k_base for GPT-4o, GPT-4.1, GPT-5 and the
 * o-series; cl100k_base for GPT-4 and GPT-3.5.
 */
export function openaiTokenizer(model = "gpt-4o"): Tokenizer {
  const old = CL100K.test(model);
  return { name: old ? "cl100k_base" : "o200k_base", count: (text) => (old ? cl100k(text) : o200k(text)) };
}
