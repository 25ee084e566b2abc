import type { StoredEvent } from "@loom/core";
import {
  type Approval,
  type EventsPage,
  get,
  post,
  type Summary,
  type ThreadRow,
  threadPath,
} from "./api.ts";
import { contextView } from "./context.ts";
import { conversation } from "./conversation.ts";
import { ago, clear, h, json, money, number } from "./dom.ts";

const app = document.getElementById("app")!;
const PAGE = 500;
let leave: (() => void) | undefined;
/** Counts views shown: a view whose awaits finish after the next one started leaves no stream or timer behind. */
let view = 0;

function route(): void {
  leave?.();
  leave = undefined;
  ++view;
  const opened = location.hash;
  const hash = location.hash.replace(/^#/, "") || "/";
  const parts = hash.split("/").slice(1).map(decodeURIComponent);
  const failed = (error: unknown) => {
    if (location.hash !== opened) return; // the person has moved on
    clear(
      app,
      h("p", { class: "error", id: "page-error" }, error instanceof Error ? error.message : String(error)),
    );
  };
  if (parts[0] === "t" && parts[1]) {
    threadView(parts[1], parts[2] ?? "conversation", parts.slice(3)).catch(failed);
  } else if (parts[0] === "approvals") {
    approvalsView().catch(failed);
  } else {
    threadList().catch(failed);
  }
}

// ---------- thread list ----------

/** The list's filters and page; the most recently active threads first unless "by id" is picked. */
const listState = {
  prefix: "",
  status: "",
  order: "recent",
  cursors: [] as string[],
  after: undefined as string | undefined,
};

async function threadList(): Promise<void> {
  leave?.();
  leave = undefined;
  ++view;
  const prefix = h("input", { id: "prefix", placeholder: "thread id prefix", value: listState.prefix });
  const status = h(
    "select",
    { id: "status" },
    ["", "running", "paused", "completed", "failed", "cancelled"].map((s) =>
      h(
        "option",
        { value: s, selected: s === listState.status },
        s === "" ? "any status" : s === "paused" ? "paused for approval" : s,
      ),
    ),
  );
  const order = h(
    "select",
    { id: "order", title: "order of the list" },
    [
      ["recent", "recently active first"],
      ["id", "by thread id"],
    ].map(([value, label]) => h("option", { value, selected: value === listState.order }, label)),
  );
  const apply = () => {
    listState.prefix = prefix.value.trim();
    listState.status = status.value;
    listState.order = order.value;
    listState.cursors = [];
    listState.after = undefined;
    void threadList();
  };
  prefix.addEventListener("change", apply);
  status.addEventListener("change", apply);
  order.addEventListener("change", apply);
  const body: HTMLElement = h("tbody", {});
  const pager: HTMLElement = h("div", { class: "pager" });
  clear(
    app,
    h("div", { class: "filters" }, prefix, status, order),
    h(
      "table",
      { class: "threads", id: "threads" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          [
            "thread",
            "status",
            "last activity",
            "events",
            "iterations",
            "tokens (in / out)",
            "cost",
            "errors",
          ].map((t) => h("th", {}, t)),
        ),
      ),
      body,
    ),
    pager,
  );
  const shown = view;
  const query = {
    prefix: listState.prefix,
    status: listState.status,
    order: listState.order,
    after: listState.after,
    limit: 50,
  };
  await fillThreads(body, pager, await get<ThreadPage>("/api/threads", query), false);
  if (shown !== view) return;
  // The list follows the journal: the server reads this page again when the journal changes (at most
  // once a second, for every page showing it) and sends it here when a row changed.
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query))
    if (value !== undefined && value !== "") params.set(key, String(value));
  const source = new EventSource(`/api/threads/live?${params}`);
  let filling = Promise.resolve();
  source.addEventListener("threads", (message) => {
    const page = JSON.parse((message as MessageEvent<string>).data) as ThreadPage;
    filling = filling.then(() => fillThreads(body, pager, page, true)).catch(() => undefined);
  });
  leave = () => source.close();
}

