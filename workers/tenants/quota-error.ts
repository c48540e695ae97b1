// The one error a spent tenant quota answers with: 429 quota_exceeded naming the quota, so a client can
// tell it from its key's rate limit (rate_limited) and knows waiting a minute will not help.
import { ApiError } from "../api/errors";
import type { TenantQuotas } from "./tenant";

export function quotaExceeded(quota: keyof TenantQuotas, message: string, retryAfterSeconds?: number): ApiError {
  return new ApiError(
    "quota_exceeded",
    message,
    { quota },
    retryAfterSeconds === undefined ? {} : { "retry-after": String(Math.max(1, Math.ceil(retryAfterSeconds))) },
  );
}
