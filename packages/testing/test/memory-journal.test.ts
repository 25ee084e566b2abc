import { MemoryJournal } from "@loom/core";
import { journalConformance } from "@loom/testing";

journalConformance("MemoryJournal", () => new MemoryJournal());