type ThreadPage = { threads: ThreadRow[]; next?: string };

/** Writes a page of threads into the table; `again` keeps the rows' counts until new ones arrive. */
async function fillThreads(
  body: HTMLElement,
  pager: HTMLElement,
  page: ThreadPage,
  again: boolean,
): Promise<void> {
  const previous = new Map(
    [...body.querySelectorAll("tr[data-thread]")].map((row) => [row.getAttribute("data-thread"), row]),
  );
  body.replaceChildren();
  pager.replaceChildren();
  if (page.threads.length === 0)
    body.appendChild(h("tr", {}, h("td", { colspan: 8, class: "muted" }, "No threads.")));
  const fillers: (() => Promise<void>)[] = [];
  for (const t of page.threads) {
    const row = again ? previous.get(t.threadId) : undefined;
    const before = row?.querySelectorAll("td");
    const unchanged =
      row?.getAttribute("data-events") === String(t.eventCount) && before?.[4]?.textContent !== "…";
    const cells = {
      activity: h("td", {}, ago(t.updatedAt)),
      iterations: h("td", { class: "num" }, before?.[4]?.textContent ?? "…"),
      tokens: h("td", { class: "num" }, before?.[5]?.textContent ?? "…"),
      cost: h("td", { class: "num cost" }, before?.[6]?.textContent ?? "…"),
      errors: h("td", { class: "num" }, before?.[7]?.textContent ?? "…"),
    };
    body.appendChild(
      h(
        "tr",
        { "data-thread": t.threadId, "data-events": t.eventCount },
        h("td", {}, h("a", { href: `#/t/${encodeURIComponent(t.threadId)}` }, t.threadId)),
        h("td", {}, badge(t.status)),
        cells.activity,
        h("td", { class: "num" }, number(t.eventCount)),
        cells.iterations,
        cells.tokens,
        cells.cost,
        cells.errors,
      ),
    );
    if (unchanged) continue;
    fillers.push(async () => {
      const s = await get<Summary>(threadPath(t.threadId, "summary"));
      cells.activity.textContent = ago(s.lastActivity ?? t.updatedAt);
      cells.iterations.textContent = number(s.iterations);
      cells.tokens.textContent = `${number(s.inputTokens)} / ${number(s.outputTokens)}`;
      cells.cost.textContent = money(s.cost);
      if (s.unpriced.length) cells.cost.title = `no price for ${s.unpriced.join(", ")}`;
      cells.errors.textContent = number(s.errors);
    });
  }
  const cursorsAtLoad = listState.cursors.length;
  if (cursorsAtLoad > 0)
    pager.appendChild(
      h(
        "button",
        {
          onclick: () => {
            listState.after = listState.cursors.pop() || undefined;
            void threadList();
          },
        },
        "← Previous",
      ),
    );
  if (page.next)
    pager.appendChild(
      h(
        "button",
        {
          id: "next-page",
          onclick: () => {
            listState.cursors.push(listState.after ?? "");
            listState.after = page.next;
            void threadList();
          },
        },
        "Next →",
      ),
    );
  // Counts come after the list: four at a time, so a page of long threads appears at once.
  const queue = [...fillers];
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) await next().catch(() => undefined);
    }),
  );
}

function badge(status: string | undefined): HTMLElement {
  const label =
    status === "paused" || status === "interrupted" ? "paused for approval" : (status ?? "unknown");
  return h("span", { class: `badge ${status === "interrupted" ? "paused" : (status ?? "unknown")}` }, label);
}

// ---------- one thread ----------

const TABS = ["conversation", "events", "flame", "context", "state"] as const;

