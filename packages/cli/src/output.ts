/** Where the CLI writes. Colours and progress only when the stream is a terminal. */
export interface CliIO {
  readonly stdout: { write(text: string): unknown; isTTY?: boolean };
  readonly stderr: { write(text: string): unknown; isTTY?: boolean };
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

const CODES = { bold: 1, dim: 2, red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90 };
export type Colour = keyof typeof CODES;

export function painter(
  stream: CliIO["stdout"],
  env: CliIO["env"],
): (colour: Colour, text: string) => string {
  const on = stream.isTTY === true && env.NO_COLOR === undefined && env.TERM !== "dumb";
  return (colour, text) => (on ? `\u001b[${CODES[colour]}m${text}\u001b[0m` : text);
}

/** A progress line on stderr for long reads; silent when stderr is not a terminal. */
export function progress(io: CliIO, label: string, total: number): { tick(done: number): void; end(): void } {
  const visible = io.stderr.isTTY === true && total >= 1000;
  let last = 0;
  return {
    tick(done) {
      if (!visible || (done - last < 500 && done !== total)) return;
      last = done;
      const width = 30;
      const filled = Math.round((done / total) * width);
      io.stderr.write(`\r${label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total}`);
    },
    end() {
      if (visible) io.stderr.write("\r\u001b[2K");
    },
  };
}

export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => r[i]?.length ?? 0))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** A running count on stderr for work of unknown length (a scan); silent when stderr is not a terminal. */
export function counter(io: CliIO, every = 250): { tick(text: string, count: number): void; end(): void } {
  const visible = io.stderr.isTTY === true;
  let shown = false;
  return {
    tick(text, count) {
      if (!visible || count % every !== 0) return;
      shown = true;
      io.stderr.write(`\r\u001b[2K${text}`);
    },
    end() {
      if (shown) io.stderr.write("\r\u001b[2K");
    },
  };
}
