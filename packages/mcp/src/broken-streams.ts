/** How long a broken response stream may take to resume before its calls fail as of unknown outcome. */
export const RESUME_WITHIN_MS = 5_000;

/**
 * The SDK's reconnection of a broken Streamable HTTP stream: quick, and few attempts, so that a call
 * on a server that is gone fails in about two seconds (250 + 500 + 1,000 ms between attempts).
 */
export const RECONNECTION = {
  initialReconnectionDelay: 250,
  maxReconnectionDelay: 2_000,
  reconnectionDelayGrowFactor: 2,
  maxRetries: 3,
};

/**
 * Follows the response streams of one Streamable HTTP connection that broke mid-call. A server that
 * numbers its events (an event store) lets the SDK reconnect with `Last-Event-ID` and replay what
 * was missed, so the call goes on and completes once; a stream without numbered events cannot
 * resume, and waiting would only hold its calls until their timeout. `giveUp` closes the connection,
 * failing its calls at once with an unknown outcome: when a stream that cannot resume breaks, when
 * the SDK stops trying, or when the broken streams have not all resumed within `withinMs`.
 */
export class BrokenStreams {
  private broken = 0;
  private deadline: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly giveUp: () => void,
    private readonly withinMs = RESUME_WITHIN_MS,
  ) {}

  /** A stream broke; `resumable` when every call in flight has heard a numbered event. */
  lost(resumable: boolean): void {
    if (!resumable) {
      this.end();
      return;
    }
    this.broken++;
    this.deadline ??= setTimeout(() => this.end(), this.withinMs);
  }

  /** The SDK reconnected a stream (the server answered its GET). */
  resumed(): void {
    this.broken = Math.max(0, this.broken - 1);
    if (this.broken === 0) this.stop();
  }

  /** The SDK gave up reconnecting. */
  failed(): void {
    this.end();
  }

  stop(): void {
    clearTimeout(this.deadline);
    this.deadline = undefined;
    this.broken = 0;
  }

  private end(): void {
    this.stop();
    this.giveUp();
  }
}
