import { createAgent, MemoryJournal, RunFailedError, readAll, type Tool, tool } from "@loom/core";
import { ScriptedProvider, type ScriptedTurn } from "@loom/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { failureKey } from "../src/frame.js";

// Loops that change a counter each turn: the same tools, arguments differing only in numbers or
// whitespace, getting the same answers; and the same call failing again and again. Both end the run
// with a journaled reason; real progress (pagination with new results) is never mistaken for one.

function pager(pages: (n: number) => string): Tool {
  return tool({
    name: "read_page",
    description: "Reads a page",
    input: z.object({ page: z.number(), query: z.string() }),
    idempotent: true,
    run: ({ page }) => pages(page),
  });
}

const calls = (n: number, args: (i: number) => Record<string, unknown>, last = "done"): ScriptedTurn[] => [
  ...Array.from({ length: n }, (_, i) => ({
    toolCalls: [{ id: `c${i}`, name: "read_page", args: args(i) }],
  })),
  { text: last },
];

async function failure(run: Promise<unknown>) {
  const error = await run.catch((e: unknown) => e);
  expect(RunFailedError.isInstance(error)).toBe(true);
  return error as RunFailedError;
}

describe("near-repeat loop detection", () => {
  it("stops a model that only changes a number while the answers stay the same, and journals why", async () => {
    const journal = new MemoryJournal();
    const agent = createAgent({
      journal,
      maxIterations: 30,
      tools: [pager(() => "No results.")],
      provider: new ScriptedProvider(calls(20, (i) => ({ page: i + 1, query: "loom" }))),
    });
    const error = await failure(agent.run("find it", { threadId: "t" }));
    expect(error.code).toBe("loop_detected");
    expect(error.message).toMatch(
      /differing only in numbers or whitespace, with the same results 5 turns in a row/,
    );
    const events = await readAll(journal, "t");
    const failed = events.at(-1)!;
    expect(failed.type === "run.failed" && failed.data.error.code).toBe("loop_detected");
    expect(events.filter((e) => e.type === "tool.started")).toHaveLength(5);
  });

  it("counts whitespace-only changes too", async () => {
    const agent = createAgent({
      maxIterations: 30,
      tools: [pager(() => "No results.")],
      provider: new ScriptedProvider(calls(20, (i) => ({ page: 1, query: `loom${" ".repeat(i + 1)}docs` }))),
    });
    expect((await failure(agent.run("find it"))).code).toBe("loop_detected");
  });

  it("lets real progress run: pages whose results differ are not a loop", async () => {
    const agent = createAgent({
      maxIterations: 30,
      tools: [pager((n) => `Page ${n}: entries about ${["loom", "weaving", "threads", "shuttles"][n % 4]}.`)],
      provider: new ScriptedProvider(calls(20, (i) => ({ page: i + 1, query: "loom" }), "read them all")),
    });
    const result = await agent.run("read everything");
    expect(result.status === "completed" && result.text).toBe("read them all");
  });

  it("is configurable: maxNearRepeatedToolCalls 0 turns it off", async () => {
    const agent = createAgent({
      maxIterations: 8,
      maxNearRepeatedToolCalls: 0,
      tools: [pager(() => "No results.")],
      provider: new ScriptedProvider(calls(20, (i) => ({ page: i + 1, query: "loom" }))),
    });
    expect((await failure(agent.run("find it"))).code).toBe("max_iterations");
  });
});

describe("repeated failures", () => {
  it("stops a model that keeps asking for a call that failed three times, even between other calls", async () => {
    const flaky = tool({
      name: "deploy",
      description: "Deploys",
      input: z.object({ env: z.string() }),
      run: ({ env }) => {
        if (env === "prod") throw new Error("permission denied");
        return `deployed to ${env}`;
      },
    });
    const turns: ScriptedTurn[] = [];
    for (let i = 0; i < 6; i++) {
      turns.push({ toolCalls: [{ id: `p${i}`, name: "deploy", args: { env: "prod" } }] });
      turns.push({ toolCalls: [{ id: `s${i}`, name: "deploy", args: { env: `staging-${i}` } }] });
    }
    turns.push({ text: "gave up" });
    const journal = new MemoryJournal();
    const agent = createAgent({
      journal,
      maxIterations: 30,
      tools: [flaky],
      provider: new ScriptedProvider(turns),
    });
    const error = await failure(agent.run("deploy", { threadId: "t" }));
    expect(error.code).toBe("loop_detected");
    expect(error.message).toMatch(/already failed 3 times in this run \(deploy\(\{"env":"prod"\}\)\)/);
    const prodStarts = (await readAll(journal, "t")).filter(
      (e) => e.type === "tool.started" && (e.data.args as { env: string }).env === "prod",
    );
    expect(prodStarts).toHaveLength(3);
  });
});

describe("the canonical form of a call's arguments", () => {
  // What failureKey wrote before it built the text directly: the failure counts a snapshot holds
  // are keyed by it, so a resumed run must compute the same keys.
  const reference = (name: string, raw: string): string => {
    const canonical = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(canonical);
      if (value && typeof value === "object") {
        return Object.fromEntries(
          Object.keys(value)
            .sort()
            .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
        );
      }
      return value;
    };
    try {
      return `${name}(${JSON.stringify(canonical(JSON.parse(raw)))})`;
    } catch {
      return `${name}(${raw})`;
    }
  };

  it("is the text keys-sorted JSON.stringify gives, for every shape of arguments", () => {
    const cases = [
      '{"b":1,"a":2}',
      '{"z":{"y":[3,{"d":null,"c":true}],"x":"é\\u0000\\ud800"},"a":-0.5e-7}',
      '{"10":1,"9":2,"a":3,"01":4,"4294967295":5,"4294967294":6,"-1":7}',
      '[1,"two",[{"b":1,"a":2}],null,false]',
      '"just a string"',
      "1e400",
      "not json {",
      "",
      '{"":1," ":2,"\\u00e9":3,"e\\u0301":4,"Z":5,"a":6}',
    ];
    for (const raw of cases) expect(failureKey("tool", raw)).toBe(reference("tool", raw));
  });
});
