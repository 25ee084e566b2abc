import { readFileSync } from "node:fs";
import { createAnthropic } from "@ai-sdk/anthropic";
import { createOpenAI } from "@ai-sdk/openai";
import type { ModelRequest, ModelSettings } from "@loom/core";
import {
  anthropicMessagesCases,
  type ExpectedCall,
  openaiChatCases,
  openaiResponsesCases,
  type ProviderRecordingCase,
  providerConformance,
} from "@loom/testing/vitest";
import { fromAiSdk } from "../src/index.js";

/*
 * The native providers' recorded cases, run through @ai-sdk/anthropic and @ai-sdk/openai models.
 * The recordings, the conversations and the expected parts are the same. What differs is said
 * here, case data only (the kit is unchanged), each for a reason of the AI SDK:
 *
 * 1. Provider options. A native provider merges `providerOptions.<api>` into the body as is; an AI
 *    SDK model reads its own options (camelCase, validated). A recorded body's extra keys are
 *    translated (`thinking.budget_tokens` -> `budgetTokens`, `reasoning.effort` ->
 *    `reasoningEffort`, ...); a key the AI SDK has no option for (Anthropic's `output_config`,
 *    `metadata` other than `user_id`) is left out of the request comparison and named in UNSENT.
 * 2. Anthropic's `max_tokens`: the AI SDK adds the thinking budget to `maxOutputTokens` (its
 *    maxOutputTokens counts text only), so the translated request asks for the recorded
 *    `max_tokens` minus the budget, and the AI SDK sends the recorded value.
 * 3. Chat Completions: the AI SDK sends `max_tokens` for a model that does not reason (the native
 *    provider `max_completion_tokens`), and reports a cached-token count of 0 where the API sent
 *    none (`prompt_tokens_details?.cached_tokens ?? 0`), so usage has `cachedInputTokens: 0`.
 * 4. Responses: the AI SDK drops `temperature` for reasoning models (with a warning, which the
 *    adapter keeps), asks for a `detailed` reasoning summary unless told (`reasoningSummary:
 *    null` when the recording asked for none), reports no raw finish reason for a completed
 *    response, and keeps a reasoning item's encrypted content from `output_item.done` (the
 *    native provider keeps `response.completed`'s; the API re-encrypts between the two).
 * 5. Request bodies: the AI SDK's prompt holds tool arguments parsed, so it sends them
 *    re-serialized (`{"a":1}` for a recorded `{"a": 1}`): arguments are compared as JSON. Its
 *    Anthropic tools carry `eager_input_streaming: true` (fine-grained tool streaming).
 */

type Json = Record<string, unknown>;
const obj = (value: unknown): Json => (typeof value === "object" && value !== null ? (value as Json) : {});

/** Body keys an AI SDK model has no option for: not sent, so not compared. */
const UNSENT: Readonly<Record<string, readonly string[]>> = {
  anthropic: ["output_config", "metadata", "user"],
  openai: [],
};

/** A native provider's `providerOptions.<api>` (body keys) as the AI SDK's options for that API. */
function translateOptions(api: "anthropic" | "openai", native: Json): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(native)) {
    if (api === "anthropic" && key === "thinking") {
      const t = obj(value);
      out.thinking = {
        type: t.type,
        ...(t.budget_tokens !== undefined ? { budgetTokens: t.budget_tokens } : {}),
      };
    } else if (api === "openai" && key === "reasoning") {
      const r = obj(value);
      if (r.effort !== undefined) out.reasoningEffort = r.effort;
      out.reasoningSummary = r.summary ?? null;
    } else if (api === "openai" && key === "parallel_tool_calls") out.parallelToolCalls = value;
    else if (!UNSENT[api]!.includes(key)) out[key] = value;
  }
  return out;
}

/** The thinking budget of native (`budget_tokens`) or AI SDK (`budgetTokens`) options. */
const thinkingBudget = (settings: ModelSettings): number => {
  const thinking = obj(obj(settings.providerOptions?.anthropic).thinking);
  const budget = thinking.budget_tokens ?? thinking.budgetTokens;
  return thinking.type === "enabled" && typeof budget === "number" ? budget : 0;
};

function translateRequest(api: "anthropic" | "openai", request: ModelRequest): ModelRequest {
  const native = obj(request.settings.providerOptions?.[api]);
  const { providerOptions: _native, ...settings } = request.settings;
  const options = translateOptions(api, native);
  const budget = thinkingBudget(request.settings);
  return {
    ...request,
    settings: {
      ...settings,
      ...(settings.maxOutputTokens !== undefined && budget > 0
        ? { maxOutputTokens: settings.maxOutputTokens - budget }
        : {}),
      ...(Object.keys(options).length > 0 ? { providerOptions: { [api]: options } } : {}),
    },
  };
}

const isReasoningModel = (modelId: string) => /^(o\d|gpt-5)/.test(modelId) && !modelId.includes("chat");

