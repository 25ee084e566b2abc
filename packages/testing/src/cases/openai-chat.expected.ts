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
      stream: [
        {
          type: "text",
          text: "I'm unable to provide real-time weather updates. To get the current weather in San Francisco, I recommend checking a reliable weather website or a weather app.",
        },
      ],
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
      stream: [
        {
          type: "tool-call",
          index: 0,
          callId: "call_4XzlGBLtUe9dy3GVNV4jhq7h",
          name: "get_weather",
          arguments: '{"city":"New York City"}',
        },
      ],
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
      stream: [
        {
          type: "tool-call",
          index: 0,
          callId: "call_JMW1whyEaYG438VE1OIflxA2",
          name: "GetWeatherArgs",
          arguments: '{"city": "Edinburgh", "country": "GB", "units": "c"}',
        },
        {
          type: "tool-call",
          index: 1,
          callId: "call_DNYTawLBoN8fj3KN6qU9N1Ou",
          name: "get_stock_price",
          arguments: '{"ticker": "AAPL", "exchange": "NASDAQ"}',
        },
      ],
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
      stream: [{ type: "text", text: '{"' }],
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
      stream: [
        {
          type: "text",
          text: {
            length: 1724,
            sha256: "53b2d9e583d02b3ff0a0e83be5beb61ce1d16ccddc7ab9f033e72ec8ef55c8e4",
            startsWith: "**Holiday Name:** Harmony Day\n\n**Date:**",
          },
        },
      ],
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
        stream: [
          {
            type: "tool-call",
            index: 0,
            callId: "call_ZR5UUuTt3pf61kjwAJIYdVMj",
            name: "get_capital",
            arguments: '{"country":"UK"}',
          },
        ],
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
        stream: [{ type: "text", text: "The capital of the UK is London." }],
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
      stream: [
        {
          type: "text",
          text: {
            length: 1842,
            sha256: "0bd93e941831fcdd0cead365718237285a315e63f5e693b7cd532fbb221ef58f",
            startsWith: "**Holiday Name:** Galaxy Day  \n\n**Date:*",
          },
        },
      ],
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
        stream: [
          {
            type: "tool-call",
            index: 0,
            callId: "call_TTY8UFNo7rNCaOBUNtlRSvMG",
            name: "lookup_population",
            arguments: '{"country":"Crumpet"}',
          },
        ],
        requestId: "req_1e7dabaf1f0dba1ec89a134d3bde8476",
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
        stream: [
          {
            type: "tool-call",
            index: 0,
            callId: "call_aq9UyiSFkzX6W8Ydc33DoI9Y",
            name: "can_have_dragons",
            arguments: '{"population":123124}',
          },
        ],
        requestId: "req_66cc3b2bbe3be82a37d29fba7672d82b",
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
        stream: [{ type: "text", text: "YES" }],
        requestId: "req_d157a5a0f4b64776bc387ccab624e664",
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
        stream: [
          {
            type: "tool-call",
            index: 0,
            callId: "call_jYdIdRZHxZTn5bWCq5jlMrJi",
            name: "delete_file",
            arguments: '{"path": ".env"}',
          },
          {
            type: "tool-call",
            index: 1,
            callId: "call_TmlTVWQbzrXCZ4jNsCVNbNqu",
            name: "create_file",
            arguments: '{"path": "test.txt"}',
          },
        ],
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
        stream: [
          {
            type: "text",
            text: "The file `.env` has been deleted and `test.txt` has been created successfully.",
          },
        ],
      },
    },
  ],
  // chat-error-400-unsupported-parameter.vercel-ai.json
  error400: {
    error: {
      code: "bad_request",
      status: 400,
      retryable: false,
      apiMessage:
        "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
    },
  },
  // chat-error-404-model-not-found.pydantic-ai.yaml
  error404: [
    {
      error: {
        code: "not_found",
        status: 404,
        retryable: false,
        apiMessage: "The model `gpt-5.2-proo` does not exist or you do not have access to it.",
      },
    },
  ],
} satisfies Record<string, Expectation | readonly Expectation[]>;
