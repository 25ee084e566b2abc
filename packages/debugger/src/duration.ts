/**
 * A duration for people: "0 ms", "0.25 ms", "999 ms", "1.0 s", "59.9 s", "1 min 0 s",
 * "59 min 59 s", "1 h 0 min", "1 d 3 h". The value is rounded once, to the precision of the unit
 * it is shown in, and the unit is chosen after rounding: 999.6 ms is "1.0 s", 59,950 ms is
 * "1 min 0 s", 119,500 ms is "2 min 0 s"; never "1000 ms" or "1 min 60 s".
 *
 * Self-contained (no imports, no helpers): the flame graph page embeds its source.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return `${ms} ms`;
  if (ms < 0) return `-${formatDuration(-ms)}`;
  const hundredths = Math.round(ms * 100) / 100;
  if (hundredths === 0) return "0 ms";
  if (hundredths < 1) return `${hundredths.toFixed(2)} ms`;
  const millis = Math.round(ms);
  if (millis < 1000) return `${millis} ms`;
  const tenths = Math.round(ms / 100);
  if (tenths < 600) return `${(tenths / 10).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  const minutes = Math.round(ms / 60_000);
  if (minutes < 24 * 60) return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
  const hours = Math.round(ms / 3_600_000);
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/**
 * Round ticks for a time axis from `from` to `to` (ms from the start of the thread): a step of
 * 1, 2 or 5 × 10^n ms up to 10 s, then 30 s, 1, 2, 5, 10, 15, 30 min, 1, 2, 3, 6, 12 h, days; at
 * most `maxTicks` intervals. Each tick has its offset and its label ("0", "50 ms", "1.5 s",
 * "2 min", "1 h 30 min").
 *
 * Self-contained (no imports, no helpers): the flame graph page embeds its source to relabel the
 * axis when it zooms.
 */
export function axisTicks(from: number, to: number, maxTicks: number): { at: number; label: string }[] {
  const span = Math.max(to - from, 1e-3);
  const second = 1000;
  const minute = 60 * second;
  const hour = 60 * minute;
  const day = 24 * hour;
  const steps: number[] = [];
  for (let p = 1e-3; p < 10 * second; p *= 10) steps.push(p, 2 * p, 5 * p);
  steps.push(10 * second, 30 * second, minute, 2 * minute, 5 * minute, 10 * minute, 15 * minute);
  steps.push(30 * minute, hour, 2 * hour, 3 * hour, 6 * hour, 12 * hour, day);
  const step = steps.find((s) => span / s <= maxTicks) ?? Math.ceil(span / maxTicks / day) * day;
  const decimals = (unit: number) => Math.max(0, Math.ceil(-Math.log10(step / unit) - 1e-9));
  const label = (ms: number): string => {
    if (Math.abs(ms) < step / 2) return "0";
    // One unit along an axis that reaches a second: 0.5 s, 1.0 s, 1.5 s rather than 500 ms, 1.0 s.
    if (ms < second && (step < 10 || to < second)) return `${ms.toFixed(decimals(1))} ms`;
    if (ms < minute) return `${(ms / second).toFixed(decimals(second))} s`;
    if (step < minute) {
      // Seconds to the step's precision: 4 min 59.8 s, 5 min 0.0 s; whole minutes alone when the
      // step is whole seconds (1 min, 1 min 30 s).
      const d = decimals(second);
      const scale = 10 ** d;
      const units = Math.round((ms / second) * scale);
      const min = Math.floor(units / (60 * scale));
      const rest = units - min * 60 * scale;
      const minutes = min >= 60 ? `${Math.floor(min / 60)} h ${min % 60} min` : `${min} min`;
      return d === 0 && rest === 0 ? minutes : `${minutes} ${(rest / scale).toFixed(d)} s`;
    }
    if (ms < hour) return `${Math.round(ms / minute)} min`;
    if (step < hour || ms < day) {
      const m = Math.round(ms / minute);
      return `${Math.floor(m / 60)} h${m % 60 ? ` ${m % 60} min` : ""}`;
    }
    const h = Math.round(ms / hour);
    return `${Math.floor(h / 24)} d${h % 24 ? ` ${h % 24} h` : ""}`;
  };
  const ticks: { at: number; label: string }[] = [];
  for (let i = Math.ceil(from / step - 1e-9); i * step <= to + 1e-9; i++) {
    const at = i * step + 0; // never -0
    ticks.push({ at, label: label(at) });
  }
  return ticks;
}
