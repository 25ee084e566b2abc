import { journalConformance } from "@loom/testing/vitest";
import { afterAll } from "vitest";
import { adminPool, dropSchema, journalIn, uniqueSchema } from "./database.ts";

const admin = adminPool();
const schemas: string[] = [];
afterAll(async () => {
  for (const schema of schemas) await dropSchema(admin, schema);
  await admin.end();
});

journalConformance("PostgresJournal", () => {
  const schema = uniqueSchema("conformance");
  schemas.push(schema);
  return journalIn(schema, { poolConfig: { max: 12 } });
});
