import { get, threadPath } from "./api.ts";
import { clear, h, money, number } from "./dom.ts";

interface Component {
  id: string;
  kind: string;
  tokens: number;
  priority: number;
  range?: [number, number];
  reason?: string;
}
interface Explanation {
  frameId: string;
  iteration: number;
  seq?: number;
  budget: number;
  totalTokens: number;
  freeTokens: number;
  included: Component[];
  excluded: Component[];
  compressions: {
    strategy: string;
    tokensBefore: number;
    tokensAfter: number;
    keepFrom?: number;
    prefix?: Message[];
  }[];
  usage?: { inputTokens: number; outputTokens: number };
  failedModelCalls: number;
  cost?: number;
}
interface Changes {
  iteration: number;
  previous?: number;
  system: { text?: string; changed: boolean; before?: string };
  components: { id: string; kind: string; hash: string; text?: string; change: string; before?: string }[];
  removed: { id: string; kind: string; text?: string }[];
  messages: { index: number; role: string; text: string; change: string; reason?: string }[];
  unchanged: number;
  summaries: { change: string; strategy: string; text: string; replaces?: [number, number] }[];
}
interface Message {
  role: string;
  content: string;
  name?: string;
  toolCalls?: { name: string; arguments: string }[];
}
interface FrameState {
  frameId: string;
  messages: Message[];
  children: Record<string, FrameState>;
}
interface Overview {
  frames: { frameId: string; depth: number; name?: string; iterations: number }[];
  iterations: number[];
  summary: { suggestions?: string[] };
}

/** Context per iteration: budget bars, what was in and what was left out and why, and what changed since the iteration before. */
export async function contextView(
  threadId: string,
  container: HTMLElement,
  frame: string,
  iteration?: number,
) {
  const overview = await get<Overview>(threadPath(threadId, "context"), { frame });
  if (overview.iterations.length === 0) {
    clear(container, h("p", { class: "muted" }, "No context was assembled in this frame yet."));
    return;
  }
  const chosen = iteration ?? overview.iterations.at(-1)!;
  const list = h(
    "div",
    { class: "iterations" },
    overview.frames.length > 1
      ? h(
          "select",
          {
            id: "frame-select",
            onchange: (e: Event) => {
              location.hash = `#/t/${encodeURIComponent(threadId)}/context/${encodeURIComponent((e.target as HTMLSelectElement).value)}`;
            },
          },
          overview.frames.map((f) =>
            h(
              "option",
              { value: f.frameId, selected: f.frameId === frame },
              `${"· ".repeat(f.depth)}${f.name ?? f.frameId} (${f.iterations})`,
            ),
          ),
        )
      : null,
    overview.iterations.map((n) =>
      h(
        "a",
        {
          class: n === chosen ? "iteration current" : "iteration",
          href: `#/t/${encodeURIComponent(threadId)}/context/${encodeURIComponent(frame)}/${n}`,
          "data-iteration": n,
        },
        `iteration ${n}`,
      ),
    ),
  );
  const detail = h("div", { class: "explanation" }, "Loading…");
  clear(
    container,
    h("div", { class: "context" }, list, detail),
    (overview.summary.suggestions ?? []).length
      ? h(
          "ul",
          { class: "suggestions" },
          (overview.summary.suggestions ?? []).map((s) => h("li", {}, s)),
        )
      : null,
  );
  const index = overview.iterations.indexOf(chosen);
  const previousN = index > 0 ? overview.iterations[index - 1] : undefined;
  const [now, before, changes] = await Promise.all([
    get<Explanation>(threadPath(threadId, "context"), { frame, iteration: chosen }),
    previousN === undefined
      ? Promise.resolve(undefined)
      : get<Explanation>(threadPath(threadId, "context"), { frame, iteration: previousN }),
    get<Changes>(threadPath(threadId, "changes"), { frame, iteration: chosen }),
  ]);
  clear(detail, explanation(now, before), changesView(changes), h("div", { id: "messages-seen" }));
  if (now.seq !== undefined) {
    const state = await get<FrameState>(threadPath(threadId, "state"), { seq: now.seq });
    const frameState = findFrame(state, now.frameId);
    if (frameState) clear(document.getElementById("messages-seen")!, messagesSeen(now, frameState.messages));
  }
}

