import { ThreadBusyError } from "@loom/core";
import { afterAll, expect, it } from "vitest";
import { adminPool, dropSchema, journalIn, lockHolder as lockHolderOf, uniqueSchema } from "./database.ts";

const schema = uniqueSchema("lease");
const admin = adminPool();
afterAll(async () => {
  await dropSchema(admin, schema);
  await admin.end();
});

const lockHolder = (threadId: string) => lockHolderOf(admin, schema, threadId);

it("refuses a second journal's acquire with ThreadBusyError naming the session, until the first releases", async () => {
  const first = journalIn(schema, { poolConfig: { application_name: "loom-lease-first" } });
  const second = journalIn(schema);
  const lease = await first.acquire("t");
  const holder = await lockHolder("t");
  expect(holder).toBeTypeOf("number");

  const error = await second.acquire("t").catch((e: unknown) => e);
  expect(ThreadBusyError.isInstance(error)).toBe(true);
  expect((error as ThreadBusyError).code).toBe("thread_busy");
  expect((error as ThreadBusyError).owner).toBe(
    `PostgreSQL session ${holder} (application "loom-lease-first", client 127.0.0.1)`,
  );
  expect((error as Error).message).toContain(`PostgreSQL session ${holder}`);
  // The same journal, asked twice, refuses without taking a connection.
  const again = await first.acquire("t").catch((e: unknown) => e);
  expect((again as ThreadBusyError).owner).toMatch(/another lease of this PostgresJournal/);

  await lease.release();
  expect(await lockHolder("t")).toBeUndefined();
  const next = await second.acquire("t");
  await lease.release(); // a second release does nothing, and never frees the next owner
  expect(ThreadBusyError.isInstance(await first.acquire("t").catch((e: unknown) => e))).toBe(true);
  await next.release();
  await first.close();
  await second.close();
});

it("loses the lease when its connection is terminated: the next acquire gets the thread at once", async () => {
  const first = journalIn(schema);
  const second = journalIn(schema);
  const lease = await first.acquire("t2");
  const holder = await lockHolder("t2");
  expect(ThreadBusyError.isInstance(await second.acquire("t2").catch((e: unknown) => e))).toBe(true);
  expect(lease.lost?.aborted).toBe(false);
  const told = new Promise<unknown>((resolve) =>
    lease.lost?.addEventListener("abort", () => resolve(lease.lost?.reason), { once: true }),
  );

  await admin.query("SELECT pg_terminate_backend($1)", [holder]);
  // The owner is told: its run stops (ThreadLeaseLostError) before another owner can be far along.
  const reason = await told;
  expect(reason).toBeInstanceOf(Error);
  expect((reason as Error).message).toMatch(/^its PostgreSQL connection broke: terminating connection/);
  let next: Awaited<ReturnType<typeof second.acquire>> | undefined;
  const started = performance.now();
  // The backend is gone once pg_terminate_backend's signal lands; that takes milliseconds.
  while (!next && performance.now() - started < 5_000) {
    next = await second.acquire("t2").catch(() => undefined);
  }
  expect(next).toBeDefined();
  expect(performance.now() - started).toBeLessThan(1_000);
  // The lost lease releases without error (its broken connection is discarded), and the journal works.
  await lease.release();
  expect(await first.append("t2", [], -1)).toEqual({ lastSeq: -1 });
  await next!.release();
  await first.close();
  await second.close();
});

it("does not say a lease was lost when it was given up, nor when another journal's lease was lost", async () => {
  const journal = journalIn(schema);
  const other = journalIn(schema);
  const lease = await journal.acquire("t5");
  const kept = await other.acquire("t6");
  // Listened for before the terminate, as in the test above: under load the loss can be reported
  // before the terminating query returns, and a listener added after it would wait forever.
  const keptLost = new Promise<void>((resolve) =>
    kept.lost?.addEventListener("abort", () => resolve(), { once: true }),
  );
  await admin.query("SELECT pg_terminate_backend($1)", [await lockHolder("t6")]);
  await keptLost;
  expect(lease.lost?.aborted).toBe(false);
  await lease.release();
  // The released connection went back to the pool; closing the pool ends it, which is not a loss.
  await journal.close();
  expect(lease.lost?.aborted).toBe(false);
  await kept.release();
  await other.close();
});

it("frees a journal's leases when it closes", async () => {
  const first = journalIn(schema);
  const lease = await first.acquire("t3");
  await first.acquire("t4");
  await first.close();
  // Its owner is told: the thread may be another's from now on.
  expect(lease.lost?.aborted).toBe(true);
  expect(lease.lost?.reason).toEqual(new Error("the journal was closed"));
  const second = journalIn(schema);
  await (await second.acquire("t3")).release();
  await (await second.acquire("t4")).release();
  await second.close();
});
