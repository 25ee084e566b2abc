import { type Agent, createAgent, type Journal, tool } from "@loom/core";
import { HITLHook } from "@loom/hooks";
import { ScriptedProvider } from "@loom/testing";
import { z } from "zod";

/**
 * The example's agent: a scripted model (no API key needed) that looks at a few files, one by one,
 * asks to delete one (a human decides), and streams its answer slowly enough to watch. Replace the
 * provider with a real one to talk to a model.
 */
export function exampleAgent(journal: Journal, options: { files?: number; stepMs?: number } = {}): Agent {
  const files = options.files ?? 5;
  const stepMs = options.stepMs ?? 150;
  const inspect = tool({
    name: "inspect_file",
    description: "Reads a file's size.",
    input: z.object({ path: z.string() }),
    idempotent: true,
    run: async ({ path }, { signal }) => {
      await new Promise((resolve) => setTimeout(resolve, stepMs));
      signal.throwIfAborted();
      return `${path}: ${path.length * 1024} bytes`;
    },
  });
  const remove = tool({
    name: "delete_file",
    description: "Deletes a file.",
    input: z.object({ path: z.string() }),
    run: ({ path }) => `deleted ${path}`,
  });
  const paths = Array.from({ length: files }, (_, i) => `/tmp/report-${i + 1}.csv`);
  return createAgent({
    journal,
    tools: [inspect, remove],
    hooks: [HITLHook({ tools: ["delete_file"] })],
    maxIterations: files + 4,
    provider: new ScriptedProvider({
      mode: "conversation",
      turns: [
        ...paths.map((path, i) => ({
          text: i === 0 ? "Let me look at the reports one by one." : "",
          toolCalls: [{ id: `inspect_${i + 1}`, name: "inspect_file", args: { path } }],
        })),
        { toolCalls: [{ id: "delete_1", name: "delete_file", args: { path: paths[0] } }] },
        {
          text: `I inspected ${files} reports and removed the oldest one. Everything else is still in place, and nothing was deleted without your approval.`,
          chunkSize: 6,
          chunkDelayMs: 40,
        },
      ],
    }),
  });
}
