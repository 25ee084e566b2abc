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
        deltas: {
          text: 0,
          reasoning: 0,
          toolCall: 6,
        },
        partsSha256: "5334f6944f2a54e766feb5e4432ce1d5edbaeeb984f47ba9357c1ce31ec892fa",
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
        deltas: {
          text: 7,
          reasoning: 0,
          toolCall: 0,
        },
        partsSha256: "9c938a4db0f1e80db18e3009a92b8ad6dc4af5e2fb5e82482b56a00d7afea404",
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
        deltas: {
          text: 1,
          reasoning: 0,
          toolCall: 0,
        },
        requestId: "req_445d87d531af499daeb09f7826886b8c",
        partsSha256: "4003831bc7d1d628dd087a60a480ee67801c9e5ce1ef92146d948346b03df643",
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
        deltas: {
          text: 0,
          reasoning: 32,
          toolCall: 14,
        },
        partsSha256: "68ace0f96e0c7227bf6cdf53d86e6f299d45076a2603dabeae62c632a382fa6f",
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
        deltas: {
          text: 0,
          reasoning: 0,
          toolCall: 14,
        },
        partsSha256: "b1975f5689f7c6519608546f8ae62375d5359ce34572fe05db30453bfa5c5305",
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
        deltas: {
          text: 0,
          reasoning: 0,
          toolCall: 14,
        },
        partsSha256: "2449dc1d48e916accab0d2208747a40d888a2ac98fd5fb040dc3e8969043e407",
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
        deltas: {
          text: 8,
          reasoning: 0,
          toolCall: 0,
        },
        partsSha256: "326ff57996d1a95117c67cfc1bf7b4fd60b1cc3127b514fba0fb399cad3ae753",
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
        deltas: {
          text: 1,
          reasoning: 0,
          toolCall: 0,
        },
        requestId: "req_c6713bbdac8d4639a5ea09cb6c5eb5a9",
        partsSha256: "4003831bc7d1d628dd087a60a480ee67801c9e5ce1ef92146d948346b03df643",
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
        deltas: {
          text: 0,
          reasoning: 0,
          toolCall: 2,
        },
        partsSha256: "19da2a0395f09835fff19caedd909a8f91a712216f0ae083d5ced3fc7fa1bf27",
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
        deltas: {
          text: 1,
          reasoning: 0,
          toolCall: 0,
        },
        partsSha256: "fefd7ffff952c814cbf98efbb0d1ce3fdf406cb2b63f970e952e2fde98e690dc",
      },
    },
  ],
  // responses-stream-error-event.vercel-ai.chunks.txt
  streamErrorEvent: {
    error: {
      code: "quota_exceeded",
      retryable: false,
      messageIncludes:
        "OpenAI stream error (insufficient_quota): You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors. Check the plan and billing of the OpenAI account; retrying will not help.",
    },
  },
  // responses-error-429-insufficient-quota.vercel-ai.json
  error429Quota: {
    error: {
      code: "quota_exceeded",
      status: 429,
      retryable: false,
      messageIncludes:
        "OpenAI API 429 (insufficient_quota): You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors. Check the plan and billing of the OpenAI account; retrying will not help.",
    },
  },
  // responses-error-400-invalid-value.pydantic-ai.yaml
  error400InvalidValue: [
    {
      error: {
        code: "bad_request",
        status: 400,
        retryable: false,
        messageIncludes:
          "OpenAI API 400 (invalid_request_error/decimal_below_min_value): Invalid 'temperature': decimal below minimum value. Expected a value >= 0, but got -1 instead. Fix the request (model, settings, messages or tools); retrying will not help.",
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
        messageIncludes:
          "OpenAI API 400 (invalid_request_error/model_not_found): The requested model 'gpt-5.2-proo' does not exist. Check the model id and that the API key's project can use it.",
      },
    },
  ],
} satisfies Record<string, Expectation | readonly Expectation[]>;
