import { ConfigError } from "./errors.js";
import { countToolTokens } from "./frame-driver.js";
import type { ToolSpec } from "./provider.js";
import type { Tokenizer } from "./tokenizer.js";
import type { Tool } from "./tool.js";

const BRAND = Symbol.for("loom.ToolSet");

/**
 * Tools that can change while agents run: an MCP server's list when the server says it changed, the
 * tools a user's permissions allow. Give it to `createAgent({ tools })`, alone or beside other
 * tools (`tools: [search, set]`); each model request offers the tools the set holds when the request
 * is assembled, and a call is run with the tool of that name at the time it runs (a call to a tool
 * removed since gets an `unknown_tool` result, as a call to any unknown tool does).
 */
export class ToolSet {
  readonly [BRAND] = true;
  private byName: ReadonlyMap<string, Tool>;
  private changes = 0;
  private readonly pending = new Set<Promise<void>>();

  constructor(tools: readonly Tool[] = []) {
    this.byName = checkTools(tools, "new ToolSet");
  }

  /** True for a ToolSet, also one made by another copy of `@loom/core`. */
  static isInstance(value: unknown): value is ToolSet {
    return typeof value === "object" && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true;
  }

  /** The tools it holds now, in the order they were added. */
  list(): readonly Tool[] {
    return [...this.byName.values()];
  }

  get(name: string): Tool | undefined {
    return this.byName.get(name);
  }

  get size(): number {
    return this.byName.size;
  }

  /** Counts changes: a reader that saw this number has seen the set as it is while it stays the same. */
  get revision(): number {
    return this.changes;
  }

  /**
   * Says an update of the set is under way (a server's list being read again after it changed): an
   * agent using the set waits for it before its next model request, so a call that changed the list
   * is followed by a request that offers the new one. Its failure is the updater's: the set then
   * stays as it is.
   */
  updating(work: Promise<unknown>): void {
    const done: Promise<void> = work.then(
      () => undefined,
      () => undefined,
    );
    this.pending.add(done);
    void done.then(() => this.pending.delete(done));
  }

  /** Resolves once no update is under way (those begun meanwhile included); undefined when none is. */
  settled(): Promise<void> | undefined {
    if (this.pending.size === 0) return undefined;
    return Promise.all(this.pending).then(() => this.settled());
  }

  /** Replaces every tool of the set with these (a refused list changes nothing). */
  replace(tools: readonly Tool[]): void {
    this.byName = checkTools(tools, "ToolSet.replace");
    this.changes++;
  }

  /** Adds tools; a name the set already holds is refused (`ConfigError`) and nothing is added. */
  add(...tools: Tool[]): void {
    this.replace([...this.byName.values(), ...tools]);
  }

  /** Removes the tools of these names; true when one was there. */
  remove(...names: string[]): boolean {
    const kept = [...this.byName.values()].filter((t) => !names.includes(t.name));
    if (kept.length === this.byName.size) return false;
    this.replace(kept);
    return true;
  }
}

/** Checks that each entry was made with `tool()` and that names are unique; the tools by name. */
export function checkTools(tools: readonly Tool[], where: string): ReadonlyMap<string, Tool> {
  if (!Array.isArray(tools)) {
    throw new ConfigError(`${where}: expected a list of tools made with tool({...}), got ${typeof tools}.`);
  }
  const byName = new Map<string, Tool>();
  for (const t of tools) {
    if (!t || typeof t.run !== "function" || !t.spec) {
      throw new ConfigError(`${where}: every entry of "tools" must be made with tool({...}).`);
    }
    if (byName.has(t.name))
      throw new ConfigError(`${where}: two tools are named "${t.name}"; tool names must be unique.`);
    byName.set(t.name, t);
  }
  return byName;
}

/** The tools an agent offers at one moment: by name, as specs, and what the specs cost in tokens. */
export interface ToolsNow {
  readonly tools: ReadonlyMap<string, Tool>;
  readonly specs: readonly ToolSpec[];
  readonly tokens: number;
}

/**
 * An agent's tools: fixed tools and tool sets, read as they are now. Without a set, always the same
 * object; with sets, made again only after one of them changed.
 */
export class Toolbox {
  private now: ToolsNow;
  private readonly sets: readonly ToolSet[];
  private seen: readonly number[];

  constructor(
    private readonly entries: readonly (Tool | ToolSet)[],
    private readonly tokenizer: Tokenizer,
  ) {
    this.sets = entries.filter((e): e is ToolSet => ToolSet.isInstance(e));
    this.seen = this.sets.map((s) => s.revision);
    this.now = this.build("createAgent");
  }

  /** Resolves once no set has an update under way; undefined (nothing to wait for) most of the time. */
  settled(): Promise<void> | undefined {
    if (this.sets.length === 0) return undefined;
    const waits = this.sets.map((s) => s.settled()).filter((w) => w !== undefined);
    return waits.length === 0 ? undefined : Promise.all(waits).then(() => undefined);
  }

  /** The tools as they are now. A change that gives two tools one name raises `ConfigError`. */
  current(): ToolsNow {
    if (this.sets.length === 0) return this.now;
    const revisions = this.sets.map((s) => s.revision);
    if (revisions.some((r, i) => r !== this.seen[i])) {
      this.now = this.build("a ToolSet of this agent changed");
      this.seen = revisions;
    }
    return this.now;
  }

  private build(where: string): ToolsNow {
    const tools = checkTools(
      this.entries.flatMap((e) => (ToolSet.isInstance(e) ? e.list() : [e])),
      where,
    );
    const specs = [...tools.values()].map((t) => t.spec);
    return { tools, specs, tokens: countToolTokens(this.tokenizer, specs) };
  }
}
