// @matchpulse/client: the live match stream for browsers and Node >= 22.
export { type AppliedFrame, applyFrame, frameEvents, isServerFrame } from "./apply";
export { type Backoff, backoffCeiling, defaultBackoff, reconnectDelay } from "./backoff";
export {
  type ConnectionState,
  type ConnectMatchOptions,
  connectMatch,
  type LiveClientError,
  type LiveUpdate,
  type MatchConnection,
} from "./connect";
export type { AckMessage, MatchEvent, MatchStateView, PredictionView, ServerFrame } from "./protocol";
export { closeCodes } from "./protocol";
export {
  type LiveSocket,
  liveSocket,
  redact,
  type SocketEvent,
  type Transport,
  UpgradeRejected,
  type WebSocketConstructor,
  type WebSocketLike,
  webSocketTransport,
} from "./socket";
