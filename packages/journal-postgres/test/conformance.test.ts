import { existsSync } from "node:fs";
import { type JournalStorageFactory, journalConformance } from "@loom/testing/vitest";
import { afterAll } from "vitest";
import { PostgresJournal } from "../src/index.ts";
import { adminPool, DATABASE_URL, dropSchema, uniqueSchema } from "./database.ts";

const admin = adminPool();
afterAll(() => admin.end());
if (!existsSync(new URL("../dist/index.js", import.meta.url))) {
  throw new Error("The conformance kit's writer processes load the built package: run `pnpm build` first.");
}

interface Storage {
  readonly connectionString: string;
  readonly schema: string;
}

const factory: JournalStorageFactory<Storage> = {
  newStorage: () => ({ connectionString: DATABASE_URL, schema: uniqueSchema("conformance") }),
  open: (storage) => new PostgresJournal({ ...storage, poolConfig: { max: 12 } }),
  destroy: (storage) => dropSchema(admin, storage.schema),
  // A row whose data no longer matches its type, as a hand edit or a bad migration leaves it.
  corrupt: async ({ schema }, { threadId, seq }) => {
    await admin.query(
      `UPDATE "${schema}".batches
       SET events = jsonb_set(events::jsonb, ARRAY['events', ($2 - first_seq)::text, 'data'], '{"broken":true}')::text
       WHERE thread_id = $1 AND $2 BETWEEN first_seq AND last_seq`,
      [threadId, seq],
    );
  },
  processModule: new URL("./fixtures/open-journal.mjs", import.meta.url),
};

journalConformance("PostgresJournal", factory);
