import { type ChildProcess, fork } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type Decision, type Provider, readAll, type StoredEvent, threadUsage } from "@loom/core";
import { ContextDebugger, flameGraphHtml, formatSummary } from "@loom/debugger";
import { HITLHook } from "@loom/hooks";
import { FsJournal } from "@loom/journal-fs";
import { type AiSdkLanguageModel, fromAiSdk } from "@loom/providers-ai-sdk";
import { createAnthropicProvider } from "@loom/providers-anthropic";
import { createOpenAIProvider, openaiTokenizer } from "@loom/providers-openai";
import { painter, renderer } from "./render.js";
import { QUESTION, researchAgent } from "./research.js";

const args = modelFlag(process.argv.slice(2));
const USAGE = `Usage: loom-demo [--yes | --no] [--model <module>]

Runs a small research agent offline (a scripted model; a real one when OPENAI_API_KEY or
ANTHROPIC_API_KEY is set, or the model a module gives), kills it mid-run with SIGKILL, resumes it
from the journal in ./.loom/journal, and asks before it publishes a report.

  --yes               approve the report without asking
  --no                reject the report without asking
  --model <module>    a module whose default export is any AI SDK language model (or a Loom
                      provider), e.g. createOpenAICompatible({ baseURL, name }).chatModel("llama3")
  --help              this text

On a terminal it asks (y/N; Ctrl-C leaves the call waiting, durably); without one and without a
flag, the report is rejected. NO_COLOR turns colours off.`;
const FLAGS = ["--yes", "--no", "--help", "-h"];
const workDir = join(process.cwd(), ".loom");
const journalDir = join(workDir, "journal");
const reportsDir = join(workDir, "reports");
const paceMs = process.stdout.isTTY ? 12 : 0;
const write = (text: string) => void process.stdout.write(text);
/** Colour on a terminal, unless NO_COLOR is set (https://no-color.org). */
const colour = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
const paint = painter(colour);
const provider = await realProvider().catch((error: unknown) => {
  process.stderr.write(`loom demo: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
});
const tokenizer = provider?.provider === "openai" ? openaiTokenizer(provider.modelId) : undefined;
/** With a scripted model the crash comes while the two pages are read; a real model may choose other tools. */
const crashOn = provider ? undefined : "read_page";

try {
  if (args[0] === "--worker") await worker(args[1]!);
  else if (args.includes("--help") || args.includes("-h")) write(`${USAGE}\n`);
  else {
    const unknown = args.filter((a) => !FLAGS.includes(a));
    if (unknown.length > 0 || (args.includes("--yes") && args.includes("--no"))) {
      process.stderr.write(
        `loom demo: ${unknown.length > 0 ? `unknown option ${unknown.map((a) => `"${a}"`).join(", ")}` : "--yes and --no together"}\n\n${USAGE}\n`,
      );
      process.exitCode = 2;
    } else await main();
  }
} catch (error) {
  // Errors say what was wrong; a stack trace would only hide that (and never holds an API key).
  process.stderr.write(`\nloom demo: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}

/** The worker process: starts the run; the parent kills it mid-run. */
async function worker(threadId: string) {
  const journal = new FsJournal({ dir: journalDir });
  const agent = researchAgent({
    journal,
    reportsDir,
    paceMs,
    readDelayMs: 400,
    ...(provider ? { provider } : {}),
    ...(tokenizer ? { tokenizer } : {}),
    hooks: [
      HITLHook({ tools: ["publish_report"], reason: () => "publishing writes a file others will read" }),
    ],
  });
  const render = renderer(write, { colour });
  for await (const event of agent.stream(QUESTION, { threadId })) {
    render(event);
    if ("seq" in event)
      process.send?.({
        seq: event.seq,
        type: event.type,
        name: "name" in event.data ? event.data.name : undefined,
      });
  }
  await journal.close();
}

async function main() {
  const threadId = `research-${new Date().toISOString().replace(/[:.]/g, "-")}`;
  const model = provider ? `${provider.provider}/${provider.modelId}` : "offline, scripted model";
  write(`Loom demo — ${model}, journal in ${journalDir}\n\nQuestion: ${QUESTION}\n`);

  // 1. A worker process starts the run and is killed with SIGKILL while a tool runs.
  const killedAt = await runWorkerAndKill(threadId);
  const journal = new FsJournal({ dir: journalDir });
  try {
    const durable = await journal.head(threadId);
    write(
      killedAt
        ? `\n⚡ killed the worker process with SIGKILL right after event #${killedAt.seq} (${killedAt.type}); ${durable + 1} events are in the journal\n` +
            `↻ resuming thread ${threadId} in this process, from the journal\n`
        : "\n(the worker finished before any tool ran, so there was nothing to crash)\n",
    );

    // 2. This process resumes it: finished steps are not redone, the interrupted reads run again,
    //    and publishing waits for a human.
    // The question is shown when it is asked; the journaled question, which follows the answer, is not.
    const render = renderer(write, { colour, askedHere: true });
    const agent = researchAgent({
      journal,
      reportsDir,
      paceMs,
      ...(provider ? { provider } : {}),
      ...(tokenizer ? { tokenizer } : {}),
      hooks: [
        HITLHook({
          tools: ["publish_report"],
          reason: () => "publishing writes a file others will read",
          ask: ({ call, reason, signal }) => {
            render.endLine();
            return askHuman(call.name, call.args, reason, signal);
          },
        }),
      ],
    });
    const stream = agent.resumeStream(threadId);
    for await (const event of stream) render(event);
    const result = await stream.result;
    if (result.status === "interrupted") {
      // Ctrl-C at the approval prompt: nothing was published, and the thread waits durably.
      const decisions = result.pending.map((p) => `"${p.ref}": { approve: true }`).join(", ");
      write(
        `\n⏸ paused: ${result.pending.map((p) => `${p.name} [${p.ref}]`).join(", ")} waits for a human.\n` +
          `  Nothing ran. Finish it later, in any process: agent.resume("${threadId}", { decisions: { ${decisions} } })\n`,
      );
      return;
    }

    // 3. What happened, explained from the journal alone.
    const events = await readAll(journal, threadId);
    const debug = ContextDebugger.fromEvents(events);
    write(`\nContext debugger:\n${formatSummary(debug.summary())}\n`);
    const flame = join(workDir, `flame-${threadId}.html`);
    writeFileSync(flame, flameGraphHtml(events, { title: `Loom demo — ${threadId}` }));
    const { calls, executions } = countExecutions(events);
    const usage = threadUsage(result.frame);
    const reruns = executions - calls;
    write(
      `\nSummary: ${result.frame.iteration} iterations, ${executions} tool executions for ${calls} tool calls` +
        `${reruns > 0 ? ` (${reruns} ran again: ${reruns === 1 ? "it was" : "they were"} in flight at the crash)` : ""}, ` +
        `${usage.inputTokens} tokens in / ${usage.outputTokens} tokens out, ${events.length} events.\n` +
        `Flame graph: ${flame}\n\nLook further:\n` +
        `  npx loom show ${threadId}\n  npx loom events ${threadId} --type tool,approval\n` +
        `  npx loom explain ${threadId} --iteration 2\n  npx loom flame ${threadId}\n` +
        `  npx loom prune --older-than 30d   (finished threads past 30 days; --yes deletes them)\n`,
    );
  } finally {
    await journal.close();
  }
}

/**
 * Tool calls and how many times they ran, re-runs included. A call in flight when its process died
 * (started before a `run.resumed` "unfinished", completed after it) ran again, unless the resumed
 * run did not run it (an unknown outcome reported to the model, or a rejection).
 */
function countExecutions(events: readonly StoredEvent[]): { calls: number; executions: number } {
  const inFlight = new Set<string>();
  const interrupted = new Set<string>();
  let calls = 0;
  let executions = 0;
  for (const e of events) {
    const key = "callId" in e.data ? `${e.frameId}/${e.data.callId}` : "";
    if (e.type === "tool.started") {
      if (!interrupted.has(key)) calls++;
      executions++;
      inFlight.add(key);
    } else if (e.type === "run.resumed" && e.data.reason === "unfinished") {
      for (const k of inFlight) interrupted.add(k);
    } else if (e.type === "tool.completed") {
      inFlight.delete(key);
      const code = e.data.error?.code;
      if (interrupted.delete(key) && code !== "unknown_outcome" && code !== "rejected") executions++;
    }
  }
  return { calls, executions };
}

function runWorkerAndKill(threadId: string): Promise<{ seq: number; type: string } | undefined> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = fork(fileURLToPath(import.meta.url), ["--worker", threadId], {
      stdio: "inherit",
    });
    let killed: { seq: number; type: string } | undefined;
    child.on("message", (message: { seq: number; type: string; name?: string }) => {
      if (!killed && message.type === "tool.started" && (crashOn === undefined || message.name === crashOn)) {
        killed = message;
        child.kill("SIGKILL");
      }
    });
    child.on("error", reject);
    child.on("exit", () => resolve(killed));
  });
}

