import type { ModelRequest } from "@loom/core";
import type { ExpectedCall, ExpectedError, ExpectedResponse } from "../provider-checks.js";
import { loadRecording } from "../recording.js";

export type Expectation = { readonly response: ExpectedResponse } | { readonly error: ExpectedError };

/** The calls of a recording that kept its requests: each recorded body read back as a Loom request. */
export function recordedCalls(
  file: string,
  toRequest: (body: unknown) => ModelRequest,
  expectations: readonly Expectation[],
): ExpectedCall[] {
  const { exchanges } = loadRecording(file);
  return expectations.map((expectation, i) => {
    const body = exchanges[i]?.request?.body;
    if (body === undefined) throw new Error(`${file}: exchange ${i} has no recorded request body`);
    return { request: toRequest(body), ...expectation };
  });
}

export const userRequest = (text: string, extra: Partial<ModelRequest> = {}): ModelRequest => ({
  messages: [{ role: "user", content: text }],
  tools: [],
  settings: {},
  ...extra,
});
