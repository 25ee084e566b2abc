import type { ToolSpec } from "@loom/core";
import type { ProviderRecordingCase } from "../provider-checks.js";
import { chatExpectedBody, chatRequestFromBody, chatRequestShape } from "../recorded-requests.js";
import { recordingPath } from "../recording-path.js";
import { EXPECTED } from "./openai-chat.expected.js";
import {
  FAILURE_REQUEST_ID,
  malformedStreamEvent,
  rateLimited,
  streamErrorEvent,
  truncatedBody,
} from "./openai-chat-failures.js";
import { recordedCalls, userRequest } from "./recorded-calls.js";

const base = {
  basePath: "/v1",
  path: "/v1/chat/completions",
  requestShape: chatRequestShape,
  expectedBody: chatExpectedBody,
  providerOptionsKey: "openai",
} as const;
const file = (name: string) => recordingPath(`openai/${name}`);

const weatherTool: ToolSpec = {
  name: "get_weather",
  description: "The weather in a city.",
  inputSchema: {
    type: "object",
    properties: { city: { type: "string" }, country: { type: "string" }, units: { type: "string" } },
    required: ["city"],
  },
};
const stockTool: ToolSpec = {
  name: "get_stock_price",
  description: "The price of a stock.",
  inputSchema: {
    type: "object",
    properties: { ticker: { type: "string" }, exchange: { type: "string" } },
    required: ["ticker"],
  },
};

/**
 * Every recorded Chat Completions exchange (`POST /v1/chat/completions`) with what a provider
 * must make of it. For `providerConformance` with an OpenAI Chat Completions provider.
 */
export function openaiChatCases(): ProviderRecordingCase[] {
  const cases: Omit<ProviderRecordingCase, "recording">[] = [
    {
      ...base,
      name: "chat-stream-text.openai-python.sse",
      modelId: "gpt-4o",
      stream: true,
      calls: [{ request: userRequest("What's the weather like in SF?"), ...EXPECTED.streamText }],
    },
    {
      ...base,
      name: "chat-stream-tool-single.openai-python.sse",
      modelId: "gpt-4o",
      stream: true,
      calls: [
        {
          request: userRequest("What's the weather like in New York City?", { tools: [weatherTool] }),
          ...EXPECTED.streamToolSingle,
        },
      ],
    },
    {
      ...base,
      name: "chat-stream-tools-parallel.openai-python.sse",
      modelId: "gpt-4o",
      stream: true,
      calls: [
        {
          request: userRequest("What's the weather in Edinburgh, and AAPL's stock price?", {
            tools: [{ ...weatherTool, name: "GetWeatherArgs" }, stockTool],
          }),
          ...EXPECTED.streamToolsParallel,
        },
      ],
    },
    {
      ...base,
      name: "chat-stream-finish-length.openai-python.sse",
      modelId: "gpt-4o",
      stream: true,
      calls: [
        {
          request: userRequest("What's the weather like in SF?", { settings: { maxOutputTokens: 1 } }),
          ...EXPECTED.streamFinishLength,
        },
      ],
    },
    {
      ...base,
      name: "chat-stream-text-usage.vercel-ai.chunks.txt",
      modelId: "gpt-4.1-nano",
      stream: true,
      calls: [
        {
          request: userRequest("Invent a new holiday and describe its traditions."),
          ...EXPECTED.streamTextUsage,
        },
      ],
    },
    {
      ...base,
      name: "chat-stream-tool-then-text.pydantic-ai.yaml",
      modelId: "gpt-4o-mini",
      stream: true,
      calls: recordedCalls(
        file("chat-stream-tool-then-text.pydantic-ai.yaml"),
        chatRequestFromBody,
        EXPECTED.streamToolThenText,
      ),
    },
    {
      ...base,
      name: "chat-nonstream-text.vercel-ai.json",
      modelId: "gpt-4.1-nano",
      stream: false,
      calls: [
        {
          request: userRequest("Invent a new holiday and describe its traditions."),
          ...EXPECTED.nonstreamText,
        },
      ],
    },
    {
      ...base,
      name: "chat-nonstream-tool-chain.simonw-llm.yaml",
      modelId: "gpt-4o-mini",
      stream: false,
      calls: recordedCalls(
        file("chat-nonstream-tool-chain.simonw-llm.yaml"),
        chatRequestFromBody,
        EXPECTED.nonstreamToolChain,
      ),
    },
    {
      ...base,
      name: "chat-nonstream-tools-parallel.pydantic-ai.yaml",
      modelId: "gpt-4o",
      stream: false,
      calls: recordedCalls(
        file("chat-nonstream-tools-parallel.pydantic-ai.yaml"),
        chatRequestFromBody,
        EXPECTED.nonstreamToolsParallel,
      ),
    },
    {
      ...base,
      name: "chat-error-400-unsupported-parameter.vercel-ai.json",
      status: 400,
      modelId: "o3-mini",
      stream: true,
      calls: [
        { request: userRequest("Hello", { settings: { maxOutputTokens: 100 } }), ...EXPECTED.error400 },
      ],
    },
    {
      ...base,
      name: "chat-error-404-model-not-found.pydantic-ai.yaml",
      modelId: "gpt-5.2-proo",
      stream: false,
      calls: recordedCalls(
        file("chat-error-404-model-not-found.pydantic-ai.yaml"),
        chatRequestFromBody,
        EXPECTED.error404,
      ),
    },
  ];
  const weather = userRequest("What's the weather like in SF?");
  const failures: ProviderRecordingCase[] = [
    {
      ...base,
      name: "chat-stream-error-event (an error inside a 200 stream)",
      recording: [streamErrorEvent()],
      modelId: "gpt-4o",
      stream: true,
      calls: [
        {
          request: weather,
          error: {
            code: "server_error",
            retryable: true,
            requestId: FAILURE_REQUEST_ID,
            apiMessage: "The server had an error while processing your request. Sorry about that!",
          },
        },
      ],
    },
    {
      ...base,
      name: "chat-error-429-rate-limit (the wait named in the message)",
      recording: [rateLimited()],
      modelId: "gpt-4o",
      stream: true,
      calls: [
        {
          request: weather,
          error: {
            code: "rate_limited",
            status: 429,
            retryable: true,
            retryAfterMs: 1660,
            requestId: FAILURE_REQUEST_ID,
            apiMessage:
              "Rate limit reached for gpt-4o in organization org-loomconformance on tokens per min (TPM)",
          },
        },
      ],
    },
    {
      ...base,
      name: "chat-nonstream-truncated-body (a 200 whose JSON breaks off)",
      recording: [truncatedBody()],
      modelId: "gpt-4o",
      stream: false,
      calls: [{ request: weather, error: { code: "invalid_response", retryable: false } }],
    },
    {
      ...base,
      name: "chat-stream-malformed-event (a 200 stream event that is not JSON)",
      recording: [malformedStreamEvent()],
      modelId: "gpt-4o",
      stream: true,
      calls: [{ request: weather, error: { code: "invalid_response", retryable: false } }],
    },
  ];
  return [...cases.map((c) => ({ ...c, recording: file(c.name) })), ...failures];
}
