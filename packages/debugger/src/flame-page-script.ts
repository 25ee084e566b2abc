import { axisTicks, formatDuration } from "./duration.js";
import { fitLabel } from "./label-fit.js";
import { placeTickLabels, ticksAround, toDisplay, toReal } from "./time-axis.js";

/**
 * The flame graph page's script: tooltips, labels fitted to their bars (measured on a canvas), and
 * zoom to a time range (drag across the graph; "Zoom out", "Show all", Escape). The axis, the
 * labels and the durations use the same functions as the server, embedded from their source.
 * Also `window.loomFlame.zoom(fromMs, toMs)` and `.reset()`, in ms from the thread's first event,
 * and `.find(text)`: the find box (bars whose name or tooltip holds the text, any case).
 * The page's data (the bars' data-s and data-e included) is real time, and so is what the page says
 * and `loomFlame` takes and gives; bars and the zoom work in display time, where idle stretches are
 * narrow breaks.
 */
export function pageScript(): string {
  return `(function () {
  "use strict";
  var axisTicks = ${axisTicks.toString()};
  var formatDuration = ${formatDuration.toString()};
  var fitLabel = ${fitLabel.toString()};
  var toDisplay = ${toDisplay.toString()};
  var toReal = ${toReal.toString()};
  var ticksAround = ${ticksAround.toString()};
  var placeTickLabels = ${placeTickLabels.toString()};
  var data = JSON.parse(document.getElementById("flame-data").textContent);
  var svg = document.getElementById("flame");
  var tip = document.getElementById("tooltip");
  var ticks = document.getElementById("ticks");
  var selection = document.getElementById("selection");
  var info = document.getElementById("zoom-info");
  var zoomOut = document.getElementById("zoom-out");
  var reset = document.getElementById("zoom-reset");
  var NS = "http://www.w3.org/2000/svg";
  // Times in the page's data are real ms; "to scale" draws every stretch at its length (no breaks).
  var G = data.gutter, W = data.width, realTotal = data.total, allBreaks = data.breaks, breaks = allBreaks;
  var toScale = document.getElementById("to-scale");
  var gapNodes = svg.querySelectorAll(".gap");
  var gaps = [];
  for (var n = 0; n < gapNodes.length; n++) {
    gaps.push({ g: gapNodes[n], rect: gapNodes[n].querySelector("rect"), text: gapNodes[n].querySelector("text"),
      at: allBreaks[n].at, w: allBreaks[n].width });
  }
  var nodes = svg.querySelectorAll(".bar");
  var bars = [];
  for (var i = 0; i < nodes.length; i++) {
    var g = nodes[i];
    bars.push({ g: g, box: g.querySelector("rect.box"), text: g.querySelector("text"), mark: g.querySelector("line.mark"),
      rs: Number(g.getAttribute("data-s")), re: Number(g.getAttribute("data-e")), name: data.names[i], shown: true });
  }
  var total;
  /** Places the bars on the display axis (s, e) with the breaks in use. */
  function place() {
    total = toDisplay(breaks, realTotal);
    for (var i = 0; i < bars.length; i++) {
      bars[i].s = toDisplay(breaks, bars[i].rs); bars[i].e = toDisplay(breaks, bars[i].re);
    }
  }
  place();
  var ctx = document.createElement("canvas").getContext("2d");
  var sample = bars.length > 0 ? getComputedStyle(bars[0].text) : null;
  ctx.font = sample ? sample.fontSize + " " + sample.fontFamily : "11px system-ui, sans-serif";
  var widths = new Map();
  function measure(text) {
    var w = widths.get(text);
    if (w === undefined) { w = ctx.measureText(text).width; widths.set(text, w); }
    return w;
  }
  var v0 = 0, v1 = total;
  var HINT = info.textContent;

  function draw() {
    var k = W / (v1 - v0);
    for (var i = 0; i < bars.length; i++) {
      var b = bars[i];
      var shown = b.e >= v0 && b.s <= v1;
      if (shown !== b.shown) { b.g.style.display = shown ? "" : "none"; b.shown = shown; }
      if (!shown) continue;
      var left = G + (Math.max(b.s, v0) - v0) * k;
      var w = Math.max(G + (Math.min(b.e, v1) - v0) * k - left, 2);
      b.box.setAttribute("x", left.toFixed(1));
      b.box.setAttribute("width", w.toFixed(1));
      b.text.setAttribute("x", (left + 4).toFixed(1));
      if (b.mark) {
        // The line marks the moment of the resume: only when that moment is in view.
        var mx = (G + (b.e - v0) * k).toFixed(1);
        b.mark.setAttribute("display", b.e <= v1 ? "inline" : "none");
        b.mark.setAttribute("x1", mx); b.mark.setAttribute("x2", mx);
      }
      var label = fitLabel(b.name, w - 8, measure);
      if (b.text.textContent !== label) b.text.textContent = label;
    }
    var taken = [];
    for (var q = 0; q < gaps.length; q++) {
      var gap = gaps[q];
      var inView = breaks.length > 0 && gap.at + gap.w > v0 && gap.at < v1;
      gap.g.style.display = inView ? "" : "none";
      if (!inView) continue;
      // Cut to the view, as bars are; its label only while its middle is in view.
      var gl = G + (Math.max(gap.at, v0) - v0) * k;
      var gw = Math.max(G + (Math.min(gap.at + gap.w, v1) - v0) * k - gl, 0);
      var mid = G + (gap.at + gap.w / 2 - v0) * k;
      gap.rect.setAttribute("x", gl.toFixed(1)); gap.rect.setAttribute("width", gw.toFixed(1));
      var labelled = mid >= G && mid <= G + W;
      gap.text.setAttribute("display", labelled ? "inline" : "none");
      if (!labelled) continue;
      gap.text.setAttribute("x", mid.toFixed(1));
      var lw = measure(gap.text.textContent);
      taken.push([mid - lw / 2, mid + lw / 2]);
    }
    ticks.textContent = "";
    var list = ticksAround(breaks, v0, v1, data.maxTicks, { axisTicks: axisTicks, toDisplay: toDisplay, toReal: toReal })
      .map(function (t) { return { x: G + (t.at - v0) * k, label: t.label }; });
    var placed = placeTickLabels(list, measure, G + W, data.tickRoom, taken);
    for (var j = 0; j < placed.length; j++) {
      var tx = placed[j].x.toFixed(1);
      var line = document.createElementNS(NS, "line");
      line.setAttribute("class", "tick");
      line.setAttribute("x1", tx); line.setAttribute("x2", tx);
      line.setAttribute("y1", String(data.axis - 6)); line.setAttribute("y2", String(data.height));
      var text = document.createElementNS(NS, "text");
      text.setAttribute("class", "axis");
      if (placed[j].end) {
        text.setAttribute("x", (Number(tx) - 2).toFixed(1)); text.setAttribute("text-anchor", "end");
      } else {
        text.setAttribute("x", (Number(tx) + 2).toFixed(1));
      }
      text.setAttribute("y", String(data.axis - 10));
      text.textContent = placed[j].label;
      ticks.appendChild(line); ticks.appendChild(text);
    }
    var zoomed = v0 > 0 || v1 < total;
    zoomOut.disabled = !zoomed; reset.disabled = !zoomed;
    info.textContent = zoomed
      ? showing(toReal(breaks, v0), toReal(breaks, v1)) + " of " + formatDuration(realTotal) + ". Drag to zoom further; Ctrl + wheel zooms, Shift + wheel or ← → pans."
      : HINT;
  }
  /** The range in view, real time; as a length from its start where its ends round the same. */
  function showing(from, to) {
    var a = formatDuration(from), b = formatDuration(to);
    return a === b ? "Showing " + formatDuration(to - from) + " from " + a : "Showing " + a + " to " + b;
  }
  function zoom(from, to) {
    from = Math.max(0, Math.min(from, total)); to = Math.max(0, Math.min(to, total));
    if (to - from < 0.01) return;
    v0 = from; v1 = to; draw();
  }
  function timeAt(clientX) {
    var px = clientX - svg.getBoundingClientRect().left - G;
    return v0 + (Math.min(Math.max(px, 0), W) / W) * (v1 - v0);
  }
  var dragFrom = null;
  svg.addEventListener("mousedown", function (ev) {
    if (ev.button !== 0) return;
    dragFrom = ev.clientX; ev.preventDefault(); tip.style.display = "none";
  });
  window.addEventListener("mousemove", function (ev) {
    if (dragFrom === null) return;
    var left = svg.getBoundingClientRect().left;
    var a = Math.min(Math.max(Math.min(dragFrom, ev.clientX) - left, G), G + W);
    var b = Math.min(Math.max(Math.max(dragFrom, ev.clientX) - left, G), G + W);
    selection.setAttribute("x", a.toFixed(1)); selection.setAttribute("width", (b - a).toFixed(1));
    selection.setAttribute("display", "inline");
  });
  window.addEventListener("mouseup", function (ev) {
    if (dragFrom === null) return;
    var from = dragFrom; dragFrom = null;
    selection.setAttribute("display", "none");
    if (Math.abs(ev.clientX - from) < 4) return;
    var a = timeAt(from), b = timeAt(ev.clientX);
    zoom(Math.min(a, b), Math.max(a, b));
  });
  /** Scales the view by \`factor\` around display time \`at\`, kept within the thread. */
  function scaleAround(at, factor) {
    var width = Math.min(total, Math.max((v1 - v0) * factor, 0.01));
    var from = at - (at - v0) * (width / (v1 - v0));
    from = Math.max(0, Math.min(from, total - width));
    zoom(from, from + width);
  }
  /** Moves the view by \`share\` of its width (negative: earlier), kept within the thread. */
  function pan(share) {
    var width = v1 - v0;
    var from = Math.max(0, Math.min(v0 + share * width, total - width));
    zoom(from, from + width);
  }
  // Ctrl (or Cmd) + wheel, and a trackpad's pinch, zoom around the pointer; Shift + wheel and a
  // sideways scroll pan. The wheel alone still scrolls the page (a deep graph is taller than it).
  svg.addEventListener("wheel", function (ev) {
    var unit = ev.deltaMode === 1 ? 16 : ev.deltaMode === 2 ? W : 1;
    var dx = ev.deltaX * unit, dy = ev.deltaY * unit;
    if (ev.ctrlKey || ev.metaKey) {
      ev.preventDefault();
      scaleAround(timeAt(ev.clientX), Math.exp(Math.max(-2, Math.min(2, dy * 0.002))));
    } else if (ev.shiftKey || Math.abs(dx) > Math.abs(dy)) {
      ev.preventDefault();
      pan((Math.abs(dx) > Math.abs(dy) ? dx : dy) / W);
    }
  }, { passive: false });
  zoomOut.addEventListener("click", function () {
    var mid = (v0 + v1) / 2, half = v1 - v0;
    var from = Math.max(0, mid - half), to = Math.min(total, mid + half);
    zoom(from, to);
  });
  reset.addEventListener("click", function () { zoom(0, total); });
  /** Idle stretches drawn narrow (the default) or to scale; the range in view stays the same. */
  function setToScale(on) {
    var from = toReal(breaks, v0), to = toReal(breaks, v1), whole = v0 <= 0 && v1 >= total;
    breaks = on ? [] : allBreaks;
    place();
    if (toScale) toScale.checked = on;
    v0 = whole ? 0 : toDisplay(breaks, from); v1 = whole ? total : toDisplay(breaks, to);
    draw();
  }
  if (toScale) toScale.addEventListener("change", function () { setToScale(toScale.checked); });
  var find = document.getElementById("find");
  var findInfo = document.getElementById("find-info");
  var NL = String.fromCharCode(10);
  var haystack = data.tips.map(function (lines, i) { return (data.names[i] + NL + lines.join(NL)).toLowerCase(); });
  var matches = [], current = -1;
  /** Marks the bars whose name or tooltip holds \`text\` (any case) and dims the others; returns how many. */
  function findBars(text) {
    var query = text.trim().toLowerCase();
    matches = [];
    current = -1;
    for (var i = 0; i < bars.length; i++) {
      var hit = query !== "" && haystack[i].indexOf(query) >= 0;
      if (hit) matches.push(i);
      bars[i].g.classList.toggle("match", hit);
      bars[i].g.classList.remove("current");
    }
    // In time order, for Enter to step through.
    matches.sort(function (a, b) { return bars[a].s - bars[b].s || a - b; });
    svg.classList.toggle("finding", query !== "");
    findInfo.textContent = query === "" ? "" : matches.length === 0 ? "no bar matches"
      : matches.length + (matches.length === 1 ? " bar matches" : " bars match") + "; Enter zooms to each in turn";
    return matches.length;
  }
  /** Zooms to the next match (Shift: the one before), with room around it. */
  function nextMatch(step) {
    if (matches.length === 0) return;
    if (current >= 0) bars[matches[current]].g.classList.remove("current");
    current = (current + step + matches.length) % matches.length;
    var b = bars[matches[current]];
    b.g.classList.add("current");
    var room = Math.max((b.e - b.s) * 2, total / 1e6, 0.05);
    zoom(b.s - room, b.e + room);
    findInfo.textContent = (current + 1) + " of " + matches.length + "; Enter: next, Shift + Enter: back";
  }
  find.addEventListener("input", function () { findBars(find.value); });
  find.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter") { ev.preventDefault(); nextMatch(ev.shiftKey ? -1 : 1); }
    else if (ev.key === "Escape") { find.value = ""; findBars(""); find.blur(); }
    // Keys typed into the box are the box's: "-" or an arrow there neither zooms nor pans.
    ev.stopPropagation();
  });
  window.addEventListener("keydown", function (ev) {
    // Ctrl + "-" and the like are the browser's (its own zoom), not the graph's.
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    var keys = { "/": 0, Escape: 0, "+": 0, "=": 0, "-": 0, ArrowLeft: 0, ArrowRight: 0 };
    if (!(ev.key in keys)) return;
    ev.preventDefault();
    if (ev.key === "/") find.focus();
    else if (ev.key === "Escape") zoom(0, total);
    else if (ev.key === "+" || ev.key === "=") scaleAround((v0 + v1) / 2, 0.5);
    else if (ev.key === "-") scaleAround((v0 + v1) / 2, 2);
    else pan(ev.key === "ArrowLeft" ? -0.2 : 0.2);
  });
  svg.addEventListener("mousemove", function (ev) {
    var bar = dragFrom === null && ev.target.closest ? ev.target.closest(".bar") : null;
    if (!bar) { tip.style.display = "none"; return; }
    tip.textContent = data.tips[Number(bar.getAttribute("data-index"))].join(String.fromCharCode(10));
    tip.style.display = "block";
    var left = Math.min(ev.clientX + 12, window.innerWidth - tip.offsetWidth - 4);
    tip.style.left = Math.max(0, left) + "px";
    tip.style.top = ev.clientY + 14 + "px";
  });
  svg.addEventListener("mouseleave", function () { tip.style.display = "none"; });
  window.loomFlame = {
    zoom: function (from, to) { zoom(toDisplay(breaks, from), toDisplay(breaks, to)); },
    reset: function () { zoom(0, total); },
    find: function (text) { find.value = text; return findBars(text); },
    toScale: setToScale,
    view: function () { return [toReal(breaks, v0), toReal(breaks, v1)]; },
  };
  draw();
})();`;
}
