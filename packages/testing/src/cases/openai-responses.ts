import type { ModelRequest, ToolSpec } from "@loom/core";
import type { ProviderRecordingCase } from "../provider-checks.js";
import {
  responsesExpectedBody,
  responsesRequestFromBody,
  responsesRequestShape,
} from "../recorded-requests.js";
import { recordingPath } from "../recording-path.js";
import { EXPECTED } from "./openai-responses.expected.js";
import { recordedCalls, userRequest } from "./recorded-calls.js";

const base = {
  basePath: "/v1",
  path: "/v1/responses",
  requestShape: responsesRequestShape,
  expectedBody: responsesExpectedBody,
  providerOptionsKey: "openai",
} as const;
const file = (name: string) => recordingPath(`openai/${name}`);

const calculator: ToolSpec = {
  name: "calculator",
  description: "A minimal calculator for basic arithmetic. Call it once per step.",
  inputSchema: {
    type: "object",
    properties: {
      a: { type: "number", description: "First operand." },
      b: { type: "number", description: "Second operand." },
      op: {
        type: "string",
        enum: ["add", "subtract", "multiply", "divide"],
        description: "Arithmetic operation.",
      },
    },
    required: ["a", "b", "op"],
    additionalProperties: false,
  },
};

/**
 * The four turns of a reasoning model's calculator loop. The first answer holds an encrypted
 * reasoning item, which the later requests carry back (the recording was made with `store: false`).
 */
function calculatorTurns(): ModelRequest[] {
  const settings = {
    providerOptions: { openai: { store: false, reasoning: { effort: "high", summary: "detailed" } } },
  };
  const question: ModelRequest = {
    messages: [
      { role: "user", content: "What is (12 + 7) * 3 * 10? Use the calculator, one step per call." },
    ],
    tools: [calculator],
    settings,
  };
  const steps = [
    { id: "call_AB6AaRZ1FYZB2RwS6A5vbdqn", arguments: '{"a":12,"b":7,"op":"add"}', result: "19" },
    { id: "call_Q6pW65MUgW9vF59BmItYGos3", arguments: '{"a":19,"b":3,"op":"multiply"}', result: "57" },
    { id: "call_Zl5vIMnD7dVAjgU6FkhmiCZh", arguments: '{"a":57,"b":10,"op":"multiply"}', result: "570" },
  ];
  const reasoning = EXPECTED.streamReasoningToolsMultistep[0]?.response.message.reasoning ?? [];
  const requests: ModelRequest[] = [question];
  let messages = [...question.messages];
  for (const [i, step] of steps.entries()) {
    messages = [
      ...messages,
      {
        role: "assistant",
        content: "",
        toolCalls: [{ id: step.id, name: "calculator", arguments: step.arguments }],
        // The recorded reasoning item, as the provider returned it, goes back with the first call.
        ...(i === 0 ? { reasoning: reasoning.map((r) => ({ ...r, text: REASONING_SUMMARY })) } : {}),
      },
      { role: "tool", callId: step.id, name: "calculator", content: step.result },
    ];
    requests.push({ ...question, messages });
  }
  return requests;
}

const REASONING_SUMMARY =
  "**Calculating step-by-step using calculator**\n\nI'll compute 12 plus 7, then multiply the result by 3, and finally multiply that by 10, reporting the final product.";

/**
 * Every recorded Responses API exchange (`POST /v1/responses`) with what a provider must make of
 * it. For `providerConformance` with an OpenAI Responses provider.
 */
export function openaiResponsesCases(): ProviderRecordingCase[] {
  const turns = calculatorTurns();
  const cases: Omit<ProviderRecordingCase, "recording">[] = [
    {
      ...base,
      name: "responses-stream-tool-then-text.pydantic-ai.yaml",
      modelId: "gpt-4o",
      stream: true,
      calls: recordedCalls(
        file("responses-stream-tool-then-text.pydantic-ai.yaml"),
        responsesRequestFromBody,
        EXPECTED.streamToolThenText,
      ),
    },
    {
      ...base,
      name: "responses-stream-text.simonw-llm.yaml",
      modelId: "gpt-5.5",
      stream: true,
      calls: recordedCalls(
        file("responses-stream-text.simonw-llm.yaml"),
        responsesRequestFromBody,
        EXPECTED.streamText,
      ),
    },
    {
      ...base,
      name: "responses-stream-reasoning-tools-multistep.vercel-ai.chunks.txt",
      modelId: "gpt-5.1-codex-max",
      stream: true,
      calls: EXPECTED.streamReasoningToolsMultistep.map((expected, i) => ({
        request: turns[i]!,
        ...expected,
      })),
    },
    {
      ...base,
      name: "responses-nonstream-text.simonw-llm.yaml",
      modelId: "gpt-5.5",
      stream: false,
      calls: recordedCalls(
        file("responses-nonstream-text.simonw-llm.yaml"),
        responsesRequestFromBody,
        EXPECTED.nonstreamText,
      ),
    },
    {
      ...base,
      name: "responses-nonstream-tools-parallel.pydantic-ai.yaml",
      modelId: "gpt-4o",
      stream: false,
      calls: recordedCalls(
        file("responses-nonstream-tools-parallel.pydantic-ai.yaml"),
        responsesRequestFromBody,
        EXPECTED.nonstreamToolsParallel,
      ),
    },
    {
      ...base,
      name: "responses-stream-error-event.vercel-ai.chunks.txt",
      modelId: "gpt-5-nano",
      stream: true,
      calls: [{ request: userRequest("Hello"), ...EXPECTED.streamErrorEvent }],
    },
    {
      ...base,
      name: "responses-error-429-insufficient-quota.vercel-ai.json",
      status: 429,
      modelId: "gpt-5-nano",
      stream: false,
      calls: [{ request: userRequest("Hello"), ...EXPECTED.error429Quota }],
    },
    {
      ...base,
      name: "responses-error-400-invalid-value.pydantic-ai.yaml",
      modelId: "gpt-4o",
      stream: true,
      calls: recordedCalls(
        file("responses-error-400-invalid-value.pydantic-ai.yaml"),
        responsesRequestFromBody,
        EXPECTED.error400InvalidValue,
      ),
    },
    {
      ...base,
      name: "responses-error-400-model-not-found.pydantic-ai.yaml",
      modelId: "gpt-5.2-proo",
      stream: false,
      calls: recordedCalls(
        file("responses-error-400-model-not-found.pydantic-ai.yaml"),
        responsesRequestFromBody,
        EXPECTED.error400ModelNotFound,
      ),
    },
  ];
  return cases.map((c) => ({ ...c, recording: file(c.name) }));
}
