import {
  type Agent,
  MemoryJournal,
  type NewEvent,
  type RunResult,
  readAll,
  type StoredEvent,
} from "@loom/core";
import { describe, expect, it } from "vitest";
import { type Ledger, scenarios, transcripts } from "./scenarios.js";

const THREAD = "prefix-thread";

/** Resumes until the run completes, approving whatever a human is asked. */
async function finish(agent: Agent, first: Promise<RunResult>): Promise<RunResult> {
  let result = await first;
  for (let i = 0; result.status === "interrupted" && i < 10; i++) {
    const decisions = Object.fromEntries(result.pending.map((p) => [p.callId, { approve: true as const }]));
    result = await agent.resume(THREAD, { decisions });
  }
  return result;
}

function strip(event: StoredEvent): NewEvent {
  const { threadId: _t, seq: _s, ...rest } = event;
  return rest as NewEvent;
}

describe("resume from every prefix", () => {
  for (const scenario of scenarios) {
    it(`${scenario.name}: every cut resumes to the uncut transcript and result, never re-running a completed tool`, async () => {
      const journal = new MemoryJournal();
      const ledger: Ledger = new Map();
      const agent = scenario.make(journal, ledger);
      const uncut = await finish(agent, agent.run(scenario.input, { threadId: THREAD }));
      expect(uncut.status).toBe("completed");
      if (uncut.status !== "completed") return;
      const events = await readAll(journal, THREAD);
      const expected = transcripts(uncut.frame);
      if (scenario.name.startsWith("compression")) {
        expect(events.filter((e) => e.type === "compression.applied").length).toBeGreaterThan(0);
      }
      for (const count of ledger.values()) expect(count).toBe(1);

      for (let k = 1; k <= events.length; k++) {
        const prefix = events.slice(0, k);
        const cut = new MemoryJournal();
        await cut.append(THREAD, prefix.map(strip), -1);
        const resumedLedger: Ledger = new Map();
        const resumed = scenario.make(cut, resumedLedger);
        const result = await finish(resumed, resumed.resume(THREAD));
        const where = `${scenario.name}, cut after ${k} events (last: ${prefix.at(-1)!.type})`;
        expect(result.status, where).toBe("completed");
        if (result.status !== "completed") continue;
        expect(result.text, where).toBe(uncut.text);
        expect(transcripts(result.frame), where).toEqual(expected);
        // A call's key is what its tool.started journaled (a call that never started has none).
        const keys = new Map<string, string>();
        for (const e of prefix)
          if (e.type === "tool.started") keys.set(`${e.frameId}/${e.data.callId}`, e.data.idempotencyKey);
        const completedBefore = prefix.flatMap((e) => {
          const key = e.type === "tool.completed" ? keys.get(`${e.frameId}/${e.data.callId}`) : undefined;
          return key === undefined ? [] : [key];
        });
        for (const key of completedBefore)
          expect(resumedLedger.get(key), `${where}: ${key} ran again`).toBeUndefined();
        const done = await readAll(cut, THREAD);
        expect(
          done.map((e) => e.seq),
          where,
        ).toEqual(done.map((_, i) => i));
      }
    });
  }
});