/** What the AI SDK sends for a Loom request's settings, per API (see 1-4 above). */
function aiSdkExpectedBody(kind: "anthropic" | "chat" | "responses", modelId: string) {
  return (request: ModelRequest, stream: boolean): Json => {
    const api = kind === "anthropic" ? "anthropic" : "openai";
    const { maxOutputTokens, temperature } = request.settings;
    const options = obj(request.settings.providerOptions?.[api]);
    const budget = thinkingBudget(request.settings);
    const maxKey =
      kind === "anthropic"
        ? "max_tokens"
        : kind === "responses"
          ? "max_output_tokens"
          : isReasoningModel(modelId)
            ? "max_completion_tokens"
            : "max_tokens";
    const sendsTemperature = kind !== "responses" || !isReasoningModel(modelId);
    return {
      ...(stream ? { stream: true } : {}),
      ...(stream && kind === "chat" ? { stream_options: { include_usage: true } } : {}),
      ...(maxOutputTokens !== undefined ? { [maxKey]: maxOutputTokens + budget } : {}),
      ...(temperature !== undefined && sendsTemperature ? { temperature } : {}),
      ...(kind !== "anthropic" && options.user !== undefined ? { user: options.user } : {}),
      ...(kind !== "anthropic" && options.metadata !== undefined ? { metadata: options.metadata } : {}),
    };
  };
}

function parsedJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Each reasoning item's encrypted content as `response.output_item.done` has it, by item id. */
function encryptedContentAtItemDone(recording: ProviderRecordingCase["recording"]): Map<string, string> {
  const byId = new Map<string, string>();
  if (typeof recording !== "string" || !recording.endsWith(".chunks.txt")) return byId;
  for (const line of readFileSync(recording, "utf8").split("\n")) {
    if (!line.includes("response.output_item.done")) continue;
    const item = obj(obj(JSON.parse(line)).item);
    if (item.type === "reasoning" && typeof item.encrypted_content === "string")
      byId.set(String(item.id), item.encrypted_content);
  }
  return byId;
}

function aiSdkCases(
  kind: "anthropic" | "chat" | "responses",
  cases: readonly ProviderRecordingCase[],
): ProviderRecordingCase[] {
  const api = kind === "anthropic" ? "anthropic" : "openai";
  return cases.map((testCase) => {
    const nativeShape = testCase.requestShape;
    const itemDone =
      kind === "responses" ? encryptedContentAtItemDone(testCase.recording) : new Map<string, string>();
    const calls = testCase.calls.map((call): ExpectedCall => {
      const response = call.response;
      if (!response) return { ...call, request: translateRequest(api, call.request) };
      return {
        ...call,
        request: translateRequest(api, call.request),
        response: {
          ...response,
          message: {
            ...response.message,
            ...(response.message.reasoning
              ? {
                  reasoning: response.message.reasoning.map((part) =>
                    part.id !== undefined && itemDone.has(part.id)
                      ? { ...part, encryptedContent: itemDone.get(part.id)! }
                      : part,
                  ),
                }
              : {}),
          },
          usage:
            kind === "chat"
              ? { ...response.usage, cachedInputTokens: response.usage.cachedInputTokens ?? 0 }
              : response.usage,
          finishReason:
            kind === "responses" && response.finishReason.raw === "completed"
              ? { unified: response.finishReason.unified }
              : response.finishReason,
        },
      };
    });
    return {
      ...testCase,
      calls,
      expectedBody: aiSdkExpectedBody(kind, testCase.modelId),
      ...(nativeShape
        ? {
            requestShape: (body: unknown) => {
              const shape = obj(nativeShape(body));
              for (const key of UNSENT[api]!) delete shape[key];
              return JSON.parse(JSON.stringify(shape), (key, value: unknown) => {
                if (key === "arguments" && typeof value === "string") return parsedJson(value);
                if (typeof value === "object" && value !== null && "eager_input_streaming" in value) {
                  const { eager_input_streaming: _eager, ...rest } = value as Json;
                  return rest;
                }
                return value;
              }) as unknown;
            },
          }
        : {}),
    };
  });
}

providerConformance(
  "ai-sdk: @ai-sdk/anthropic messages",
  ({ baseURL, modelId, stream, apiKey, timeoutMs }) =>
    fromAiSdk(createAnthropic({ baseURL: `${baseURL}/v1`, apiKey })(modelId), { stream, timeoutMs }),
  aiSdkCases("anthropic", anthropicMessagesCases()),
);

providerConformance(
  "ai-sdk: @ai-sdk/openai chat",
  ({ baseURL, modelId, stream, apiKey, timeoutMs }) =>
    fromAiSdk(createOpenAI({ baseURL, apiKey }).chat(modelId), { stream, timeoutMs }),
  aiSdkCases("chat", openaiChatCases()),
);

providerConformance(
  "ai-sdk: @ai-sdk/openai responses",
  ({ baseURL, modelId, stream, apiKey, timeoutMs }) =>
    fromAiSdk(createOpenAI({ baseURL, apiKey }).responses(modelId), { stream, timeoutMs }),
  aiSdkCases("responses", openaiResponsesCases()),
);
