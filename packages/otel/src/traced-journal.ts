import { type Journal, type NewEvent, sealEvents } from "@loom/core";
import { EventSpans, type SpanOptions } from "./event-spans.js";

export interface TracedJournalOptions extends SpanOptions {
  /**
   * Called when emitting spans fails (a tracer that throws, a journal that cannot be read back on
   * resume). Tracing never fails an append: the events are durable before spans are made. Default:
   * ignore.
   */
  readonly onError?: (error: unknown) => void;
}

/**
 * The journal, with OpenTelemetry spans emitted for every event appended to it: `invoke_agent`,
 * `chat`, `execute_tool` (GenAI semantic conventions), timed by the events' `ts`. It sees every
 * durable event of every run and resume that goes through it, sub-agents included, and needs no
 * change to the agent: `createAgent({ journal: tracedJournal(journal, { tracer }) })`.
 *
 * A run's spans share a trace id derived from its thread and run ids (`traceIdOf`), so a run
 * resumed in another process, with another `tracedJournal`, continues the same trace. On the first
 * append of a run it did not start, the wrapper reads the thread back to find the spans still open
 * (once per resumed run in this process).
 */
export function tracedJournal(journal: Journal, options: TracedJournalOptions): Journal {
  /** Each thread with spans open, and the last seq this wrapper saw of it. */
  const threads = new Map<string, { spans: EventSpans; lastSeq: number }>();
  const report = (error: unknown) => {
    try {
      options.onError?.(error);
    } catch {
      // a reporter that throws must not fail the append either
    }
  };

  /** The thread's spans so far; for a run this process did not start, rebuilt from the journal. */
  const spansOf = (threadId: string, first: NewEvent | undefined, expectedSeq: number) => {
    const known = threads.get(threadId);
    // Someone else wrote the thread since (another process took it over): what we hold is stale.
    if (known?.lastSeq === expectedSeq) return known.spans;
    const spans = new EventSpans({ ...options, live: false });
    threads.set(threadId, { spans, lastSeq: expectedSeq });
    const fresh = expectedSeq < 0 || (first?.type === "run.started" && first.depth === 0);
    if (fresh) {
      spans.live = true;
      return spans;
    }
    return (async () => {
      for await (const event of journal.read(threadId, { to: expectedSeq })) spans.add(event);
      spans.live = true;
      return spans;
    })();
  };

  const observe = (threadId: string, events: readonly NewEvent[], expectedSeq: number) => {
    const add = (spans: EventSpans) => {
      for (const event of sealEvents(threadId, expectedSeq, events)) spans.add(event);
      // A run that ended or paused holds nothing open: forget the thread until it runs again.
      if (spans.idle) threads.delete(threadId);
      else threads.set(threadId, { spans, lastSeq: expectedSeq + events.length });
    };
    const spans = spansOf(threadId, events[0], expectedSeq);
    if (spans instanceof EventSpans) return add(spans);
    return spans.then(add);
  };

  const observeNow = async (threadId: string, events: readonly NewEvent[], expectedSeq: number) => {
    try {
      // Synchronous unless the thread must be read back first: no extra await per append.
      const pending = observe(threadId, events, expectedSeq);
      if (pending) await pending;
    } catch (error) {
      threads.delete(threadId);
      report(error);
    }
  };
  /** Each thread's last append still being observed: the next is observed after it (in seq order). */
  const observing = new Map<string, Promise<unknown>>();

  const traced: Journal = {
    specificationVersion: "v1",
    // A journal that pipelines appends may take the next before this one settles: its events are
    // observed once every append made before it on the thread has been.
    ...(journal.pipelinesAppends === true ? { pipelinesAppends: true } : {}),
    ...(journal.filtersThreads === true ? { filtersThreads: true } : {}),
    async append(threadId, events, expectedSeq) {
      if (journal.pipelinesAppends !== true) {
        const result = await journal.append(threadId, events, expectedSeq);
        await observeNow(threadId, events, expectedSeq);
        return result;
      }
      const appended = journal.append(threadId, events, expectedSeq);
      appended.catch(() => undefined); // awaited below, once the appends before it are observed
      const before = observing.get(threadId);
      const turn = (before ?? Promise.resolve())
        .then(
          () => undefined,
          () => undefined,
        )
        .then(() => appended)
        .then(() => observeNow(threadId, events, expectedSeq));
      observing.set(threadId, turn);
      try {
        await turn;
        return await appended;
      } finally {
        if (observing.get(threadId) === turn) observing.delete(threadId);
      }
    },
    read: (threadId, range) => journal.read(threadId, range),
    head: (threadId) => journal.head(threadId),
    threads: (query) => journal.threads(query),
    fork: (from, atSeq, to) => journal.fork(from, atSeq, to),
    close: () => journal.close(),
  };
  // What the journal offers beyond the required methods, offered as it is: a wrapper that dropped
  // one would turn every resume into a fold from the first event (latestSnapshot), a cancel from
  // another process into a no-op (requestCancel), a live view into polling (subscribe), and so on.
  if (journal.acquire) traced.acquire = journal.acquire.bind(journal);
  if (journal.requestCancel) traced.requestCancel = journal.requestCancel.bind(journal);
  if (journal.subscribe) traced.subscribe = journal.subscribe.bind(journal);
  if (journal.latestSnapshot) traced.latestSnapshot = journal.latestSnapshot.bind(journal);
  if (journal.recentThreads) traced.recentThreads = journal.recentThreads.bind(journal);
  if (journal.deleteThread) {
    const deleteThread = journal.deleteThread.bind(journal);
    traced.deleteThread = async (threadId, options) => {
      const deleted = await deleteThread(threadId, options);
      // Spans held open for it belong to events that no longer exist.
      threads.delete(threadId);
      return deleted;
    };
  }
  return traced;
}