async function threadView(threadId: string, tab: string, rest: string[]): Promise<void> {
  const shown = view;
  const base = `#/t/${encodeURIComponent(threadId)}`;
  const summaryBox = h("div", { class: "summary", id: "summary" });
  const approvalsBox = h("div", { id: "approvals" });
  const body = h("div", { class: "tab-body", id: "tab-body" });
  const liveDot = h("span", { class: "live", id: "live", title: "live" }, "○ connecting");
  clear(
    app,
    h("div", { class: "thread-head" }, h("h2", {}, threadId), liveDot, summaryBox),
    approvalsBox,
    h(
      "nav",
      { class: "tabs" },
      TABS.map((t) =>
        h("a", { href: `${base}/${t}`, class: t === tab ? "tab current" : "tab", id: `tab-${t}` }, t),
      ),
    ),
    body,
  );

  // Tail first: the newest page of events, then older pages on demand.
  const first = await get<EventsPage>(threadPath(threadId, "events"), { limit: PAGE });
  const events: StoredEvent[] = first.events;
  let head = first.head;
  const firstSeq = () => events[0]?.seq ?? head + 1;

  const refreshSummary = async () => {
    const s = await get<Summary>(threadPath(threadId, "summary"));
    clear(
      summaryBox,
      badge(s.status === "interrupted" ? "paused" : s.status),
      ` ${number(s.lastSeq + 1)} events · ${number(s.iterations)} iterations · ${number(s.inputTokens)} in / ${number(s.outputTokens)} out tokens · cost ${money(s.cost)} · ${s.errors} errors · ${ago(s.lastActivity)}`,
      s.agent ? ` · agent ${s.agent}` : "",
      s.resumeError
        ? h(
            "div",
            { class: "error", id: "resume-error" },
            `Resume failed: ${s.resumeError.code}: ${s.resumeError.message}`,
          )
        : null,
      h(
        "form",
        {
          class: "fork",
          onsubmit: (e: Event) => {
            e.preventDefault();
            const form = e.target as HTMLFormElement;
            const at = Number((form.elements.namedItem("at") as HTMLInputElement).value);
            const to = (form.elements.namedItem("to") as HTMLInputElement).value.trim();
            post<{ threadId: string }>(threadPath(threadId, "fork"), { at, to })
              .then((r) => {
                location.hash = `#/t/${encodeURIComponent(r.threadId)}`;
              })
              .catch((error: Error) => alertBox(summaryBox, error.message));
          },
        },
        "Fork at #",
        h("input", { name: "at", type: "number", min: 0, max: s.lastSeq, value: s.lastSeq, class: "small" }),
        " into ",
        h("input", { name: "to", value: `${threadId}-fork`, class: "medium" }),
        h("button", { type: "submit" }, "Fork"),
      ),
      s.status === "running" || s.status === "interrupted" ? cancelForm(threadId, summaryBox) : null,
      // Offered for a running thread too: one whose process died mid-run has nobody to refuse it.
      deleteForm(threadId, s.lastSeq, summaryBox),
    );
  };

  const refreshApprovals = async () => {
    const { approvals } = await get<{ approvals: Approval[] }>(threadPath(threadId, "approvals"));
    clear(approvalsBox, approvals.length ? approvalCards(approvals, refreshApprovals) : null);
  };

  let render: () => void = () => undefined;
  const loadEarlier = async () => {
    const page = await get<EventsPage>(threadPath(threadId, "events"), { before: firstSeq(), limit: PAGE });
    events.unshift(...page.events);
    render();
  };
  const earlierButton = () =>
    firstSeq() > 0
      ? h(
          "button",
          { id: "load-earlier", onclick: () => void loadEarlier() },
          `Load ${Math.min(PAGE, firstSeq())} earlier events`,
        )
      : null;

  switch (tab) {
    case "events":
      render = () => clear(body, earlierButton(), eventTable(events));
      break;
    case "flame":
      render = () => undefined;
      clear(body, flameView(threadId, head, rest));
      break;
    case "context":
      render = () => undefined;
      await contextView(
        threadId,
        body,
        rest[0] ?? "root",
        rest[1] !== undefined ? Number(rest[1]) : undefined,
      );
      break;
    case "state":
      render = () => undefined;
      await stateView(threadId, body, rest[0] !== undefined ? Number(rest[0]) : head);
      break;
    default:
      render = () => clear(body, earlierButton(), conversation(events, firstSeq()));
  }
  render();
  await Promise.all([refreshSummary(), refreshApprovals()]);

  if (shown !== view) return; // another view was opened meanwhile
  // Live: every event journaled from now on, from this process or any other.
  const source = new EventSource(`${threadPath(threadId, "live")}?from=${head + 1}`);
  let pending = false;
  source.addEventListener("open", () => {
    liveDot.textContent = "● live";
    liveDot.classList.add("on");
  });
  source.addEventListener("loom", (message) => {
    const event = JSON.parse((message as MessageEvent<string>).data) as StoredEvent;
    if (event.seq <= head) return;
    head = event.seq;
    events.push(event);
    if (pending) return;
    pending = true;
    setTimeout(() => {
      pending = false;
      render();
      void refreshSummary().catch(() => undefined);
      void refreshApprovals().catch(() => undefined);
    }, 100);
  });
  source.addEventListener("error", () => {
    liveDot.textContent = "○ reconnecting";
    liveDot.classList.remove("on");
  });
  leave = () => source.close();
}

