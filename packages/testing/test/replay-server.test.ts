import { describe, expect, it } from "vitest";
import { loadRecording, recordingPath, startReplayServer } from "../src/index.js";

const post = (url: string, body: unknown) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

describe("loadRecording", () => {
  it("frames Chat Completions chunk files as data lines ending in [DONE]", () => {
    const { exchanges } = loadRecording(recordingPath("openai/chat-stream-text-usage.vercel-ai.chunks.txt"));
    expect(exchanges).toHaveLength(1);
    const body = exchanges[0]!.response.body;
    expect(body.startsWith('data: {"id":"chatcmpl-')).toBe(true);
    expect(body.endsWith("data: [DONE]\n\n")).toBe(true);
    expect(body.split("\n\n").filter(Boolean)).toHaveLength(304);
  });

  it("splits concatenated Responses streams at each response.created, with event lines", () => {
    const { exchanges } = loadRecording(
      recordingPath("openai/responses-stream-reasoning-tools-multistep.vercel-ai.chunks.txt"),
    );
    expect(exchanges).toHaveLength(4);
    for (const exchange of exchanges) {
      expect(exchange.response.body.startsWith("event: response.created\ndata: ")).toBe(true);
      expect(exchange.response.body).toContain("event: response.completed\n");
      expect(exchange.response.body).not.toContain("[DONE]");
    }
  });

  it("keeps Anthropic's padding in chunk files and names each event", () => {
    const { exchanges } = loadRecording(
      recordingPath("anthropic/messages-stream-tools-parallel.vercel-ai.chunks.txt"),
    );
    expect(exchanges[0]!.response.body).toContain('event: ping\ndata: {"type": "ping"}\n\n');
  });

  it("gunzips VCR bodies and keeps their status, headers and request", () => {
    const { exchanges } = loadRecording(recordingPath("openai/chat-nonstream-tool-chain.simonw-llm.yaml"));
    expect(exchanges).toHaveLength(3);
    expect(JSON.parse(exchanges[2]!.response.body).choices[0].message.content).toBe("YES");
    expect(exchanges[0]!.response.headers["content-encoding"]).toBeUndefined();
    expect(exchanges[0]!.request).toMatchObject({ method: "POST", path: "/v1/chat/completions" });
  });

  it("gives a body-only error file the status the real API uses", () => {
    const quota = loadRecording(
      recordingPath("openai/responses-error-429-insufficient-quota.vercel-ai.json"),
    );
    expect(quota.exchanges[0]!.response.status).toBe(429);
    const param = loadRecording(recordingPath("openai/chat-error-400-unsupported-parameter.vercel-ai.json"));
    expect(param.exchanges[0]!.response.status).toBe(400);
    expect(
      loadRecording(recordingPath("anthropic/messages-nonstream-text.vercel-ai.json")).exchanges[0]!.response
        .status,
    ).toBe(200);
  });

  it("says what is wrong with a file it cannot read", () => {
    expect(() => loadRecording(recordingPath("README.md"))).toThrow(/unknown format/);
  });
});

describe("startReplayServer", () => {
  it("serves the exchanges in order, records each request, and says when it has none left", async () => {
    const server = await startReplayServer(
      loadRecording(recordingPath("openai/chat-nonstream-tools-parallel.pydantic-ai.yaml")),
    );
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const first = await post(`${server.url}/v1/chat/completions`, { turn: 1 });
      expect(
        ((await first.json()) as { choices: { finish_reason: string }[] }).choices[0]?.finish_reason,
      ).toBe("tool_calls");
      const second = await post(`${server.url}/v1/chat/completions`, { turn: 2 });
      expect(
        ((await second.json()) as { choices: { finish_reason: string }[] }).choices[0]?.finish_reason,
      ).toBe("stop");
      expect(server.remaining).toBe(0);
      const third = await post(`${server.url}/v1/chat/completions`, { turn: 3 });
      expect(third.status).toBe(500);
      expect(await third.text()).toContain("all served");
      expect(server.calls.map((c) => [c.method, c.path, c.body])).toEqual([
        ["POST", "/v1/chat/completions", { turn: 1 }],
        ["POST", "/v1/chat/completions", { turn: 2 }],
        ["POST", "/v1/chat/completions", { turn: 3 }],
      ]);
    } finally {
      await server.close();
    }
  });

  it("sends a recorded stream byte for byte", async () => {
    const recording = loadRecording(recordingPath("anthropic/messages-stream-thinking.pydantic-ai.yaml"));
    const server = await startReplayServer(recording);
    try {
      const response = await post(`${server.url}/v1/messages`, {});
      expect(response.headers.get("content-type")).toContain("text/event-stream");
      expect(await response.text()).toBe(recording.exchanges[0]!.response.body);
    } finally {
      await server.close();
    }
  });

  it("can hold a request unanswered, and close with it open", async () => {
    const server = await startReplayServer([], { hold: true });
    const pending = post(server.url, { q: 1 }).catch((error: unknown) => error);
    await server.waitForCalls(1);
    expect(server.calls[0]?.body).toEqual({ q: 1 });
    await server.close();
    expect(await pending).toBeInstanceOf(Error);
  });

  it("can cut a stream after some events", async () => {
    const recording = loadRecording(recordingPath("openai/chat-stream-text.openai-python.sse"));
    const server = await startReplayServer(recording, { cutAfterEvents: 2 });
    try {
      const response = await post(server.url, {});
      await expect(response.text()).rejects.toThrow();
    } finally {
      await server.close();
    }
  });
});
