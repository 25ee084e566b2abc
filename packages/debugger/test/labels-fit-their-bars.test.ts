import { flameGraphHtml } from "@loom/debugger";
import { describe, expect, it } from "vitest";
import { fitLabel } from "../src/label-fit.ts";
import { delegatingThread } from "./threads.ts";

const perChar = (px: number) => (text: string) => text.length * px;

describe("a bar's label is its whole name, or a prefix cut after a word with an ellipsis, or nothing", () => {
  it("fitLabel", () => {
    const m = perChar(6);
    expect(fitLabel("scripted/scripted-model", 200, m)).toBe("scripted/scripted-model");
    expect(fitLabel("scripted/scripted-model", 6 * 14, m)).toBe("scripted/…"); // not "scripted/scrip…"
    expect(fitLabel("scripted/scripted-model", 6 * 8, m)).toBe("scripte…"); // no word ends in the first half
    expect(fitLabel("waiting: delete_file", 6 * 16, m)).toBe("waiting: delete…");
    expect(fitLabel("waiting: delete_file", 6 * 15, m)).toBe("waiting:…");
    expect(fitLabel("read_chapter", 6 * 3, m)).toBe("re…");
    expect(fitLabel("read_chapter", 6 * 2, m)).toBe("");
    expect(fitLabel("x", 0, m)).toBe("");
    for (let room = 0; room < 200; room += 3) {
      const label = fitLabel("iterations 1,203–1,250", room, m);
      expect(m(label)).toBeLessThanOrEqual(room);
      expect(label === "" || label === "iterations 1,203–1,250" || label.endsWith("…")).toBe(true);
    }
  });

  it("in the HTML page, each label fits its bar (estimated), and a cut one says so", async () => {
    const { events } = await delegatingThread();
    for (const width of [300, 1200]) {
      const html = flameGraphHtml(events, { width });
      const names: string[] = JSON.parse(
        html.match(/<script type="application\/json" id="flame-data">(.*?)<\/script>/)![1]!,
      ).names;
      const bars = [
        ...html.matchAll(
          /<g class="bar" data-index="(\d+)"[^>]*><rect class="box"[^>]* width="([\d.]+)"[^>]*\/><text[^>]*>(.*?)<\/text><\/g>/g,
        ),
      ];
      expect(bars).toHaveLength(names.length);
      const unescapeXml = (t: string) =>
        t
          .replace(/&lt;/g, "<")
          .replace(/&gt;/g, ">")
          .replace(/&quot;/g, '"')
          .replace(/&#39;/g, "'")
          .replace(/&amp;/g, "&");
      let cut = 0;
      for (const [, index, w, text] of bars) {
        const name = names[Number(index)]!;
        const label = unescapeXml(text!);
        if (label !== "") {
          expect(label.length * 6.6, `"${label}" in a ${w} px bar`).toBeLessThanOrEqual(Number(w) - 8);
        }
        if (label !== name && label !== "") {
          cut++;
          expect(label.endsWith("…"), `"${label}" for "${name}"`).toBe(true);
          expect(name.startsWith(label.slice(0, -1))).toBe(true);
        }
      }
      if (width === 300) expect(cut).toBeGreaterThan(0);
      // No clip path cuts a label mid-letter any more.
      expect(html).not.toContain("clip-path");
    }
  });
});