/** Events a flame graph shows at once: a longer thread is drawn a range at a time, the newest first. */
const FLAME_RANGE = 10_000;

/** The flame graph of the range in the address (`/flame/<from>/<to>`), or of the newest events. */
function flameView(threadId: string, head: number, rest: string[]): HTMLElement {
  const whole = head + 1 <= FLAME_RANGE && rest[0] === undefined;
  const to = Math.min(rest[1] !== undefined ? Number(rest[1]) : head, head);
  const from = Math.max(0, rest[0] !== undefined ? Number(rest[0]) : to - FLAME_RANGE + 1);
  const src = whole
    ? threadPath(threadId, "flame")
    : `${threadPath(threadId, "flame")}?from=${from}&to=${to}`;
  const go = (a: number, b: number) => {
    location.hash = `#/t/${encodeURIComponent(threadId)}/flame/${Math.max(0, a)}/${Math.min(head, b)}`;
  };
  const fromInput = h("input", {
    name: "from",
    type: "number",
    min: 0,
    max: head,
    value: from,
    class: "small",
  });
  const toInput = h("input", { name: "to", type: "number", min: 0, max: head, value: to, class: "small" });
  return h(
    "div",
    {},
    h(
      "form",
      {
        class: "flame-range",
        id: "flame-range",
        onsubmit: (e: Event) => {
          e.preventDefault();
          go(Number(fromInput.value), Number(toInput.value));
        },
      },
      whole
        ? `All ${number(head + 1)} events · `
        : `Events ${number(from)}–${number(to)} of ${number(head + 1)} · `,
      "from #",
      fromInput,
      " to #",
      toInput,
      h("button", { type: "submit" }, "Draw"),
      from > 0
        ? h(
            "button",
            { type: "button", id: "flame-earlier", onclick: () => go(from - FLAME_RANGE, from - 1) },
            "← earlier",
          )
        : null,
      to < head
        ? h(
            "button",
            { type: "button", id: "flame-later", onclick: () => go(to + 1, to + FLAME_RANGE) },
            "later →",
          )
        : null,
    ),
    h("iframe", { class: "flame", id: "flame", src, title: "flame graph" }),
  );
}

/**
 * Cancels a thread's run (core's cancelRun): journaled here when nobody runs it (paused, or left by a
 * crash), so no approved call of it runs; else asked of the process that runs it, whose
 * `run.cancelled` the live view then shows.
 */
