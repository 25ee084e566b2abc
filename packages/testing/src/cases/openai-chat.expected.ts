import type { Expectation } from "./recorded-calls.js";

// Generated from a run of the provider, then checked by hand against the recordings.
export const EXPECTED = {
  // chat-stream-text.openai-python.sse
  streamText: {
    response: {
      message: {
        content:
          "I'm unable to provide real-time weather updates. To get the current weather in San Francisco, I recommend checking a reliable weather website or a weather app.",
      },
      usage: {
        inputTokens: 14,
        outputTokens: 30,
        reasoningTokens: 0,
      },
      finishReason: {
        unified: "stop",
        raw: "stop",
      },
      deltas: {
        text: 30,
        reasoning: 0,
        toolCall: 0,
      },
      partsSha256: "8614421444018e666c4ce8dc69d5dd4c5e79a547322d9b03ffc1b3855bf5b88b",
    },
  },
  // chat-stream-tool-single.openai-python.sse
  streamToolSingle: {
    response: {
      message: {
        content: "",
        toolCalls: [
          {
            id: "call_4XzlGBLtUe9dy3GVNV4jhq7h",
            name: "get_weather",
            arguments: '{"city":"New York City"}',
          },
        ],
      },
      usage: {
        inputTokens: 44,
        outputTokens: 16,
        reasoningTokens: 0,
      },
      finishReason: {
        unified: "tool-calls",
        raw: "tool_calls",
      },
      deltas: {
        text: 0,
        reasoning: 0,
        toolCall: 8,
      },
      partsSha256: "1fde83868610389d2797b1eea063a392a4a41cf31e02c69b3a60dd86bc2f3f9e",
    },
  },
  // chat-stream-tools-parallel.openai-python.sse
  streamToolsParallel: {
    response: {
      message: {
        content: "",
        toolCalls: [
          {
            id: "call_JMW1whyEaYG438VE1OIflxA2",
            name: "GetWeatherArgs",
            arguments: '{"city": "Edinburgh", "country": "GB", "units": "c"}',
          },
          {
            id: "call_DNYTawLBoN8fj3KN6qU9N1Ou",
            name: "get_stock_price",
            arguments: '{"ticker": "AAPL", "exchange": "NASDAQ"}',
          },
        ],
      },
      usage: {
        inputTokens: 149,
        outputTokens: 60,
        reasoningTokens: 0,
      },
      finishReason: {
        unified: "tool-calls",
        raw: "tool_calls",
      },
      deltas: {
        text: 0,
        reasoning: 0,
        toolCall: 22,
      },
      partsSha256: "3205b6a1172f893659356fd2b4fe2788a3b54b29a4bf56bc4b064b4c3882719d",
    },
  },
  // chat-stream-finish-length.openai-python.sse
  streamFinishLength: {
    response: {
      message: {
        content: '{"',
      },
      usage: {
        inputTokens: 79,
        outputTokens: 1,
        reasoningTokens: 0,
      },
      finishReason: {
        unified: "length",
        raw: "length",
      },
      deltas: {
        text: 1,
        reasoning: 0,
        toolCall: 0,
      },
      partsSha256: "4a0f78fa322c7f4579082699a5f6cc964072866c176a3735a67aef0f1f64a543",
    },
  },
  // chat-stream-text-usage.vercel-ai.chunks.txt
  streamTextUsage: {
    response: {
      message: {
        content: {
          length: 1724,
          sha256: "53b2d9e583d02b3ff0a0e83be5beb61ce1d16ccddc7ab9f033e72ec8ef55c8e4",
          startsWith: "**Holiday Name:** Harmony Day\n\n**Date:**",
        },
      },
      usage: {
        inputTokens: 16,
        outputTokens: 300,
        reasoningTokens: 0,
        cachedInputTokens: 0,
      },
      finishReason: {
        unified: "stop",
        raw: "stop",
      },
      deltas: {
        text: 300,
        reasoning: 0,
        toolCall: 0,
      },
      partsSha256: "fa215b031ee4cd8e6d7affe476323933f68a38746026aa5fbb1fe964c493188d",
    },
  },
  // chat-stream-tool-then-text.pydantic-ai.yaml
  streamToolThenText: [
    {
      response: {
        message: {
          content: "",
          toolCalls: [
            {
              id: "call_ZR5UUuTt3pf61kjwAJIYdVMj",
              name: "get_capital",
              arguments: '{"country":"UK"}',
            },
          ],
        },
        usage: {
          inputTokens: 53,
          outputTokens: 15,
          reasoningTokens: 0,
          cachedInputTokens: 0,
        },
        finishReason: {
          unified: "tool-calls",
          raw: "tool_calls",
        },
        deltas: {
          text: 0,
          reasoning: 0,
          toolCall: 6,
        },
        partsSha256: "445e4e4121a3bc4b9aeec9d5283475ceb18a480ded8a725ee2c24a08c5a42c5b",
      },
    },
    {
      response: {
        message: {
          content: "The capital of the UK is London.",
        },
        usage: {
          inputTokens: 78,
          outputTokens: 9,
          reasoningTokens: 0,
          cachedInputTokens: 0,
        },
        finishReason: {
          unified: "stop",
          raw: "stop",
        },
        deltas: {
          text: 8,
          reasoning: 0,
          toolCall: 0,
        },
        partsSha256: "e51ac1e480755f2361be1e2d93437377c279f124ed96e887606ebde8c8eee502",
      },
    },
  ],
  // chat-nonstream-text.vercel-ai.json
  nonstreamText: {
    response: {
      message: {
        content: {
          length: 1842,
          sha256: "0bd93e941831fcdd0cead365718237285a315e63f5e693b7cd532fbb221ef58f",
          startsWith: "**Holiday Name:** Galaxy Day  \n\n**Date:*",
        },
      },
      usage: {
        inputTokens: 16,
        outputTokens: 363,
        reasoningTokens: 0,
        cachedInputTokens: 0,
      },
      finishReason: {
        unified: "stop",
        raw: "stop",
      },
      deltas: {
        text: 1,
        reasoning: 0,
        toolCall: 0,
      },
      partsSha256: "b244e3046dd662e376fccb092eede9fe5f19a0a29adf4993c5ee930210b70952",
    },
  },
  // chat-nonstream-tool-chain.simonw-llm.yaml
  nonstreamToolChain: [
    {
      response: {
        message: {
          content: "",
          toolCalls: [
            {
              id: "call_TTY8UFNo7rNCaOBUNtlRSvMG",
              name: "lookup_population",
              arguments: '{"country":"Crumpet"}',
            },
          ],
        },
        usage: {
          inputTokens: 92,
          outputTokens: 17,
          reasoningTokens: 0,
          cachedInputTokens: 0,
        },
        finishReason: {
          unified: "tool-calls",
          raw: "tool_calls",
        },
        deltas: {
          text: 0,
          reasoning: 0,
          toolCall: 1,
        },
        requestId: "req_1e7dabaf1f0dba1ec89a134d3bde8476",
        partsSha256: "6c7f3256f6761ba724f3680bcf82217b7a36ea89cc237269f477e375c122085b",
      },
    },
    {
      response: {
        message: {
          content: "",
          toolCalls: [
            {
              id: "call_aq9UyiSFkzX6W8Ydc33DoI9Y",
              name: "can_have_dragons",
              arguments: '{"population":123124}',
            },
          ],
        },
        usage: {
          inputTokens: 118,
          outputTokens: 18,
          reasoningTokens: 0,
          cachedInputTokens: 0,
        },
        finishReason: {
          unified: "tool-calls",
          raw: "tool_calls",
        },
        deltas: {
          text: 0,
          reasoning: 0,
          toolCall: 1,
        },
        requestId: "req_66cc3b2bbe3be82a37d29fba7672d82b",
        partsSha256: "672d6006e88a3f4713c9456c47740b6700e8a5f1bdd045a50031a2e07f17c8ac",
      },
    },
    {
      response: {
        message: {
          content: "YES",
        },
        usage: {
          inputTokens: 146,
          outputTokens: 3,
          reasoningTokens: 0,
          cachedInputTokens: 0,
        },
        finishReason: {
          unified: "stop",
          raw: "stop",
        },
        deltas: {
          text: 1,
          reasoning: 0,
          toolCall: 0,
        },
        requestId: "req_d157a5a0f4b64776bc387ccab624e664",
        partsSha256: "432a4902a287eaa8b091d52e0a3cff2f72661bdc0df698592167ef67cf4c63c9",
      },
    },
  ],
  // chat-nonstream-tools-parallel.pydantic-ai.yaml
  nonstreamToolsParallel: [
    {
      response: {
        message: {
          content: "",
          toolCalls: [
            {
              id: "call_jYdIdRZHxZTn5bWCq5jlMrJi",
              name: "delete_file",
              arguments: '{"path": ".env"}',
            },
            {
              id: "call_TmlTVWQbzrXCZ4jNsCVNbNqu",
              name: "create_file",
              arguments: '{"path": "test.txt"}',
            },
          ],
        },
        usage: {
          inputTokens: 71,
          outputTokens: 46,
          reasoningTokens: 0,
          cachedInputTokens: 0,
        },
        finishReason: {
          unified: "tool-calls",
          raw: "tool_calls",
        },
        deltas: {
          text: 0,
          reasoning: 0,
          toolCall: 2,
        },
        partsSha256: "9df32ebcbf35b84a2e073f2cb0ee50798b4845079cfb23d7a610dbaf19a32c79",
      },
    },
    {
      response: {
        message: {
          content: "The file `.env` has been deleted and `test.txt` has been created successfully.",
        },
        usage: {
          inputTokens: 133,
          outputTokens: 19,
          reasoningTokens: 0,
          cachedInputTokens: 0,
        },
        finishReason: {
          unified: "stop",
          raw: "stop",
        },
        deltas: {
          text: 1,
          reasoning: 0,
          toolCall: 0,
        },
        partsSha256: "a919db27f432884e324da6c1d91251a2ccea7e049c09780bfbaa71af3e5242ba",
      },
    },
  ],
  // chat-error-400-unsupported-parameter.vercel-ai.json
  error400: {
    error: {
      code: "bad_request",
      status: 400,
      retryable: false,
      messageIncludes:
        "OpenAI API 400 (invalid_request_error/unsupported_parameter): Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead. Fix the request (model, settings, messages or tools); retrying will not help.",
    },
  },
  // chat-error-404-model-not-found.pydantic-ai.yaml
  error404: [
    {
      error: {
        code: "not_found",
        status: 404,
        retryable: false,
        messageIncludes:
          "OpenAI API 404 (invalid_request_error/model_not_found): The model `gpt-5.2-proo` does not exist or you do not have access to it. Check the model id and that the API key's project can use it.",
      },
    },
  ],
} satisfies Record<string, Expectation | readonly Expectation[]>;
