import { ConfigError, ProviderError } from "./errors.js";
import type { ModelRequest, Provider, ProviderStreamPart } from "./provider.js";

const FALLBACK = Symbol.for("loom.fallbackProviders");

export interface FallbackOptions {
  /**
   * Whether a failure moves the turn to the next provider. Asked once the failing provider has
   * used up the agent's retries (`retry.maxRetries`), or at once for `overloaded` and
   * `server_error`. Default: retryable errors and `quota_exceeded`; a request the API refused
   * (`bad_request`, `context_length`, `auth`...) would fail anywhere, and fails the run.
   */
  readonly shouldFallback?: (error: ProviderError) => boolean;
}

/** The providers a turn may go to, in order, and when it moves on. */
export interface FallbackChain {
  readonly providers: readonly Provider[];
  shouldFallback(error: ProviderError): boolean;
  /** `overloaded` and `server_error` move on without waiting for the retries. */
  immediate(error: ProviderError): boolean;
}

const defaultShouldFallback = (error: ProviderError) => error.retryable || error.code === "quota_exceeded";

/**
 * A provider that wraps others: each turn goes to the first; when it fails with `overloaded` or
 * `server_error`, or with another retryable error once the agent's retries on it are used up, the
 * next one takes the turn (see `FallbackOptions`). The agent journals which provider and model
 * answered in `llm.completed` (`provider`, `model`), and which failed in `llm.failed` (with
 * `fallback: true` when the turn moved on). Every turn starts from the first provider; a turn
 * resumed after a crash goes on from the provider its failures had reached.
 *
 * Called directly (outside an agent), `doStream` moves on at the first failure that
 * `shouldFallback` accepts, as long as the failing provider had streamed nothing.
 */
export function fallbackProviders(
  providers: readonly Provider[],
  options: FallbackOptions = {},
): Provider & FallbackChain {
  if (!Array.isArray(providers) || providers.length === 0) {
    throw new ConfigError("fallbackProviders(providers): give at least one provider, the primary first.");
  }
  const flat: Provider[] = [];
  for (const [index, provider] of providers.entries()) {
    if (!provider || typeof provider.doStream !== "function") {
      throw new ConfigError(
        `fallbackProviders: providers[${index}] is not a Provider (an object with doStream).`,
      );
    }
    // A chain inside a chain is the same as its providers in its place.
    flat.push(...(fallbackChain(provider)?.providers ?? [provider]));
  }
  if (options.shouldFallback !== undefined && typeof options.shouldFallback !== "function") {
    throw new ConfigError("fallbackProviders: option shouldFallback must be a function.");
  }
  const shouldFallback = options.shouldFallback ?? defaultShouldFallback;
  const primary = flat[0]!;
  return {
    specificationVersion: "v1",
    provider: primary.provider,
    modelId: primary.modelId,
    providers: flat,
    shouldFallback,
    nativeStructuredOutput: flat.every((p) => p.nativeStructuredOutput === true),
    immediate: (error) => error.code === "overloaded" || error.code === "server_error",
    [FALLBACK]: true,
    async *doStream(
      request: ModelRequest,
      { signal }: { signal: AbortSignal },
    ): AsyncIterable<ProviderStreamPart> {
      for (const [index, provider] of flat.entries()) {
        let streamed = false;
        try {
          for await (const part of provider.doStream(request, { signal })) {
            streamed = true;
            yield part;
          }
          return;
        } catch (error) {
          const last = index === flat.length - 1;
          if (last || streamed || signal.aborted || !ProviderError.isInstance(error)) throw error;
          if (!shouldFallback(error)) throw error;
        }
      }
    },
  } as Provider & FallbackChain;
}

/** The chain of a provider made by `fallbackProviders`, or undefined for any other provider. */
export function fallbackChain(provider: Provider): FallbackChain | undefined {
  return FALLBACK in provider ? (provider as unknown as FallbackChain) : undefined;
}
