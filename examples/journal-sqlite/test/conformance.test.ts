import { journalConformance } from "@loom/testing/vitest";
import { corrupt, destroy, newStorage, open } from "./storage.ts";

journalConformance("SqliteJournal", {
  newStorage,
  open,
  destroy,
  corrupt,
  processModule: new URL("./storage.ts", import.meta.url),
});
