import type { ContextComponentRecord } from "@loom/core";
import type { ComponentExplanation, IterationExplanation } from "./context-debugger.js";
import type { DebugSummary } from "./summary.js";

const n = (value: number) => value.toLocaleString("en-US");
const pct = (part: number, whole: number) => (whole > 0 ? `${Math.round((part / whole) * 100)}%` : "-");

function componentLine(c: ContextComponentRecord): string {
  const range = c.range ? `  messages [${c.range[0]}, ${c.range[1]})` : "";
  const reason = c.reason ? `  — ${c.reason}` : "";
  return `    ${c.id.padEnd(20)} ${c.kind.padEnd(11)} ${n(c.tokens).padStart(9)} tok  priority ${c.priority}${range}${reason}`;
}

/** A human-readable explanation of one iteration. */
export function formatIteration(e: IterationExplanation): string {
  const lines = [
    `Iteration ${e.iteration} of frame "${e.frameId}": ${n(e.totalTokens)} of ${n(e.budget)} tokens (${pct(e.totalTokens, e.budget)}), ${n(e.freeTokens)} free`,
    "  included:",
    ...(e.included.length > 0 ? e.included.map(componentLine) : ["    (nothing)"]),
    "  excluded:",
    ...(e.excluded.length > 0 ? e.excluded.map(componentLine) : ["    (nothing)"]),
  ];
  for (const c of e.compressions) {
    lines.push(
      `  compression "${c.strategy}": ${n(c.tokensBefore)} → ${n(c.tokensAfter)} tokens (saved ${pct(c.tokensBefore - c.tokensAfter, c.tokensBefore)})`,
    );
  }
  if (e.attachments.length > 0) {
    lines.push("  attachments:");
    for (const a of e.attachments) {
      lines.push(
        `    ${a.mediaType.padEnd(20)} ${n(a.tokens).padStart(9)} tok  ${a.role} message ${a.message}  ${a.sent ? "sent" : "not sent (its message was left out)"}`,
      );
    }
  }
  if (e.usage)
    lines.push(`  model: ${n(e.usage.inputTokens)} input tokens, ${n(e.usage.outputTokens)} output tokens`);
  if (e.toolUsage)
    lines.push(
      `  tools' own model calls: ${n(e.toolUsage.inputTokens)} input tokens, ${n(e.toolUsage.outputTokens)} output tokens`,
    );
  if (e.failedModelCalls > 0) lines.push(`  model calls failed first: ${e.failedModelCalls}`);
  return lines.join("\n");
}

/** One line per iteration: the fate of one component. */
export function formatComponent(c: ComponentExplanation): string {
  const lines = [`Component "${c.id}" (${c.kind}) in frame "${c.frameId}":`];
  for (const at of c.iterations) {
    const kept = at.includedRange ? ` messages [${at.includedRange[0]}, ${at.includedRange[1]})` : "";
    const dropped = at.excludedRange ? ` messages [${at.excludedRange[0]}, ${at.excludedRange[1]})` : "";
    const detail =
      at.fate === "included"
        ? `${n(at.includedTokens)} tok${kept}`
        : at.fate === "excluded"
          ? `${n(at.excludedTokens)} tok${dropped} — ${at.reason ?? "no reason recorded"}`
          : at.fate === "partly-excluded"
            ? `kept ${n(at.includedTokens)} tok${kept}, dropped ${n(at.excludedTokens)} tok${dropped} — ${at.reason ?? "no reason recorded"}`
            : "";
    lines.push(`  iteration ${String(at.iteration).padStart(3)}: ${at.fate.padEnd(15)} ${detail}`.trimEnd());
  }
  return lines.join("\n");
}

/** The summary as text: a token table, compressions, largest components, suggestions. */
export function formatSummary(s: DebugSummary): string {
  const lines = [
    `Context of frame "${s.frameId}"${s.threadId ? ` in thread "${s.threadId}"` : ""}: ${s.totals.iterations} iteration(s), peak ${n(s.totals.peakContextTokens)} tokens, ${n(s.totals.inputTokens)} in / ${n(s.totals.outputTokens)} out`,
    "  iter   context /   budget  fill  excluded  model in/out",
  ];
  for (const i of s.iterations) {
    const model = i.inputTokens === undefined ? "-" : `${n(i.inputTokens)}/${n(i.outputTokens ?? 0)}`;
    const excluded = i.excludedTokens > 0 ? `${n(i.excludedTokens)} (${i.excluded.join(", ")})` : "-";
    lines.push(
      `  ${String(i.iteration).padStart(4)} ${n(i.contextTokens).padStart(9)} / ${n(i.budget).padStart(8)} ${pct(i.contextTokens, i.budget).padStart(5)}  ${excluded.padEnd(9)} ${model}`,
    );
  }
  if (s.compressions.length > 0) {
    lines.push("Compressions:");
    for (const c of s.compressions) {
      lines.push(
        `  iteration ${c.iteration}: "${c.strategy}" ${n(c.tokensBefore)} → ${n(c.tokensAfter)} tokens (saved ${n(c.savedTokens)})`,
      );
    }
  }
  if (s.largestComponents.length > 0) {
    lines.push("Largest components:");
    for (const c of s.largestComponents) {
      lines.push(`  ${c.id} (${c.kind}): ${n(c.tokens)} tokens at iteration ${c.iteration}`);
    }
  }
  lines.push(s.suggestions.length > 0 ? "Suggestions:" : "Suggestions: none, the context fit.");
  for (const suggestion of s.suggestions) lines.push(`  - ${suggestion}`);
  return lines.join("\n");
}
