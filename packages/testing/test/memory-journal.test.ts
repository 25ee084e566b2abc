import { MemoryJournal } from "@loom/core";
import { journalConformance } from "@loom/testing/vitest";

journalConformance(
  "MemoryJournal",
  { newStorage: () => null, open: () => new MemoryJournal() },
  {
    optOut: {
      durability: "MemoryJournal keeps events in process memory; nothing outlives the instance",
      processes: "MemoryJournal lives in one process",
    },
  },
);
