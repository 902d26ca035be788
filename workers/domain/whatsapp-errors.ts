/**
 * WhatsApp Cloud API error codes the bridge acts on, by name (Meta's error code reference; the
 * quoted meaning is Meta's). Pure data: the Graph client classifies with it, the outbound lane and
 * the agent's failure reasons read it.
 */
export const WA_ERRORS = {
  /** 1: "Invalid request or possible server error." */
  unknownApi: 1,
  /** 2: "Temporary due to downtime or due to being overloaded." */
  serviceUnavailable: 2,
  /** 4: "The app has reached its API call rate limit." */
  appRateLimit: 4,
  /** 190: "Your access token has expired." — the tenant's credential is broken until someone fixes it. */
  tokenInvalid: 190,
  /** 80007: "The WhatsApp Business Account has reached its rate limit." */
  accountRateLimit: 80007,
  /** 130429: "Cloud API message throughput has been reached." */
  throughput: 130429,
  /** 131000: "Message failed to send due to an unknown error." */
  unknown: 131000,
  /** 131016: "A service is temporarily unavailable." */
  serviceOverloaded: 131016,
  /** 131026: "Unable to deliver message." */
  undeliverable: 131026,
  /** 131047: "More than 24 hours have passed since the recipient last replied to the sender number." */
  reEngagement: 131047,
  /** 131048: restrictions on how many messages can be sent from this phone number (spam rate limit). */
  spamRateLimit: 131048,
  /** 131050: the recipient "has chosen to stop receiving marketing messages". */
  userStoppedMarketing: 131050,
  /** 131052: "Unable to download the media sent by the user." */
  mediaDownload: 131052,
  /** 131053: "Unable to upload the media used in the message." */
  mediaUpload: 131053,
  /** 131056: "Too many messages sent from the sender phone number to the same recipient phone number in a short period of time." */
  pairRate: 131056,
  /** 132000: the number of parameter values does not match the template's parameters. */
  templateParamCount: 132000,
  /** 132001: "The template does not exist in the specified language or the template has not been approved." */
  templateMissing: 132001,
  /** 132005: "Translated text too long." */
  templateTooLong: 132005,
  /** 132012: "Parameter format does not match format in the created template." */
  templateParamFormat: 132012,
  /** 133004: "Server is temporarily unavailable." */
  serverUnavailable: 133004,
} as const;

/** Codes worth another try later (besides any 5xx answer). */
export const RETRYABLE_WA_CODES: ReadonlySet<number> = new Set([
  WA_ERRORS.unknownApi,
  WA_ERRORS.serviceUnavailable,
  WA_ERRORS.appRateLimit,
  WA_ERRORS.accountRateLimit,
  WA_ERRORS.throughput,
  WA_ERRORS.unknown,
  WA_ERRORS.serviceOverloaded,
  WA_ERRORS.spamRateLimit,
  WA_ERRORS.pairRate,
  WA_ERRORS.serverUnavailable,
]);

/** Codes that mean "slow down", reported to the agent as RateLimited. */
export const RATE_LIMIT_WA_CODES: ReadonlySet<number> = new Set([
  WA_ERRORS.appRateLimit,
  WA_ERRORS.accountRateLimit,
  WA_ERRORS.throughput,
  WA_ERRORS.pairRate,
]);
