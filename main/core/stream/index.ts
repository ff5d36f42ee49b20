export { StreamExportClient, createStreamClient, DEFAULT_BASE_URL, MAX_EXPORT_BATCH, USER_EXPORT_MESSAGE_CAP } from './client.ts';
export type {
  StreamClientOptions, StreamClientEvent, RetryPolicy, ChannelExportSpec, ChannelExportOptions, TaskStatusView, ChannelInfo, UserInfo, ExportBatchResult,
} from './client.ts';
export { StreamError, toStreamError, isRetryable, scrub } from './errors.ts';
export type { StreamErrorKind } from './errors.ts';
export { RateLimiter, DEFAULT_ENDPOINT_LIMITS, readRateLimitHeaders, abortableSleep } from './rate-limiter.ts';
export type { EndpointLimit, RateLimiterOptions, ReleaseSlot } from './rate-limiter.ts';