function findFrame(frame: FrameState, frameId: string): FrameState | undefined {
  if (frame.frameId === frameId) return frame;
  for (const child of Object.values(frame.children)) {
    const found = findFrame(child, frameId);
    if (found) return found;
  }
  return undefined;
}

/** The history as it stood at the iteration, each message marked sent or left out by the assembler's ranges. */
function messagesSeen(now: Explanation, messages: Message[]): HTMLElement {
  const within = (list: Component[], i: number) =>
    list.some((c) => c.kind === "history" && c.range && i >= c.range[0] && i < c.range[1]);
  const prefix = now.compressions.flatMap((c) => c.prefix ?? []);
  const line = (m: Message, fate: string, label: string) =>
    h(
      "div",
      { class: `seen ${fate}` },
      h("span", { class: "fate" }, label),
      h("b", {}, m.role === "tool" ? `tool ${m.name ?? ""}` : m.role),
      " ",
      m.content || (m.toolCalls ?? []).map((c) => `${c.name}(${c.arguments})`).join(", "),
    );
  return h(
    "div",
    {},
    h("h4", {}, `History at this iteration (${messages.length} messages)`),
    prefix.map((m) => line(m, "sent", "sent, by the compression")),
    messages.map((m, i) =>
      within(now.included, i)
        ? line(m, "sent", "sent")
        : within(now.excluded, i)
          ? line(m, "left-out", "left out")
          : line(m, "left-out", "not sent"),
    ),
  );
}

const KIND_COLOURS: Record<string, string> = {
  system: "#6b8afd",
  history: "#3fb68b",
  "tool-result": "#e5a33d",
  document: "#c678dd",
  memory: "#56b6c2",
  tools: "#a0a0a0",
};

function explanation(now: Explanation, before: Explanation | undefined): HTMLElement {
  const budget = Math.max(now.budget, now.totalTokens, 1);
  const bar = h(
    "div",
    { class: "budget", title: `${now.totalTokens} of ${now.budget} tokens` },
    now.included.map((c) =>
      h("span", {
        class: "part",
        style: `width:${(100 * c.tokens) / budget}%;background:${KIND_COLOURS[c.kind] ?? "#888"}`,
        title: `${c.id} (${c.kind}): ${c.tokens} tokens`,
      }),
    ),
  );
  const excludedTokens = now.excluded.reduce((sum, c) => sum + c.tokens, 0);
  const excludedBar = h(
    "div",
    { class: "budget excluded-bar", title: `${excludedTokens} tokens left out` },
    h("span", { class: "part left-out", style: `width:${Math.min(100, (100 * excludedTokens) / budget)}%` }),
  );
  return h(
    "div",
    { id: "explanation", "data-iteration": now.iteration },
    h(
      "h3",
      {},
      `Iteration ${now.iteration} · frame ${now.frameId}${now.seq !== undefined ? ` · #${now.seq}` : ""}`,
    ),
    h(
      "p",
      {},
      `${number(now.totalTokens)} of ${number(now.budget)} tokens used, ${number(now.freeTokens)} free`,
      now.usage
        ? ` · the provider counted ${number(now.usage.inputTokens)} in, ${number(now.usage.outputTokens)} out`
        : "",
      now.failedModelCalls ? ` · ${now.failedModelCalls} failed model call(s)` : "",
      h("span", { id: "iteration-cost" }, ` · cost ${money(now.cost)}`),
    ),
    h("div", { class: "bar-label" }, "What the model saw"),
    bar,
    h(
      "div",
      { class: "legend" },
      [...new Set(now.included.map((c) => c.kind))].map((kind) =>
        h("span", {}, h("i", { style: `background:${KIND_COLOURS[kind] ?? "#888"}` }), kind),
      ),
    ),
    h("div", { class: "bar-label" }, "What was left out"),
    excludedBar,
    h("h4", {}, "Included"),
    components(now.included),
    h("h4", {}, `Left out (${now.excluded.length})`),
    now.excluded.length
      ? components(now.excluded, true)
      : h("p", { class: "muted" }, "Nothing was left out."),
    now.compressions.length
      ? [
          h("h4", {}, "Compressions"),
          h(
            "ul",
            {},
            now.compressions.map((c) =>
              h(
                "li",
                {},
                `${c.strategy}: ${number(c.tokensBefore)} → ${number(c.tokensAfter)} tokens${c.keepFrom !== undefined ? `, history kept from message ${c.keepFrom}` : ""}`,
              ),
            ),
          ),
        ]
      : null,
    h("h4", {}, before ? `Changes since iteration ${before.iteration}` : "Changes"),
    before ? diff(before, now) : h("p", { class: "muted" }, "The first iteration of this frame."),
  );
}

