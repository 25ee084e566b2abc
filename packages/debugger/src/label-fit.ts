/**
 * The label a bar has room for: the whole name when it fits, else the longest prefix that fits
 * with "…" after it, cut after a word ("scripted/…", not "scripte") when that keeps at least half
 * of what fits; "" when not even two characters fit. `measure` gives a text's width in the unit of
 * `room` (pixels in the page, from a canvas; an estimate on the server).
 *
 * Self-contained (no imports, no helpers): the flame graph page embeds its source to fit labels
 * again after a zoom.
 */
export function fitLabel(name: string, room: number, measure: (text: string) => number): string {
  if (room <= 0 || name.length === 0) return "";
  if (measure(name) <= room) return name;
  let lo = 0;
  let hi = name.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (measure(`${name.slice(0, mid)}…`) <= room) lo = mid;
    else hi = mid - 1;
  }
  let cut = lo;
  for (let i = lo; i >= Math.max(2, Math.ceil(lo / 2)); i--) {
    if (/[\s/\-_.:,@(]/.test(name[i] ?? "") || /[\s/\-_.:,@)]/.test(name[i - 1] ?? "")) {
      cut = i;
      break;
    }
  }
  const kept = name.slice(0, cut).trimEnd();
  return kept.length >= 2 ? `${kept}…` : "";
}
