export {
  type FollowOverHttpOptions,
  followThreadOverHttp,
  type ListOverHttpOptions,
  listThreadsOverHttp,
  type ThreadStreamMessage,
} from "./client.js";
export { createThreadHandler, type ThreadHandler, type ThreadHandlerOptions } from "./handler.js";
export type { LiveDelta, PartialCall } from "./live-runs.js";
export { toNodeHandler } from "./node.js";
export { encodeEvent, parseEventStream, type ServerSentEvent } from "./sse.js";
