import type { Expectation } from "./recorded-calls.js";

// Generated from a run of the provider, then checked by hand against the recordings.
export const EXPECTED = {
  // messages-stream-text.llm-anthropic.yaml
  streamTextLlm: [
    {
      response: {
        message: {
          content: "- Captain\n- Scoop",
        },
        usage: {
          inputTokens: 17,
          outputTokens: 10,
          cachedInputTokens: 0,
          cacheWriteTokens: 0,
        },
        finishReason: {
          unified: "stop",
          raw: "end_turn",
        },
        stream: [{ type: "text", text: "- Captain\n- Scoop" }],
        requestId: "req_011CYEXg9iLMo4YhB4XfkXBw",
      },
    },
  ],
  // messages-stream-text.vercel-ai.chunks.txt
  streamTextVercel: {
    response: {
      message: {
        content:
          "Hello! I'm doing well, thank you for asking. How are you doing today? Is there anything I can help you with?",
      },
      usage: {
        inputTokens: 12,
        outputTokens: 30,
        cachedInputTokens: 0,
        cacheWriteTokens: 0,
      },
      finishReason: {
        unified: "stop",
        raw: "end_turn",
      },
      stream: [
        {
          type: "text",
          text: "Hello! I'm doing well, thank you for asking. How are you doing today? Is there anything I can help you with?",
        },
      ],
    },
  },
  // messages-stream-tool-use-then-text.anthropic-sdk-python.json
  streamToolUseThenText: [
    {
      response: {
        message: {
          content: "",
          toolCalls: [
            {
              id: "toolu_01TJoxvFknVdnV9XpWFPaRmY",
              name: "get_weather",
              arguments: '{"location": "San Francisco, CA", "units": "f"}',
            },
          ],
        },
        usage: {
          inputTokens: 656,
          outputTokens: 74,
          cachedInputTokens: 0,
          cacheWriteTokens: 0,
        },
        finishReason: {
          unified: "tool-calls",
          raw: "tool_use",
        },
        stream: [
          {
            type: "tool-call",
            index: 0,
            callId: "toolu_01TJoxvFknVdnV9XpWFPaRmY",
            name: "get_weather",
            arguments: '{"location": "San Francisco, CA", "units": "f"}',
          },
        ],
      },
    },
    {
      response: {
        message: {
          content: "The weather in San Francisco, CA is currently **68°F and Sunny**. It's a nice day!",
        },
        usage: {
          inputTokens: 770,
          outputTokens: 27,
          cachedInputTokens: 0,
          cacheWriteTokens: 0,
        },
        finishReason: {
          unified: "stop",
          raw: "end_turn",
        },
        stream: [
          {
            type: "text",
            text: "The weather in San Francisco, CA is currently **68\u00b0F and Sunny**. It's a nice day!",
          },
        ],
      },
    },
  ],
  // messages-stream-text-and-tool-use-noargs.vercel-ai.chunks.txt
  streamToolNoArgs: {
    response: {
      message: {
        content: "I'll update the issue list for you.",
        toolCalls: [
          {
            id: "toolu_01QE1WLsSVp5hy5Q3GmGTmjP",
            name: "updateIssueList",
            arguments: "{}",
          },
        ],
      },
      usage: {
        inputTokens: 565,
        outputTokens: 48,
        cachedInputTokens: 0,
        cacheWriteTokens: 0,
      },
      finishReason: {
        unified: "tool-calls",
        raw: "tool_use",
      },
      stream: [
        { type: "text", text: "I'll update the issue list for you." },
        {
          type: "tool-call",
          index: 0,
          callId: "toolu_01QE1WLsSVp5hy5Q3GmGTmjP",
          name: "updateIssueList",
          arguments: "{}",
        },
      ],
    },
  },
  // messages-stream-tools-parallel.vercel-ai.chunks.txt
  streamToolsParallel: {
    response: {
      message: {
        content: "",
        toolCalls: [
          {
            id: "toolu_01LtEf4h1QW7KCKLsYMuhTNB",
            name: "searchDocs",
            arguments: '{"query": "alpha"}',
          },
          {
            id: "toolu_016tfZE7otAFSBjhc67wu189",
            name: "searchDocs",
            arguments: '{"query": "beta"}',
          },
          {
            id: "toolu_01XkU35z8BVWqqc9tijDuLrA",
            name: "searchDocs",
            arguments: '{"query": "gamma"}',
          },
        ],
      },
      usage: {
        inputTokens: 798,
        outputTokens: 110,
        cachedInputTokens: 0,
        cacheWriteTokens: 0,
      },
      finishReason: {
        unified: "tool-calls",
        raw: "tool_use",
      },
      stream: [
        {
          type: "tool-call",
          index: 0,
          callId: "toolu_01LtEf4h1QW7KCKLsYMuhTNB",
          name: "searchDocs",
          arguments: '{"query": "alpha"}',
        },
        {
          type: "tool-call",
          index: 1,
          callId: "toolu_016tfZE7otAFSBjhc67wu189",
          name: "searchDocs",
          arguments: '{"query": "beta"}',
        },
        {
          type: "tool-call",
          index: 2,
          callId: "toolu_01XkU35z8BVWqqc9tijDuLrA",
          name: "searchDocs",
          arguments: '{"query": "gamma"}',
        },
      ],
    },
  },
  // messages-stream-thinking.pydantic-ai.yaml
  streamThinkingPydantic: [
    {
      response: {
        message: {
          content: {
            length: 1021,
            sha256: "1b0c432c3a48cc2829d6ff2b6e2c0f62881416d4583337d6f8a8a9a48ad73dfc",
            startsWith: "Here are the basic steps for safely cros",
          },
          reasoning: [
            {
              text: "This is a straightforward question about pedestrian safety. I should provide clear, helpful advice about how to safely cross a street. This is basic safety information that could help prevent accidents.",
              signature:
                "EvMCCkYICxgCKkCHP2cSuEdcJK/0rFwqES/ecn+VurRpNTwI4XNyM0vnNfGsc9OmE8YYHauwBZ/uaRpmlEn2I4/kszHlcpptO82JEgyRMSbPkJYaegxYF3AaDHZbSm9EzZ6CM+YtliIw3iNVP/ilYrfoneo8S2+ad/5xSC62nKbk6joLtKmqXgXwYFJRpjIUjM2V7EGReOPRKtoBKfNHVmdNf7SeMhHalX/ObSeJ1G/NjDyGQAsDjyHGd7uY1r5gAIn3Cpdv5r+gHYJmWT+w2uiKZsBDRoSf4O3Km0l752EhPD4InEhqpCKyqhbUZ3dt5+JVKQHk2iyTBhQMB/XBYgZTstIpRqQRXU5ypcrydgnqj3mD1G9C7YC0ZTCNvFluAx0OL8q+cQwufgfqKquLEf2+XMYzhx9jYkVFEpnf/s1nx6gNBATKfF3Dmrs2r4tWu2QJB+FjlRuDp/8dxUxgJbmyhGxb7XsYeb1vgb7wwzDvP/UhjfQYAQ==",
            },
          ],
        },
        usage: {
          inputTokens: 43,
          outputTokens: 282,
          cachedInputTokens: 0,
          cacheWriteTokens: 0,
        },
        finishReason: {
          unified: "stop",
          raw: "end_turn",
        },
        stream: [
          {
            type: "reasoning",
            text: "This is a straightforward question about pedestrian safety. I should provide clear, helpful advice about how to safely cross a street. This is basic safety information that could help prevent accidents.",
          },
          {
            type: "text",
            text: {
              length: 1021,
              sha256: "1b0c432c3a48cc2829d6ff2b6e2c0f62881416d4583337d6f8a8a9a48ad73dfc",
              startsWith: "Here are the basic steps for safely cros",
            },
          },
        ],
      },
    },
  ],
  // messages-stream-thinking.vercel-ai.chunks.txt
  streamThinkingVercel: {
    response: {
      message: {
        content: "925 ÷ 5 = 185",
        reasoning: [
          {
            text: "The previous result was 925. Now I need to divide that by 5.\n\n925 ÷ 5 = 185",
            signature:
              "EvQBCkYICxgCKkAxhD4NUKFzudtZ6NzbZdEiBACIScTzqjPViM596iWLZIk4EFKYYBj3B6Ptl3b0dcQv/VeJBNbejNWIWRBn+KPNEgz6HWtKx7p+QRgKsEoaDGjsiqfht7gTRFYHiyIwD1VSmNqHxv3wy8KEMP+LYb/TC4UH3H97tuoaADARFFcA0phdfxnzKQxFnc9lwY+dKlzUsaKSUAFeu1bDL5ikZJ1vL0Fkz6JjoFke0L/wOJRIUDUlDUOFJ1tZ3ea7g6LGE/5hwuvWgLwewdcm64d+43l7F57XrOmqNd6flI2K/oPr/4yzNgvi/EhT6Ca17BgB",
          },
        ],
      },
      usage: {
        inputTokens: 69,
        outputTokens: 53,
        cachedInputTokens: 0,
        cacheWriteTokens: 0,
      },
      finishReason: {
        unified: "stop",
        raw: "end_turn",
      },
      stream: [
        {
          type: "reasoning",
          text: "The previous result was 925. Now I need to divide that by 5.\n\n925 \u00f7 5 = 185",
        },
        { type: "text", text: "925 \u00f7 5 = 185" },
      ],
    },
  },
  // messages-nonstream-text.vercel-ai.json
  nonstreamText: {
    response: {
      message: {
        content:
          "Hello! I'm doing well, thanks for asking. How are you doing today? Is there anything I can help you with?",
      },
      usage: {
        inputTokens: 12,
        outputTokens: 29,
        cachedInputTokens: 0,
        cacheWriteTokens: 0,
      },
      finishReason: {
        unified: "stop",
        raw: "end_turn",
      },
      stream: [
        {
          type: "text",
          text: "Hello! I'm doing well, thanks for asking. How are you doing today? Is there anything I can help you with?",
        },
      ],
    },
  },
  // messages-nonstream-thinking.vercel-ai.json
  nonstreamThinking: {
    response: {
      message: {
        content: {
          length: 2644,
          sha256: "bf7cfc50962b1ea973c502b6abf4d833d305fac3c469a0e50ec3a938cbdbc688",
          startsWith: "## Step 1: Set up the problem\n\nWe want a",
        },
        reasoning: [
          {
            text: {
              length: 352,
              sha256: "d715c5cb0105cce3b98e6374309e72f78cacaa3703cdb78849179bb3ef818abf",
              startsWith: "I need to find all roots of this cubic p",
            },
            signature:
              "CAISqwQKhwEIEBgCKkAciZInI2gcLrwOU5o9XFlIxHw9HaLIY6V9wHoK2E0w9TFrU5619C4CclxQW/p2HnHQuZNnVQyUxEfWomyE2b1cMg1jbGF1ZGUtb3B1cy01OAFCCHRoaW5raW5nWiQzYjkzYTVkZC03MzAyLTQ4M2YtYWVhZS0zNjIwNzU1NDhhZTESDH+yRc1q0TFaGxqP8RoMhbsE0elIcjL7Oz64IjBZvnLReNK1l69zsogxJrmWBDJnxYY8g1kBtEVbEzOmiaiMV20Hfw/wJyWGuZGlxZoq0AKuTLuUCqYUdsLcwLq8xMstlN1cJ1QCQX0nKWJMr7lAJZfm0B5koVxMGq/lv1gcueRYChwtOB6sArPZUCOGQ5MRdrbeGTCElku9thIfrgJQLcJO7UDobkcVilvXgxpZz/qlZLXJMxkV06BZwfhunTr6LqAmN6Mk3kyjpSd6qejVWiAVnivWverxxiyhZboZjOXdh+QdwyoSR3Oex7tWBaQDEurXSaYFLAjHbeXSs7ieKZfeHv5gKOez1PLKeBVoNBqxCvxbVXK+2/YhQJBZv610Uq7tq/ePGOTB3NH3dM+DrLpCJh/ZypKdGfFkgBoU8pMelL1ItIQ526dsd8G5RMo+KMCTYlGwYih85CrX4VKyS08G77B/v/9bhoGh+/fGjgBYX/M2CopxDG59RuG5bHvgcJX8QJ17THLT+tQgH+UNyStauLcPlIdLrLIq9yWz7dcYAQ==",
          },
        ],
      },
      usage: {
        inputTokens: 51,
        outputTokens: 1699,
        reasoningTokens: 139,
        cachedInputTokens: 0,
        cacheWriteTokens: 0,
      },
      finishReason: {
        unified: "stop",
        raw: "end_turn",
      },
      stream: [
        {
          type: "reasoning",
          text: "I need to find all roots of this cubic polynomial and verify them. The Rational Root Theorem suggests checking factors of 6, and I can confirm that 1, 2, and 3 are indeed roots. I'll use synthetic division to factor it as (x-1)(x-2)(x-3), then verify by expanding and confirm this accounts for all roots since a degree 3 polynomial has exactly 3 roots.",
        },
        {
          type: "text",
          text: {
            length: 2644,
            sha256: "bf7cfc50962b1ea973c502b6abf4d833d305fac3c469a0e50ec3a938cbdbc688",
            startsWith: "## Step 1: Set up the problem\n\nWe want a",
          },
        },
      ],
    },
  },
  // messages-nonstream-tool-use-then-text.anthropic-sdk-python.json
  nonstreamToolUseThenText: [
    {
      response: {
        message: {
          content: "",
          toolCalls: [
            {
              id: "toolu_011bpynHqFZ9P4u5rSaXsTJQ",
              name: "get_weather",
              arguments: '{"location":"San Francisco, CA","units":"f"}',
            },
          ],
        },
        usage: {
          inputTokens: 656,
          outputTokens: 74,
          cachedInputTokens: 0,
          cacheWriteTokens: 0,
        },
        finishReason: {
          unified: "tool-calls",
          raw: "tool_use",
        },
        stream: [
          {
            type: "tool-call",
            index: 0,
            callId: "toolu_011bpynHqFZ9P4u5rSaXsTJQ",
            name: "get_weather",
            arguments: '{"location":"San Francisco, CA","units":"f"}',
          },
        ],
      },
    },
    {
      response: {
        message: {
          content: "The weather in San Francisco, CA is currently **Sunny** with a temperature of **68°F**.",
        },
        usage: {
          inputTokens: 770,
          outputTokens: 25,
          cachedInputTokens: 0,
          cacheWriteTokens: 0,
        },
        finishReason: {
          unified: "stop",
          raw: "end_turn",
        },
        stream: [
          {
            type: "text",
            text: "The weather in San Francisco, CA is currently **Sunny** with a temperature of **68\u00b0F**.",
          },
        ],
      },
    },
  ],
  // messages-nonstream-tools-parallel.pydantic-ai.yaml
  nonstreamToolsParallel: [
    {
      response: {
        message: {
          content:
            "I'll help you find out who is the youngest by retrieving information about each family member. I'll retrieve their entity information to compare their ages.",
          toolCalls: [
            {
              id: "toolu_0167cfEnoQaPviGdVXA95zcu",
              name: "retrieve_entity_info",
              arguments: '{"name":"Alice"}',
            },
            {
              id: "toolu_01EEe2V5HD1Ac4rKiUR4HD2T",
              name: "retrieve_entity_info",
              arguments: '{"name":"Bob"}',
            },
            {
              id: "toolu_01XFyAjstT3966qvRynZyVPo",
              name: "retrieve_entity_info",
              arguments: '{"name":"Charlie"}',
            },
            {
              id: "toolu_013mnQZbgtK2oe3Mo3XKJsx3",
              name: "retrieve_entity_info",
              arguments: '{"name":"Daisy"}',
            },
          ],
        },
        usage: {
          inputTokens: 423,
          outputTokens: 202,
          cachedInputTokens: 0,
          cacheWriteTokens: 0,
        },
        finishReason: {
          unified: "tool-calls",
          raw: "tool_use",
        },
        stream: [
          {
            type: "text",
            text: "I'll help you find out who is the youngest by retrieving information about each family member. I'll retrieve their entity information to compare their ages.",
          },
          {
            type: "tool-call",
            index: 0,
            callId: "toolu_0167cfEnoQaPviGdVXA95zcu",
            name: "retrieve_entity_info",
            arguments: '{"name":"Alice"}',
          },
          {
            type: "tool-call",
            index: 1,
            callId: "toolu_01EEe2V5HD1Ac4rKiUR4HD2T",
            name: "retrieve_entity_info",
            arguments: '{"name":"Bob"}',
          },
          {
            type: "tool-call",
            index: 2,
            callId: "toolu_01XFyAjstT3966qvRynZyVPo",
            name: "retrieve_entity_info",
            arguments: '{"name":"Charlie"}',
          },
          {
            type: "tool-call",
            index: 3,
            callId: "toolu_013mnQZbgtK2oe3Mo3XKJsx3",
            name: "retrieve_entity_info",
            arguments: '{"name":"Daisy"}',
          },
        ],
      },
    },
    {
      response: {
        message: {
          content: {
            length: 340,
            sha256: "34ab64df7815ab86de07bbb389b16d6c4e77e9c8ac4c665d0c8e2baad056cb75",
            startsWith: "Based on the retrieved information, we c",
          },
        },
        usage: {
          inputTokens: 771,
          outputTokens: 77,
          cachedInputTokens: 0,
          cacheWriteTokens: 0,
        },
        finishReason: {
          unified: "stop",
          raw: "end_turn",
        },
        stream: [
          {
            type: "text",
            text: "Based on the retrieved information, we can see the family relationships:\n- Alice and Bob are married\n- Charlie is their son\n- Daisy is their daughter and Charlie's younger sister\n\nTherefore, Daisy is the youngest in the family. She is described as Charlie's younger sister, which indicates she is the youngest among the four family members.",
          },
        ],
      },
    },
  ],
  // messages-nonstream-tool-runner.anthropic-sdk-typescript.nock.json
  nonstreamToolRunner: [
    {
      response: {
        message: {
          content:
            'I\'ll use the test_tool with the value "test" as requested, then provide a final response.',
          toolCalls: [
            {
              id: "toolu_011LF2VkWpAfJnTKJcmh1PNf",
              name: "test_tool",
              arguments: '{"value":"test"}',
            },
          ],
        },
        usage: {
          inputTokens: 415,
          outputTokens: 76,
          cachedInputTokens: 0,
          cacheWriteTokens: 0,
        },
        finishReason: {
          unified: "tool-calls",
          raw: "tool_use",
        },
        stream: [
          {
            type: "text",
            text: 'I\'ll use the test_tool with the value "test" as requested, then provide a final response.',
          },
          {
            type: "tool-call",
            index: 0,
            callId: "toolu_011LF2VkWpAfJnTKJcmh1PNf",
            name: "test_tool",
            arguments: '{"value":"test"}',
          },
        ],
        requestId: "req_011CVLotQepAqEAyhJpvkpZN",
      },
    },
    {
      response: {
        message: {
          content:
            'I have successfully executed the test_tool with the value "test". The tool completed without any errors. This was a simple test to demonstrate the tool functionality and confirm it\'s working properly.',
        },
        usage: {
          inputTokens: 505,
          outputTokens: 41,
          cachedInputTokens: 0,
          cacheWriteTokens: 0,
        },
        finishReason: {
          unified: "stop",
          raw: "end_turn",
        },
        stream: [
          {
            type: "text",
            text: 'I have successfully executed the test_tool with the value "test". The tool completed without any errors. This was a simple test to demonstrate the tool functionality and confirm it\'s working properly.',
          },
        ],
        requestId: "req_011CVLotbAbAUDPV8GEFGjoJ",
      },
    },
    {
      response: {
        message: {
          content: "I'll use the test_tool twice as requested - first with count 1, then with count 2.",
          toolCalls: [
            {
              id: "toolu_01L8GVQapA1HmggQcrwboukH",
              name: "test_tool",
              arguments: '{"count":1}',
            },
            {
              id: "toolu_01J5Fvzxu7DP1Uh59c1kr5JD",
              name: "test_tool",
              arguments: '{"count":2}',
            },
          ],
        },
        usage: {
          inputTokens: 418,
          outputTokens: 113,
          cachedInputTokens: 0,
          cacheWriteTokens: 0,
        },
        finishReason: {
          unified: "tool-calls",
          raw: "tool_use",
        },
        stream: [
          {
            type: "text",
            text: "I'll use the test_tool twice as requested - first with count 1, then with count 2.",
          },
          {
            type: "tool-call",
            index: 0,
            callId: "toolu_01L8GVQapA1HmggQcrwboukH",
            name: "test_tool",
            arguments: '{"count":1}',
          },
          {
            type: "tool-call",
            index: 1,
            callId: "toolu_01J5Fvzxu7DP1Uh59c1kr5JD",
            name: "test_tool",
            arguments: '{"count":2}',
          },
        ],
        requestId: "req_011CVLotoUkyNS4Bi9asSfF8",
      },
    },
    {
      response: {
        message: {
          content:
            'I\'ve successfully used the test_tool twice:\n- First call with count 1: returned "Called with 1"\n- Second call with count 2: returned "Called with 2"',
        },
        usage: {
          inputTokens: 602,
          outputTokens: 45,
          cachedInputTokens: 0,
          cacheWriteTokens: 0,
        },
        finishReason: {
          unified: "stop",
          raw: "end_turn",
        },
        stream: [
          {
            type: "text",
            text: 'I\'ve successfully used the test_tool twice:\n- First call with count 1: returned "Called with 1"\n- Second call with count 2: returned "Called with 2"',
          },
        ],
        requestId: "req_011CVLou46LSJLFLPjsBqzuT",
      },
    },
    {
      response: {
        message: {
          content:
            'I\'ll use the test_tool with the input "test" as requested, then provide a final response.',
          toolCalls: [
            {
              id: "toolu_01BTPr2x4Nduos6gVrE19JZr",
              name: "test_tool",
              arguments: '{"input":"test"}',
            },
          ],
        },
        usage: {
          inputTokens: 415,
          outputTokens: 76,
          cachedInputTokens: 0,
          cacheWriteTokens: 0,
        },
        finishReason: {
          unified: "tool-calls",
          raw: "tool_use",
        },
        stream: [
          {
            type: "text",
            text: 'I\'ll use the test_tool with the input "test" as requested, then provide a final response.',
          },
          {
            type: "tool-call",
            index: 0,
            callId: "toolu_01BTPr2x4Nduos6gVrE19JZr",
            name: "test_tool",
            arguments: '{"input":"test"}',
          },
        ],
        requestId: "req_011CVLouH5BmooVKHYfbix96",
      },
    },
    {
      response: {
        message: {
          content:
            'I have successfully executed the test_tool with the input "test". The tool ran and returned a result. The test has been completed as requested.',
        },
        usage: {
          inputTokens: 505,
          outputTokens: 33,
          cachedInputTokens: 0,
          cacheWriteTokens: 0,
        },
        finishReason: {
          unified: "stop",
          raw: "end_turn",
        },
        stream: [
          {
            type: "text",
            text: 'I have successfully executed the test_tool with the input "test". The tool ran and returned a result. The test has been completed as requested.',
          },
        ],
        requestId: "req_011CVLouUbivQXR2479enLwD",
      },
    },
  ],
  // messages-error-429-429-then-200.anthropic-sdk-python.json
  error429Then200: [
    {
      error: {
        code: "rate_limited",
        status: 429,
        retryable: true,
        requestId: "req_011CYK5mje9HkutJtmfPzzNC",
        apiMessage:
          "This request would exceed your organization's rate limit of 20,000,000 prompt bytes per hour (org: 5576611f-a1ee-427c-9800-298d9579899c, model: claude-sonnet-4-5-20250929). For details, refer to: https://docs.claude.com/en/api/rate-limits. You can see the response headers for current usage. Please reduce the prompt length or the maximum tokens requested, or try again later. You may also contact sales at https://www.anthropic.com/contact-sales to discuss your options for a rate limit increase.",
      },
    },
    {
      error: {
        code: "rate_limited",
        status: 429,
        retryable: true,
        requestId: "req_011CYK5mnscLpxFuMxiDHt26",
        apiMessage:
          "This request would exceed your organization's rate limit of 20,000,000 prompt bytes per hour (org: 5576611f-a1ee-427c-9800-298d9579899c, model: claude-sonnet-4-5-20250929). For details, refer to: https://docs.claude.com/en/api/rate-limits. You can see the response headers for current usage. Please reduce the prompt length or the maximum tokens requested, or try again later. You may also contact sales at https://www.anthropic.com/contact-sales to discuss your options for a rate limit increase.",
      },
    },
    {
      response: {
        message: {
          content:
            '{"items":[{"product_name":"Green Tea","price":5.50,"quantity":2},{"product_name":"Coffee","price":3.00,"quantity":1}],"total":14.0}',
        },
        usage: {
          inputTokens: 406,
          outputTokens: 50,
          cachedInputTokens: 0,
          cacheWriteTokens: 0,
        },
        finishReason: {
          unified: "stop",
          raw: "end_turn",
        },
        stream: [
          {
            type: "text",
            text: '{"items":[{"product_name":"Green Tea","price":5.50,"quantity":2},{"product_name":"Coffee","price":3.00,"quantity":1}],"total":14.0}',
          },
        ],
      },
    },
  ],
  // messages-error-400-tool-result-mismatch.anthropic-sdk-python.json
  error400ToolResultMismatch: [
    {
      response: {
        message: {
          content: "",
          toolCalls: [
            {
              id: "toolu_01GHndag5wQmbzNihYmV2UBj",
              name: "get_weather",
              arguments: '{"location":"San Francisco, CA","units":"c"}',
            },
          ],
        },
        usage: {
          inputTokens: 659,
          outputTokens: 74,
          cachedInputTokens: 0,
          cacheWriteTokens: 0,
        },
        finishReason: {
          unified: "tool-calls",
          raw: "tool_use",
        },
        stream: [
          {
            type: "tool-call",
            index: 0,
            callId: "toolu_01GHndag5wQmbzNihYmV2UBj",
            name: "get_weather",
            arguments: '{"location":"San Francisco, CA","units":"c"}',
          },
        ],
      },
    },
    {
      error: {
        code: "bad_request",
        status: 400,
        retryable: false,
        requestId: "req_011CYHyk9NPsBYeGbC9LuDNK",
        apiMessage:
          "messages.0.content.1: unexpected `tool_use_id` found in `tool_result` blocks: toolu_01GHndag5wQmbzNihYmV2UBj. Each `tool_result` block must have a corresponding `tool_use` block in the previous message.",
      },
    },
  ],
  // messages-error-404-model-not-found.pydantic-ai.yaml
  error404: [
    {
      error: {
        code: "not_found",
        status: 404,
        retryable: false,
        requestId: "req_011CdufXo8Y2LVfY2veyuQWG",
        apiMessage: "model: claude-sonet-4-5",
      },
    },
  ],
} satisfies Record<string, Expectation | readonly Expectation[]>;
