// specbind's public API.
export { createServer, basePathOf } from './server';
export type { SpecbindServer, Listening, ListenOptions } from './server';
export { bind } from './binding/models';
export { streamBody } from './binding/upload';
export type { StreamBodyOptions, StreamedInput } from './binding/upload';
export { notImplemented } from './handlers/stub';
export type { BindOptions } from './binding/models';
export { HttpError, StartupError, PROBLEMS } from './errors';
export type { ViolationDetail, StartupProblem, ProblemCode } from './errors';
export { Reply } from './contract/reply';
export type { CreateServerOptions, ResponseValidationMode, MissingHandlers } from './core/types';
export type { LoggerOptions } from './log';
export type { ReplyOptions } from './contract/reply';
export type {
  Handler,
  HandlerContext,
  ModelClass,
  OperationInfo,
  SecurityCheck,
  SecurityCheckInput,
  OperationTypes,
  ReplyBody,
  TypedContext,
  TypedHandler,
  TypedReply,
  TypedReplyMethod,
  TypedReplyMethods,
  TypedResult,
} from './contract/handler';
export type { UploadedFile } from './binding/multipart';
export type { MetricsOptions } from './observability/metrics';
export type { CorsOptions } from './http/cors';