function components(list: Component[], excluded = false): HTMLElement {
  return h(
    "table",
    { class: excluded ? "components excluded" : "components" },
    h(
      "tr",
      {},
      h("th", {}, "component"),
      h("th", {}, "kind"),
      h("th", {}, "tokens"),
      h("th", {}, "priority"),
      h("th", {}, excluded ? "why" : "range"),
    ),
    list.map((c) =>
      h(
        "tr",
        {},
        h("td", {}, c.id),
        h("td", {}, c.kind),
        h("td", { class: "num" }, number(c.tokens)),
        h("td", { class: "num" }, String(c.priority)),
        h(
          "td",
          {},
          [excluded ? c.reason : undefined, c.range ? `messages ${c.range[0]}–${c.range[1] - 1}` : undefined]
            .filter(Boolean)
            .join(", "),
        ),
      ),
    ),
  );
}

function diff(before: Explanation, now: Explanation): HTMLElement {
  const fate = (e: Explanation) => {
    const map = new Map<string, { where: string; tokens: number }>();
    for (const c of e.included) map.set(c.id, { where: "included", tokens: c.tokens });
    for (const c of e.excluded) {
      const prior = map.get(c.id);
      map.set(c.id, {
        where: prior ? "partly left out" : "left out",
        tokens: (prior?.tokens ?? 0) + c.tokens,
      });
    }
    return map;
  };
  const a = fate(before);
  const b = fate(now);
  const lines: HTMLElement[] = [];
  for (const [id, next] of b) {
    const prev = a.get(id);
    if (!prev)
      lines.push(h("li", { class: "added" }, `+ ${id}: ${next.where}, ${number(next.tokens)} tokens`));
    else if (prev.where !== next.where || prev.tokens !== next.tokens)
      lines.push(
        h(
          "li",
          { class: "changed" },
          `~ ${id}: ${prev.where} ${number(prev.tokens)} → ${next.where} ${number(next.tokens)} tokens`,
        ),
      );
  }
  for (const [id, prev] of a)
    if (!b.has(id))
      lines.push(h("li", { class: "removed" }, `− ${id}: was ${prev.where}, ${number(prev.tokens)} tokens`));
  return lines.length
    ? h("ul", { class: "diff" }, lines)
    : h("p", { class: "muted" }, "Same components, same tokens.");
}

const MESSAGE_CHANGES: Record<string, { mark: string; label: string; css: string }> = {
  added: { mark: "+", label: "added, sent", css: "added" },
  "added-left-out": { mark: "+", label: "added, left out", css: "left-out" },
  "dropped-by-compression": { mark: "−", label: "dropped by compression", css: "removed" },
  "dropped-by-assembler": { mark: "−", label: "left out by the assembler", css: "removed" },
  restored: { mark: "↺", label: "sent again", css: "changed" },
};

