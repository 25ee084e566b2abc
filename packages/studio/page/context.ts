import { get, threadPath } from "./api.ts";
import { clear, h, number } from "./dom.ts";

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
  const [now, before] = await Promise.all([
    get<Explanation>(threadPath(threadId, "context"), { frame, iteration: chosen }),
    previousN === undefined
      ? Promise.resolve(undefined)
      : get<Explanation>(threadPath(threadId, "context"), { frame, iteration: previousN }),
  ]);
  clear(detail, explanation(now, before), h("div", { id: "messages-seen" }));
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
