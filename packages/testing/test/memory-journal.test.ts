import { MemoryJournal } from "@loom/core";
import { journalConformance } from "@loom/testing/vitest";

journalConformance("MemoryJournal", () => new MemoryJournal());
