import type { StoredEvent } from "@loom/core";
import { h, json, number } from "./dom.ts";

/**
 * The thread as a person reads it: what the user asked, what the model said and called, each tool's
 * arguments and result, errors, approvals, and sub-agents nested in the call that ran them.
 */
export function conversation(events: readonly StoredEvent[], firstSeq: number): HTMLElement {
  const frames = new Map<string, HTMLElement>();
  const calls = new Map<string, HTMLElement>();
  const root = h("div", { class: "conversation" });
  const frameBox = (event: StoredEvent): HTMLElement => {
    let box = frames.get(event.frameId);
    if (!box) {
      // A frame whose frame.spawned is on a page not loaded yet: shown where its first event falls.
      box = h("div", { class: "frame", "data-frame": event.frameId });
      frames.set(event.frameId, box);
      (event.parentFrameId ? (frames.get(event.parentFrameId) ?? root) : root).appendChild(box);
    }
    return box;
  };
  frames.set("root", root);
  if (firstSeq > 0)
    root.appendChild(h("p", { class: "muted" }, `Earlier events (0–${firstSeq - 1}) are not loaded.`));

  for (const event of events) {
    const box = frameBox(event);
    const key = (callId: string) => `${event.frameId}/${callId}`;
    switch (event.type) {
      case "run.started":
        box.appendChild(
          bubble(
            event.depth === 0 ? "user" : "task",
            event.depth === 0 ? "User" : "Task",
            event.data.input,
            event,
          ),
        );
        break;
      case "llm.completed": {
        const message = event.data.message;
        if (message.content) box.appendChild(bubble("model", "Model", message.content, event));
        break;
      }
      case "llm.failed":
        box.appendChild(
          bubble(
            "error",
            `Model call failed${event.data.willRetry ? " (retrying)" : ""}`,
            `${event.data.error.code}: ${event.data.error.message}`,
            event,
          ),
        );
        break;
      case "tool.started": {
        const card = h(
          "div",
          { class: "tool", "data-call": event.data.callId, "data-seq": event.seq },
          h(
            "div",
            { class: "who" },
            `Tool call · ${event.data.name}`,
            h("span", { class: "seq" }, ` #${event.seq}`),
          ),
          h("pre", { class: "args" }, json(event.data.args)),
          event.data.originalArgs !== undefined
            ? h(
                "details",
                {},
                h("summary", {}, "edited by a human: the model asked"),
                h("pre", {}, json(event.data.originalArgs)),
              )
            : null,
        );
        calls.set(key(event.data.callId), card);
        box.appendChild(card);
        break;
      }
      case "tool.step": {
        // A step of the call that finished (ToolContext.step): another attempt of the call skips it.
        calls
          .get(key(event.data.callId))
          ?.appendChild(
            h(
              "div",
              { class: "tool-step", "data-step": event.data.name },
              `✓ step ${event.data.name}`,
              event.data.value !== undefined
                ? h("code", {}, ` ${JSON.stringify(event.data.value).slice(0, 120)}`)
                : null,
            ),
          );
        break;
      }
      case "tool.completed": {
        const card = calls.get(key(event.data.callId));
        const result = h(
          "div",
          { class: event.data.error ? "result error" : "result" },
          h("div", { class: "who" }, event.data.error ? `Error ${event.data.error.code}` : "Result"),
          h("pre", {}, event.data.content),
          event.data.modelUsage
            ? h(
                "div",
                { class: "tool-usage" },
                `The tool's own model calls: ${event.data.modelUsage
                  .map(
                    (spent) =>
                      `${spent.model !== undefined ? `${spent.provider ?? "?"}/${spent.model}` : "a model it did not name"} ${number(spent.usage.inputTokens)} tokens in / ${number(spent.usage.outputTokens)} out`,
                  )
                  .join("; ")}`,
              )
            : null,
        );
        if (card) card.appendChild(result);
        else
          box.appendChild(
            h("div", { class: "tool" }, h("div", { class: "who" }, `Tool ${event.data.name}`), result),
          );
        break;
      }
      case "approval.requested":
        for (const call of event.data.calls) {
          box.appendChild(
            bubble(
              "approval",
              "Waiting for approval",
              `${call.name} ${json(call.args)}\n${call.reason}`,
              event,
            ),
          );
        }
        break;
      case "approval.resolved":
        box.appendChild(
          bubble(
            event.data.decision === "reject" ? "error" : "approval",
            `Human: ${event.data.decision}`,
            [
              event.data.callId,
              event.data.reason,
              event.data.args !== undefined ? json(event.data.args) : undefined,
            ]
              .filter(Boolean)
              .join(" · "),
            event,
          ),
        );
        break;
      case "frame.spawned": {
        const child = h("div", { class: "frame", "data-frame": event.data.childFrameId });
        frames.set(event.data.childFrameId, child);
        const details = h(
          "details",
          { class: "subagent", open: true },
          h("summary", {}, `Sub-agent ${event.data.name} (frame ${event.data.childFrameId})`),
          child,
        );
        (calls.get(key(event.data.callId)) ?? box).appendChild(details);
        break;
      }
      case "run.failed":
        box.appendChild(
          bubble("error", "Run failed", `${event.data.error.code}: ${event.data.error.message}`, event),
        );
        break;
      case "run.interrupted":
        box.appendChild(bubble("approval", "Paused", event.data.reason, event));
        break;
      case "run.cancelled":
        box.appendChild(bubble("error", "Cancelled", event.data.reason, event));
        break;
      case "run.completed":
        if (event.depth === 0) box.appendChild(h("div", { class: "done" }, `Run completed · #${event.seq}`));
        break;
      default:
        break;
    }
  }
  return root;
}

function bubble(kind: string, who: string, text: string, event: StoredEvent): HTMLElement {
  return h(
    "div",
    { class: `bubble ${kind}`, "data-seq": event.seq },
    h("div", { class: "who" }, who, h("span", { class: "seq" }, ` #${event.seq}`)),
    h("div", { class: "text" }, text),
  );
}
