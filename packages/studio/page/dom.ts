type Child = Node | string | number | null | undefined | false | readonly Child[];
type Attrs = Record<string, string | number | boolean | undefined | ((event: Event) => void)>;

/** Builds an element: `h("button", { class: "x", onclick: () => ... }, "text")`. Text is never parsed as HTML. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === "function") element.addEventListener(key.replace(/^on/, ""), value);
    // Through the CSSOM: the page's CSP refuses style attributes.
    else if (key === "style") element.style.cssText = String(value);
    else if (value === true) element.setAttribute(key, "");
    else element.setAttribute(key, String(value));
  }
  append(element, children);
  return element;
}

function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else
      parent.appendChild(
        typeof child === "object" ? (child as Node) : document.createTextNode(String(child)),
      );
  }
}

export function clear(element: Element, ...children: Child[]): void {
  element.replaceChildren();
  append(element, children);
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? "undefined";
}

export function ago(ts: number | undefined): string {
  if (ts === undefined) return "-";
  const s = Math.round((Date.now() - ts) / 1000);
  if (s < 60) return `${Math.max(0, s)} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return new Date(ts).toISOString().slice(0, 16).replace("T", " ");
}

export function number(n: number): string {
  return n.toLocaleString("en-US");
}

/** US dollars; "—" when unknown (no prices, or a model without one). */
export function money(usd: number | undefined | null): string {
  if (usd === undefined || usd === null) return "—";
  if (usd === 0) return "$0";
  return usd < 0.01 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`;
}