function cancelForm(threadId: string, parent: HTMLElement): HTMLElement {
  const reason = h("input", { id: "cancel-reason", class: "medium", placeholder: "why cancel" });
  return h(
    "form",
    {
      class: "fork",
      onsubmit: (e: Event) => {
        e.preventDefault();
        post(threadPath(threadId, "cancel"), {
          reason: reason.value.trim() || "cancelled in Loom Studio",
        }).catch((error: Error) => alertBox(parent, error.message));
      },
    },
    reason,
    h("button", { type: "submit", id: "cancel", class: "reject" }, "Cancel thread"),
  );
}

/**
 * Deletes the thread (core's `deleteThread`) after a second click that names what goes; only as it
 * was shown: a thread that took events since, or that a run took up, is refused and stays.
 */
function deleteForm(threadId: string, lastSeq: number, parent: HTMLElement): HTMLElement {
  const confirm = h(
    "span",
    { id: "delete-confirm", hidden: true },
    ` Delete all ${number(lastSeq + 1)} events of ${threadId}? This cannot be undone. `,
    h("button", { type: "submit", id: "delete-yes", class: "reject" }, "Delete"),
    h("button", { type: "button", id: "delete-no", onclick: () => (confirm.hidden = true) }, "Keep"),
  );
  return h(
    "form",
    {
      class: "fork",
      onsubmit: (e: Event) => {
        e.preventDefault();
        post(threadPath(threadId, "delete"), { expectedSeq: lastSeq })
          .then(() => {
            location.hash = "#/";
          })
          .catch((error: Error) => alertBox(parent, error.message));
      },
    },
    h("button", { type: "button", id: "delete", onclick: () => (confirm.hidden = false) }, "Delete thread…"),
    confirm,
  );
}

function alertBox(parent: HTMLElement, message: string): void {
  parent.appendChild(h("div", { class: "error" }, message));
}

function eventTable(events: readonly StoredEvent[]): HTMLElement {
  return h(
    "table",
    { class: "events", id: "events" },
    h(
      "tr",
      {},
      ["seq", "time", "frame", "iteration", "type", ""].map((t) => h("th", {}, t)),
    ),
    events.map((event) => {
      // The JSON is written when asked for: a page of 500 events stays light.
      const raw = h("pre", { class: "raw", hidden: true });
      return h(
        "tr",
        { "data-seq": event.seq },
        h("td", { class: "num" }, String(event.seq)),
        h("td", {}, new Date(event.ts).toISOString().slice(11, 23)),
        h("td", {}, `${"· ".repeat(event.depth)}${event.frameId}`),
        h("td", { class: "num" }, String(event.iteration)),
        h("td", { class: `type ${event.type.split(".")[0]}` }, event.type),
        h(
          "td",
          {},
          h(
            "button",
            {
              class: "link",
              onclick: () => {
                if (!raw.textContent) raw.textContent = json(event);
                raw.hidden = !raw.hidden;
              },
            },
            "JSON",
          ),
          raw,
        ),
      );
    }),
  );
}

