import type { Expectation } from "./recorded-calls.js";

// Generated from a run of the provider, then checked by hand against the recordings.
export const EXPECTED = {
  // responses-stream-tool-then-text.pydantic-ai.yaml
  streamToolThenText: [
    {
      response: {
        message: {
          content: "",
          toolCalls: [
            {
              id: "call_kL0PCQV7M2WMoVX8V8OtYSAL",
              name: "get_capital",
              arguments: '{"country":"France"}',
            },
          ],
        },
        usage: {
          inputTokens: 255,
          outputTokens: 16,
          reasoningTokens: 0,
          cachedInputTokens: 0,
        },
        finishReason: {
          unified: "tool-calls",
          raw: "completed",
        },
        stream: [
          {
            type: "tool-call",
            index: 0,
            callId: "call_kL0PCQV7M2WMoVX8V8OtYSAL",
            name: "get_capital",
            arguments: '{"country":"France"}',
          },
        ],
      },
    },
    {
      response: {
        message: {
          content: "The capital of France is Paris.",
        },
        usage: {
          inputTokens: 278,
          outputTokens: 9,
          reasoningTokens: 0,
          cachedInputTokens: 0,
        },
        finishReason: {
          unified: "stop",
          raw: "completed",
        },
        stream: [{ type: "text", text: "The capital of France is Paris." }],
      },
    },
  ],
  // responses-stream-text.simonw-llm.yaml
  streamText: [
    {
      response: {
        message: {
          content: "pong",
        },
        usage: {
          inputTokens: 11,
          outputTokens: 5,
          reasoningTokens: 0,
          cachedInputTokens: 0,
        },
        finishReason: {
          unified: "stop",
          raw: "completed",
        },
        stream: [{ type: "text", text: "pong" }],
        requestId: "req_445d87d531af499daeb09f7826886b8c",
      },
    },
  ],
  // responses-stream-reasoning-tools-multistep.vercel-ai.chunks.txt
  streamReasoningToolsMultistep: [
    {
      response: {
        message: {
          content: "",
          toolCalls: [
            {
              id: "call_AB6AaRZ1FYZB2RwS6A5vbdqn",
              name: "calculator",
              arguments: '{"a":12,"b":7,"op":"add"}',
            },
          ],
          reasoning: [
            {
              text: "**Calculating step-by-step using calculator**\n\nI'll compute 12 plus 7, then multiply the result by 3, and finally multiply that by 10, reporting the final product.",
              id: "rs_01830d662ab3856501693c321405c88190be3ab04d5782d5f9",
              encryptedContent:
                "gAAAAABpPDIVYBwu2ljdVyeU-6Xu1R6056Ogp5vu5omQhuke_vFFLEfQzzhhTQ3W5fqw0KGai3V42B5KAvAOdPnQYmHlSoLElF74L3z5UiErXhVS_ZvYXEkLpffl1O9cAQIz9kiVenFp-mit37vbgKBmWzU3cvOS9Ho2G-d3JsMRPX42VjHWD_KY_T93RIat3tGxcXzPOBkAGgbKJPJnaBx5PG8nIjCdh5GpTYyK-3gkQ6iBRhLxma7YNvl_kGRiMvVysRiuY4QgboM5leRoCmklSOyYJx37oW9my2QstcY63ALzjTfm6PGTU7k9Ay6kcW1tpXr6-6c21_EQRSWgDIFEVdS_Ue_tgYSyK1kmt-EFTprPvyCDZ-gXls-43zYLUzzPLxz9TuIf758ZU6UQlaDaOYvjVJykVZ_XvcKJdKlHzjBj_FL2tnnmw1qsfAqHBGDoBv1L9H7LcGi61yCc1sQ0Lha67-9qvv8LTORsNk0AOaoMrIDwtxRtQGs_zb-F5B4QfNa4OzSUDXOwifi-Qn78VXsnecqvCff0-7Pmq_3_8wFB5N9h8v-2VcAhbxwr5zzOl26GK5dHoQaUD2j7Tx6p4oBPilCrbogJYkRzsS66O0bT9Xgkgnbemnk82P8QhCQqYPbto2mdhoNA1xOL_fZL7bRUa1T6nndLMwENfy8PaEWWhoyQY75r_pimuJLE9e38cGppeCPNBHRXNcyEmWL-EtGUl_GwjoUgY0sC9NvXZ_UlICp3RNmA5X3abYN1eR5mw-En4ZAUC1m396tGz1chfkdYRdNOTohXJ2evDKhZAtORu19_4Is3BT1nFAKrXE_rvGg4K_Yzw-z2YJAO0c4Quaic9_q4NUPxERTz9GVv5V37vasme33_tWLfQC_pzUIa5Mj3GVr2Tsi_l-4IKwghWnDy2MTcx79zO6rjMFBLoU-0pmKV0z8brjKnrgE2Nw37BOgQb690ud8kaz4FGAHVzKKtLLEgisdIS4Bj77_L021VAuyHNr6IdlCpQ7UsrVAtwNVr8kl7LPfpfRZ0JO77p3N5iD1gzQ==",
            },
          ],
        },
        usage: {
          inputTokens: 134,
          outputTokens: 28,
          reasoningTokens: 0,
          cachedInputTokens: 0,
        },
        finishReason: {
          unified: "tool-calls",
          raw: "completed",
        },
        stream: [
          {
            type: "reasoning",
            text: "**Calculating step-by-step using calculator**\n\nI'll compute 12 plus 7, then multiply the result by 3, and finally multiply that by 10, reporting the final product.",
          },
          {
            type: "tool-call",
            index: 0,
            callId: "call_AB6AaRZ1FYZB2RwS6A5vbdqn",
            name: "calculator",
            arguments: '{"a":12,"b":7,"op":"add"}',
          },
        ],
      },
    },
    {
      response: {
        message: {
          content: "",
          toolCalls: [
            {
              id: "call_Q6pW65MUgW9vF59BmItYGos3",
              name: "calculator",
              arguments: '{"a":19,"b":3,"op":"multiply"}',
            },
          ],
        },
        usage: {
          inputTokens: 221,
          outputTokens: 26,
          reasoningTokens: 0,
          cachedInputTokens: 0,
        },
        finishReason: {
          unified: "tool-calls",
          raw: "completed",
        },
        stream: [
          {
            type: "tool-call",
            index: 0,
            callId: "call_Q6pW65MUgW9vF59BmItYGos3",
            name: "calculator",
            arguments: '{"a":19,"b":3,"op":"multiply"}',
          },
        ],
      },
    },
    {
      response: {
        message: {
          content: "",
          toolCalls: [
            {
              id: "call_Zl5vIMnD7dVAjgU6FkhmiCZh",
              name: "calculator",
              arguments: '{"a":57,"b":10,"op":"multiply"}',
            },
          ],
        },
        usage: {
          inputTokens: 260,
          outputTokens: 26,
          reasoningTokens: 0,
          cachedInputTokens: 0,
        },
        finishReason: {
          unified: "tool-calls",
          raw: "completed",
        },
        stream: [
          {
            type: "tool-call",
            index: 0,
            callId: "call_Zl5vIMnD7dVAjgU6FkhmiCZh",
            name: "calculator",
            arguments: '{"a":57,"b":10,"op":"multiply"}',
          },
        ],
      },
    },
    {
      response: {
        message: {
          content: "The final result is **570**.",
        },
        usage: {
          inputTokens: 299,
          outputTokens: 12,
          reasoningTokens: 0,
          cachedInputTokens: 0,
        },
        finishReason: {
          unified: "stop",
          raw: "completed",
        },
        stream: [{ type: "text", text: "The final result is **570**." }],
      },
    },
  ],
  // responses-nonstream-text.simonw-llm.yaml
  nonstreamText: [
    {
      response: {
        message: {
          content: "pong",
        },
        usage: {
          inputTokens: 11,
          outputTokens: 5,
          reasoningTokens: 0,
          cachedInputTokens: 0,
        },
        finishReason: {
          unified: "stop",
          raw: "completed",
        },
        stream: [{ type: "text", text: "pong" }],
        requestId: "req_c6713bbdac8d4639a5ea09cb6c5eb5a9",
      },
    },
  ],
  // responses-nonstream-tools-parallel.pydantic-ai.yaml
  nonstreamToolsParallel: [
    {
      response: {
        message: {
          content: "",
          toolCalls: [
            {
              id: "call_LWVp74L5HaH2KNvgVz9PJsrj",
              name: "get_location",
              arguments: '{"loc_name":"Londos"}',
            },
            {
              id: "call_YnRAWeTyxI91m5uNa5bxXwVO",
              name: "get_location",
              arguments: '{"loc_name":"London"}',
            },
          ],
        },
        usage: {
          inputTokens: 0,
          outputTokens: 0,
          reasoningTokens: 0,
          cachedInputTokens: 0,
        },
        finishReason: {
          unified: "tool-calls",
          raw: "completed",
        },
        stream: [
          {
            type: "tool-call",
            index: 0,
            callId: "call_LWVp74L5HaH2KNvgVz9PJsrj",
            name: "get_location",
            arguments: '{"loc_name":"Londos"}',
          },
          {
            type: "tool-call",
            index: 1,
            callId: "call_YnRAWeTyxI91m5uNa5bxXwVO",
            name: "get_location",
            arguments: '{"loc_name":"London"}',
          },
        ],
      },
    },
    {
      response: {
        message: {
          content:
            'It seems "Londos" might be incorrect or unknown. If you meant something else, please clarify.\n\nFor **London**, it\'s located at approximately latitude 51° N and longitude 0° W.',
        },
        usage: {
          inputTokens: 335,
          outputTokens: 44,
          reasoningTokens: 0,
          cachedInputTokens: 0,
        },
        finishReason: {
          unified: "stop",
          raw: "completed",
        },
        stream: [
          {
            type: "text",
            text: 'It seems "Londos" might be incorrect or unknown. If you meant something else, please clarify.\n\nFor **London**, it\'s located at approximately latitude 51\u00b0 N and longitude 0\u00b0 W.',
          },
        ],
      },
    },
  ],
  // responses-stream-error-event.vercel-ai.chunks.txt
  streamErrorEvent: {
    error: {
      code: "quota_exceeded",
      retryable: false,
      apiMessage:
        "You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
    },
  },
  // responses-error-429-insufficient-quota.vercel-ai.json
  error429Quota: {
    error: {
      code: "quota_exceeded",
      status: 429,
      retryable: false,
      apiMessage:
        "You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
    },
  },
  // responses-error-400-invalid-value.pydantic-ai.yaml
  error400InvalidValue: [
    {
      error: {
        code: "bad_request",
        status: 400,
        retryable: false,
        apiMessage:
          "Invalid 'temperature': decimal below minimum value. Expected a value >= 0, but got -1 instead.",
      },
    },
  ],
  // responses-error-400-model-not-found.pydantic-ai.yaml
  error400ModelNotFound: [
    {
      error: {
        code: "not_found",
        status: 400,
        retryable: false,
        apiMessage: "The requested model 'gpt-5.2-proo' does not exist.",
      },
    },
  ],
} satisfies Record<string, Expectation | readonly Expectation[]>;
