import { MemoryJournal, readAll } from "@loom/core";
import { describe, expect, it } from "vitest";
import { approvingAll, unsealed } from "./helpers.js";
import { type Ledger, scenarios, transcripts } from "./scenarios.js";

const THREAD = "prefix-thread";

describe("resume from every prefix", () => {
  for (const scenario of scenarios) {
    it(`${scenario.name}: every cut resumes to the uncut transcript and result, never re-running a completed tool`, async () => {
      const journal = new MemoryJournal();
      const ledger: Ledger = new Map();
      const agent = scenario.make(journal, ledger);
      const uncut = await approvingAll(agent, THREAD, agent.run(scenario.input, { threadId: THREAD }));
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
        await cut.append(THREAD, prefix.map(unsealed), -1);
        const resumedLedger: Ledger = new Map();
        const resumed = scenario.make(cut, resumedLedger);
        const result = await approvingAll(resumed, THREAD, resumed.resume(THREAD));
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
