import { ConfigError, createAgent, defineHook, type Tool, tool } from "@loom/core";
import { ScriptedProvider } from "@loom/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";

// Mistakes a new user makes in the first hour: each is a ConfigError that says what to do.

const provider = () => new ScriptedProvider([{ text: "hi" }]);
const echo = tool({
  name: "echo",
  description: "echo",
  input: z.object({ text: z.string() }),
  run: (a) => a.text,
});

function configError(make: () => unknown): ConfigError {
  try {
    make();
  } catch (error) {
    expect(ConfigError.isInstance(error)).toBe(true);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("createAgent options", () => {
  it.each([
    ["maxIteration", "maxIterations"],
    ["modle", undefined],
    ["tool", "tools"],
    ["hook", "hooks"],
  ])("names the unknown option %s and the closest valid one", (key, near) => {
    const error = configError(() => createAgent({ provider: provider(), [key]: 3 } as never));
    expect(error.message).toContain(`unknown option "${key}"`);
    if (near) expect(error.message).toContain(`did you mean "${near}"?`);
    else expect(error.message).not.toContain("did you mean");
    expect(error.message).toContain("Options: name, system, maxIterations");
  });

  it("takes tools as a record by name, as the AI SDK writes them", async () => {
    const agent = createAgent({
      provider: new ScriptedProvider([
        { toolCalls: [{ name: "echo", args: { text: "x" } }] },
        { text: "done" },
      ]),
      tools: { echo },
    });
    const result = await agent.run("go");
    expect(result.status === "completed" && result.text).toBe("done");
  });

  it("refuses a record whose key is not its tool's name, and tools that are neither list nor record", () => {
    expect(configError(() => createAgent({ provider: provider(), tools: { say: echo } })).message).toContain(
      "each key must be its tool's name",
    );
    expect(
      configError(() => createAgent({ provider: provider(), tools: "echo" as never })).message,
    ).toContain('"tools" must be a list of tools');
  });
});

describe("tool input schemas", () => {
  it("refuses a schema that is not an object, saying how to wrap it", () => {
    const error = configError(() =>
      tool({ name: "shout", description: "s", input: z.string() as never, run: () => "" }),
    );
    expect(error.message).toContain('"input" must be an object schema');
    expect(error.message).toContain("z.object({ value: z.string() })");
  });

  it("says when a schema comes from zod 3 or from another copy of zod 4", () => {
    const zod3Like = { _def: { typeName: "ZodObject" }, parse: () => ({}) };
    expect(
      configError(() => tool({ name: "a", description: "a", input: zod3Like as never, run: () => "" }))
        .message,
    ).toContain("is a zod 3 schema; @loom/core needs zod 4");
    const otherZod4 = { _zod: { def: { type: "object" } }, safeParse: () => ({ success: true }) };
    expect(
      configError(() => tool({ name: "b", description: "b", input: otherZod4 as never, run: () => "" }))
        .message,
    ).toContain("another copy of zod");
  });

  it("accepts object schemas, including ones with transforms", () => {
    const t: Tool = tool({
      name: "when",
      description: "w",
      input: z.object({ at: z.string().transform((s) => new Date(s)) }),
      run: ({ at }) => at.toISOString(),
    }) as Tool;
    expect(t.spec.inputSchema.type).toBe("object");
  });
});

describe("defineHook", () => {
  it("types a hook's context parameters without annotations (strict TypeScript), and returns it as is", async () => {
    const seen: string[] = [];
    // Without defineHook, `({ call })` here is an implicit any under strict TypeScript.
    const noDeletes = defineHook({
      name: "no-deletes",
      beforeToolExecution: ({ call }) => {
        seen.push(call.name);
        return call.name === "delete_file" ? { deny: "deletes are disabled" } : undefined;
      },
    });
    const agent = createAgent({
      provider: new ScriptedProvider([
        { toolCalls: [{ name: "echo", args: { text: "x" } }] },
        { text: "done" },
      ]),
      tools: [echo],
      hooks: [noDeletes],
    });
    expect((await agent.run("go")).status).toBe("completed");
    expect(seen).toEqual(["echo"]);
  });
});
