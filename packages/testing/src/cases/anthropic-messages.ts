import type { ToolSpec } from "@loom/core";
import type { ProviderRecordingCase } from "../provider-checks.js";
import {
  anthropicExpectedBody,
  anthropicRequestFromBody,
  anthropicRequestShape,
} from "../recorded-requests.js";
import { recordingPath } from "../recording-path.js";
import { EXPECTED } from "./anthropic-messages.expected.js";
import { recordedCalls, userRequest } from "./recorded-calls.js";

const base = {
  basePath: "",
  path: "/v1/messages",
  requestShape: anthropicRequestShape,
  expectedBody: anthropicExpectedBody,
  providerOptionsKey: "anthropic",
} as const;
const file = (name: string) => recordingPath(`anthropic/${name}`);

const searchDocs: ToolSpec = {
  name: "searchDocs",
  description: "Search the documentation.",
  inputSchema: { type: "object", properties: { query: { type: "string" } }, required: ["query"] },
};
const noArgs: ToolSpec = {
  name: "getTime",
  description: "The current time.",
  inputSchema: { type: "object", properties: {} },
};

/**
 * Every recorded Messages API exchange (`POST /v1/messages`) with what a provider must make of it.
 * For `providerConformance` with an Anthropic provider.
 */
export function anthropicMessagesCases(): ProviderRecordingCase[] {
  const cases: Omit<ProviderRecordingCase, "recording">[] = [
    {
      ...base,
      name: "messages-stream-text.llm-anthropic.yaml",
      modelId: "claude-sonnet-4-6",
      stream: true,
      calls: recordedCalls(
        file("messages-stream-text.llm-anthropic.yaml"),
        anthropicRequestFromBody,
        EXPECTED.streamTextLlm,
      ),
    },
    {
      ...base,
      name: "messages-stream-text.vercel-ai.chunks.txt",
      modelId: "claude-sonnet-4-6",
      stream: true,
      calls: [{ request: userRequest("Hello, how are you?"), ...EXPECTED.streamTextVercel }],
    },
    {
      ...base,
      name: "messages-stream-tool-use-then-text.anthropic-sdk-python.json",
      modelId: "claude-haiku-4-5",
      stream: true,
      calls: recordedCalls(
        file("messages-stream-tool-use-then-text.anthropic-sdk-python.json"),
        anthropicRequestFromBody,
        EXPECTED.streamToolUseThenText,
      ),
    },
    {
      ...base,
      name: "messages-stream-text-and-tool-use-noargs.vercel-ai.chunks.txt",
      modelId: "claude-sonnet-4-6",
      stream: true,
      calls: [
        { request: userRequest("What time is it?", { tools: [noArgs] }), ...EXPECTED.streamToolNoArgs },
      ],
    },
    {
      ...base,
      name: "messages-stream-tools-parallel.vercel-ai.chunks.txt",
      modelId: "claude-sonnet-4-6",
      stream: true,
      calls: [
        {
          request: userRequest("Search the docs for alpha, beta and gamma.", { tools: [searchDocs] }),
          ...EXPECTED.streamToolsParallel,
        },
      ],
    },
    {
      ...base,
      name: "messages-stream-thinking.pydantic-ai.yaml",
      modelId: "claude-sonnet-4-0",
      stream: true,
      calls: recordedCalls(
        file("messages-stream-thinking.pydantic-ai.yaml"),
        anthropicRequestFromBody,
        EXPECTED.streamThinkingPydantic,
      ),
    },
    {
      ...base,
      name: "messages-stream-thinking.vercel-ai.chunks.txt",
      modelId: "claude-sonnet-4-6",
      stream: true,
      calls: [
        {
          request: userRequest("The previous result was 925. Divide it by 5.", {
            settings: {
              providerOptions: { anthropic: { thinking: { type: "enabled", budget_tokens: 1024 } } },
            },
          }),
          ...EXPECTED.streamThinkingVercel,
        },
      ],
    },
    {
      ...base,
      name: "messages-nonstream-text.vercel-ai.json",
      modelId: "claude-sonnet-4-6",
      stream: false,
      calls: [{ request: userRequest("Hello, how are you?"), ...EXPECTED.nonstreamText }],
    },
    {
      ...base,
      name: "messages-nonstream-thinking.vercel-ai.json",
      modelId: "claude-opus-5",
      stream: false,
      calls: [
        { request: userRequest("Find all roots of x^3 - 6x^2 + 11x - 6."), ...EXPECTED.nonstreamThinking },
      ],
    },
    {
      ...base,
      name: "messages-nonstream-tool-use-then-text.anthropic-sdk-python.json",
      modelId: "claude-haiku-4-5",
      stream: false,
      calls: recordedCalls(
        file("messages-nonstream-tool-use-then-text.anthropic-sdk-python.json"),
        anthropicRequestFromBody,
        EXPECTED.nonstreamToolUseThenText,
      ),
    },
    {
      ...base,
      name: "messages-nonstream-tools-parallel.pydantic-ai.yaml",
      modelId: "claude-haiku-4-5",
      stream: false,
      calls: recordedCalls(
        file("messages-nonstream-tools-parallel.pydantic-ai.yaml"),
        anthropicRequestFromBody,
        EXPECTED.nonstreamToolsParallel,
      ),
    },
    {
      ...base,
      // The first six exchanges: three tool loops on claude-sonnet-4-0, [2] with two parallel calls.
      name: "messages-nonstream-tool-runner.anthropic-sdk-typescript.nock.json",
      modelId: "claude-sonnet-4-0",
      stream: false,
      calls: recordedCalls(
        file("messages-nonstream-tool-runner.anthropic-sdk-typescript.nock.json"),
        anthropicRequestFromBody,
        EXPECTED.nonstreamToolRunner,
      ),
    },
    {
      ...base,
      name: "messages-error-429-429-then-200.anthropic-sdk-python.json",
      modelId: "claude-sonnet-4-6",
      stream: false,
      calls: recordedCalls(
        file("messages-error-429-429-then-200.anthropic-sdk-python.json"),
        anthropicRequestFromBody,
        EXPECTED.error429Then200,
      ),
    },
    {
      ...base,
      name: "messages-error-400-tool-result-mismatch.anthropic-sdk-python.json",
      modelId: "claude-haiku-4-5",
      stream: false,
      calls: recordedCalls(
        file("messages-error-400-tool-result-mismatch.anthropic-sdk-python.json"),
        anthropicRequestFromBody,
        EXPECTED.error400ToolResultMismatch,
      ),
    },
    {
      ...base,
      name: "messages-error-404-model-not-found.pydantic-ai.yaml",
      modelId: "claude-sonet-4-5",
      stream: false,
      calls: recordedCalls(
        file("messages-error-404-model-not-found.pydantic-ai.yaml"),
        anthropicRequestFromBody,
        EXPECTED.error404,
      ),
    },
  ];
  return cases.map((c) => ({ ...c, recording: file(c.name) }));
}