function approvalCards(approvals: Approval[], after: () => Promise<void>): HTMLElement {
  return h(
    "section",
    { class: "pending" },
    h("h3", {}, `Waiting for a human (${approvals.length})`),
    approvals.map((a) => {
      const args = h("textarea", { class: "args-edit", rows: 4 }, json(a.args));
      const reason = h("input", { class: "reject-reason", placeholder: "reason (told to the model)" });
      const status = h("div", { class: "decision-status" });
      const decide = (decision: unknown) =>
        post<{ recorded: string[]; pending: number; resuming: boolean }>(
          threadPath(a.threadId, "decisions"),
          { decisions: { [a.ref]: decision } },
        )
          .then((r) => {
            status.textContent = r.resuming
              ? "Decided; the thread is resuming."
              : r.pending > 0
                ? `Decision recorded; ${r.pending} call(s) still wait.`
                : "Decision recorded; the thread continues when its agent resumes it.";
            return after();
          })
          .catch((error: Error) => {
            status.textContent = error.message;
            status.classList.add("error");
          });
      return h(
        "div",
        { class: "approval", "data-ref": a.ref },
        h("div", {}, h("b", {}, a.name), ` · call ${a.ref} · frame ${a.frameId}`),
        h("div", { class: "muted" }, a.reason),
        args,
        a.inputSchema !== undefined
          ? h(
              "details",
              { class: "schema" },
              h("summary", {}, "arguments schema"),
              h("pre", {}, json(a.inputSchema)),
            )
          : null,
        h(
          "div",
          { class: "actions" },
          h("button", { class: "approve", onclick: () => void decide({ approve: true }) }, "Approve"),
          h(
            "button",
            {
              class: "edit",
              onclick: () => {
                let parsed: unknown;
                try {
                  parsed = JSON.parse(args.value);
                } catch {
                  status.textContent = "The arguments are not JSON.";
                  return;
                }
                void decide({ args: parsed });
              },
            },
            "Approve with these arguments",
          ),
          reason,
          h(
            "button",
            {
              class: "reject",
              onclick: () =>
                void decide(
                  reason.value.trim() ? { approve: false, reason: reason.value.trim() } : { approve: false },
                ),
            },
            "Reject",
          ),
        ),
        status,
      );
    }),
  );
}

async function stateView(threadId: string, body: HTMLElement, seq: number): Promise<void> {
  const state = await get<{
    status: string;
    iteration: number;
    messages: { role: string; content: string }[];
    usage: { inputTokens: number; outputTokens: number };
    result?: { text: string };
  }>(threadPath(threadId, "state"), { seq });
  const input = h("input", { type: "number", min: 0, value: seq, id: "state-seq", class: "small" });
  clear(
    body,
    h(
      "form",
      {
        onsubmit: (e: Event) => {
          e.preventDefault();
          location.hash = `#/t/${encodeURIComponent(threadId)}/state/${input.value}`;
        },
      },
      "State right after event #",
      input,
      h("button", { type: "submit" }, "Show"),
    ),
    h(
      "p",
      {},
      `status ${state.status} · iteration ${state.iteration} · ${state.messages.length} messages · ${number(state.usage.inputTokens)} in / ${number(state.usage.outputTokens)} out tokens`,
    ),
    h(
      "div",
      { class: "messages" },
      state.messages.map((m) =>
        h(
          "div",
          { class: `bubble ${m.role}` },
          h("div", { class: "who" }, m.role),
          h("div", { class: "text" }, typeof m.content === "string" ? m.content : json(m.content)),
        ),
      ),
    ),
    h("details", {}, h("summary", {}, "Raw state"), h("pre", {}, json(state))),
  );
}

// ---------- approvals across threads ----------

async function approvalsView(): Promise<void> {
  clear(app, h("p", {}, "Looking for calls waiting for a human…"));
  const { approvals } = await get<{ approvals: Approval[] }>("/api/approvals");
  const byThread = new Map<string, Approval[]>();
  for (const a of approvals) byThread.set(a.threadId, [...(byThread.get(a.threadId) ?? []), a]);
  clear(
    app,
    h("h2", {}, `Waiting for a human: ${approvals.length}`),
    [...byThread].map(([threadId, list]) =>
      h(
        "div",
        {},
        h("h3", {}, h("a", { href: `#/t/${encodeURIComponent(threadId)}` }, threadId)),
        approvalCards(list, approvalsView),
      ),
    ),
  );
}

void get<{ agent: string | null; resumes: boolean }>("/api/info").then((info) => {
  document.getElementById("agent")!.textContent = info.agent
    ? `agent: ${info.agent}`
    : info.resumes
      ? "decided threads are handed on to run"
      : "no agent here: decisions are journaled, the thread's runner resumes it";
});
window.addEventListener("hashchange", route);
route();