async function askHuman(
  name: string,
  callArgs: unknown,
  reason: string,
  signal: AbortSignal,
): Promise<Decision> {
  // The question first (tool, arguments, why), then how it is answered.
  write(`  ${paint("yellow", "?")} ${name}(${JSON.stringify(callArgs)}) waits for a human: ${reason}\n`);
  if (args.includes("--yes")) {
    write(`  ${paint("green", "✓")} approved by --yes\n`);
    return { approve: true };
  }
  if (args.includes("--no")) {
    write(`  ${paint("red", "✗")} rejected by --no\n`);
    return { approve: false, reason: "rejected with --no" };
  }
  if (!process.stdin.isTTY) {
    write(`  ${paint("red", "✗")} no terminal to ask, so rejected (run with --yes to approve)\n`);
    return { approve: false, reason: "no human at a terminal to approve it" };
  }
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  // Ctrl-C at the prompt (or the run being cancelled) stops asking: the call then waits durably.
  const stop = new AbortController();
  prompt.on("SIGINT", () => stop.abort());
  signal.addEventListener("abort", () => stop.abort(), { once: true });
  try {
    const answer = await prompt.question("  Approve? [y/N] ", { signal: stop.signal });
    return /^y(es)?$/i.test(answer.trim())
      ? { approve: true }
      : { approve: false, reason: "a human said no" };
  } finally {
    prompt.close();
  }
}

