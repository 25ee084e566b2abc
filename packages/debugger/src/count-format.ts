let numbers: Intl.NumberFormat | undefined;

/**
 * A count with thousands separators ("12,345"). The formatter is built on first use: building one
 * costs a fresh process milliseconds, which a command that draws nothing should not pay.
 */
export function formatCount(value: number): string {
  numbers ??= new Intl.NumberFormat("en-US");
  return numbers.format(value);
}
