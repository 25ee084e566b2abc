/** Iteration numbers as "1–3, 5, 7–9". */
export function compactRanges(numbers: readonly number[]): string {
  const sorted = [...new Set(numbers)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const start = sorted[i]!;
    while (i + 1 < sorted.length && sorted[i + 1] === sorted[i]! + 1) i++;
    parts.push(sorted[i] === start ? `${start}` : `${start}–${sorted[i]}`);
  }
  return parts.join(", ");
}

/** "iteration 7" or "iterations 1–3, 5". */
export function iterationsPhrase(numbers: readonly number[]): string {
  return `${new Set(numbers).size === 1 ? "iteration" : "iterations"} ${compactRanges(numbers)}`;
}