/** A real model when an API key is set (LOOM_DEMO_MODEL picks the model), else none: the scripted one. */
/** `--model <module>` becomes LOOM_DEMO_MODEL_MODULE (an absolute path), which the worker inherits. */
function modelFlag(argv: string[]): string[] {
  const at = argv.indexOf("--model");
  if (at < 0) return argv;
  const module = argv[at + 1];
  if (!module || module.startsWith("--")) {
    process.stderr.write("loom demo: --model needs a module path, e.g. --model ./my-model.mjs\n");
    process.exit(2);
  }
  process.env.LOOM_DEMO_MODEL_MODULE = resolve(process.cwd(), module);
  return [...argv.slice(0, at), ...argv.slice(at + 2)];
}

/**
 * The model of a module the user names: its default (or `model`) export, an AI SDK language model
 * (any provider the AI SDK has, local servers included), or a Loom provider.
 */
async function moduleProvider(file: string): Promise<Provider> {
  let exported: Record<string, unknown>;
  try {
    exported = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`cannot load the model module ${file}: ${(error as Error).message}`);
  }
  const model = exported.default ?? exported.model;
  const candidate = model as Partial<Provider> | undefined;
  if (candidate?.specificationVersion === "v1" && typeof candidate.doStream === "function")
    return model as Provider;
  return fromAiSdk(model as AiSdkLanguageModel);
}

async function realProvider(): Promise<Provider | undefined> {
  if (process.env.LOOM_DEMO_MODEL_MODULE) return moduleProvider(process.env.LOOM_DEMO_MODEL_MODULE);
  const model = process.env.LOOM_DEMO_MODEL;
  if (process.env.OPENAI_API_KEY) return createOpenAIProvider({ model: model ?? "gpt-4o-mini" });
  if (process.env.ANTHROPIC_API_KEY) return createAnthropicProvider({ model: model ?? "claude-haiku-4-5" });
  return undefined;
}