const clip = (text: string, max = 400) => (text.length > max ? `${text.slice(0, max)}…` : text);

/** Message by message against the previous iteration, summaries that replaced messages, and the texts the components had. */
function changesView(c: Changes): HTMLElement {
  const first = c.previous === undefined;
  const messageLines = c.messages.map((m) => {
    const kind = MESSAGE_CHANGES[m.change] ?? { mark: "?", label: m.change, css: "" };
    return h(
      "li",
      { class: kind.css, "data-change": m.change, "data-index": m.index },
      `${kind.mark} #${m.index} ${m.role} · ${kind.label}${m.reason ? ` (${m.reason})` : ""}: `,
      h("span", { class: "text" }, clip(m.text)),
    );
  });
  const summaryLines = c.summaries.map((s) =>
    h(
      "li",
      { class: s.change === "added" ? "changed" : "removed", "data-change": `summary-${s.change}` },
      `${s.change === "added" ? "↧ summary sent" : "− summary no longer sent"} (${s.strategy}${s.replaces ? `, stands for messages 0–${s.replaces[1] - 1}` : ""}): `,
      h("span", { class: "text" }, clip(s.text)),
    ),
  );
  const textChanges = [
    c.system.changed
      ? h(
          "li",
          { class: "changed", "data-change": "system" },
          "~ the system message changed",
          textPair(c.system.before, c.system.text),
        )
      : null,
    c.components
      .filter((x) => x.change !== "same")
      .map((x) =>
        h(
          "li",
          {
            class: x.change === "added" ? "added" : "changed",
            "data-change": `component-${x.change}`,
            "data-id": x.id,
          },
          `${x.change === "added" ? "+" : "~"} ${x.kind} ${x.id}: text ${x.change === "added" ? "added" : "changed"}`,
          x.change === "changed" ? textPair(x.before, x.text) : null,
        ),
      ),
    c.removed.map((x) =>
      h(
        "li",
        { class: "removed", "data-change": "component-removed", "data-id": x.id },
        `− ${x.kind} ${x.id}: no longer sent`,
      ),
    ),
  ];
  const anything = messageLines.length + summaryLines.length + textChanges.flat().filter(Boolean).length > 0;
  return h(
    "div",
    { id: "changes" },
    h(
      "h4",
      {},
      first ? "What this first iteration sent" : `Messages and texts since iteration ${c.previous}`,
    ),
    anything
      ? h("ul", { class: "diff", id: "message-diff" }, textChanges, summaryLines, messageLines)
      : h("p", { class: "muted" }, "Nothing changed."),
    c.unchanged ? h("p", { class: "muted" }, `${number(c.unchanged)} message(s) sent both times.`) : null,
    h("h4", {}, "What the components said"),
    // The system message as sent, when it is more than one component's text (several joined).
    c.system.text !== undefined && !c.components.some((x) => x.text === c.system.text)
      ? h(
          "details",
          { class: "component-text", "data-id": "system-message" },
          h("summary", {}, "the system message sent"),
          h("pre", { class: "shown-text" }, c.system.text),
        )
      : null,
    c.components.map((x) =>
      h(
        "details",
        { class: "component-text", "data-id": x.id },
        h(
          "summary",
          {},
          `${x.kind === x.id ? x.id : `${x.kind} ${x.id}`}${x.change === "changed" ? " (changed)" : ""}`,
        ),
        h("pre", { class: "shown-text" }, x.text ?? "(the journal does not hold this text)"),
      ),
    ),
    c.system.text === undefined && c.components.length === 0
      ? h("p", { class: "muted" }, "No component text was journaled for this iteration.")
      : null,
  );
}

function textPair(before: string | undefined, after: string | undefined): HTMLElement {
  return h(
    "div",
    { class: "text-pair" },
    h("pre", { class: "shown-text before" }, before ?? "(unknown)"),
    h("pre", { class: "shown-text after" }, after ?? "(unknown)"),
  );
}
