export type {
  McpElicitationRequest,
  McpElicitationResult,
  McpRoot,
  McpSamplingOptions,
  McpSamplingRequest,
} from "./client-features.js";
export {
  type ConnectMcpOptions,
  connectMcp,
  type McpConnection,
  type McpRequestOptions,
  type McpTool,
  type McpToolsChange,
  mcpApprovalPolicy,
} from "./connect.js";
export { McpError, type McpErrorCode, McpToolError } from "./errors.js";
export { IDEMPOTENCY_META_KEY, loomToolName } from "./names.js";
export { finishMcpAuthorization, type OAuthClientProvider } from "./oauth.js";
export {
  type McpToolAnnotations,
  type McpToolOverride,
  type McpToolPolicy,
  policyFromAnnotations,
} from "./policy.js";
export {
  type McpPrompt,
  type McpPromptInfo,
  type McpPromptMessage,
  type McpResource,
  type McpResourceContents,
  type McpResourceRead,
  type McpResourceTemplate,
  promptInput,
} from "./resources.js";
export { base64Bytes, type McpCallResult, type McpContentBlock, readCallResult } from "./result.js";
export type {
  McpHttpServer,
  McpServer,
  McpStdioServer,
} from "./session.js";
