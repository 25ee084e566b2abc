import { createAgent, MemoryJournal, readAll } from "@loom/core";
import { loadRecording, recordingPath, startReplayServer } from "@loom/testing";
import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { createAnthropicProvider } from "../src/index.js";

const OrderDetails = z.object({
  items: z.array(z.object({ product_name: z.string(), price: z.number(), quantity: z.number().int() })),
  total: z.number(),
});

describe("structured output on the Messages API (output_config.format)", () => {
  it("a recorded answer (after two recorded 429s) comes back typed; the schema was sent as output_config.format", async () => {
    const server = await startReplayServer(
      loadRecording(recordingPath("anthropic/messages-error-429-429-then-200.anthropic-sdk-python.json")),
    );
    try {
      const journal = new MemoryJournal();
      const agent = createAgent({
        provider: createAnthropicProvider({
          model: "claude-sonnet-4-6",
          apiKey: "k",
          baseURL: server.url,
          stream: false,
        }),
        output: OrderDetails,
        journal,
        retry: { maxRetries: 2, initialDelayMs: 1, maxDelayMs: 1 },
      });
      const result = await agent.run(
        "Extract order: 2 Green Tea at $5.50 and 1 Coffee at $3.00. Total $14.",
        {
          threadId: "t",
        },
      );
      if (result.status !== "completed" || result.refusal !== undefined) throw new Error("not completed");
      expectTypeOf(result.output.total).toEqualTypeOf<number>();
      expect(result.output).toEqual({
        items: [
          { product_name: "Green Tea", price: 5.5, quantity: 2 },
          { product_name: "Coffee", price: 3, quantity: 1 },
        ],
        total: 14,
      });
      const body = server.calls[2]?.body as Record<string, unknown>;
      const { $schema: _ignored, ...schema } = z.toJSONSchema(OrderDetails, { io: "output" }) as Record<
        string,
        unknown
      >;
      expect(body.output_config).toEqual({ format: { type: "json_schema", schema } });
      // Native: no JSON instructions in the system prompt.
      expect(body).not.toHaveProperty("system");
      expect((await readAll(journal, "t")).some((e) => e.type === "output.rejected")).toBe(false);
    } finally {
      await server.close();
    }
  });
});
