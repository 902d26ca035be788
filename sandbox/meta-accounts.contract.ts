/**
 * What Graph answers about a WhatsApp Business Account's phone numbers: GET /{waba-id}/phone_numbers.
 * The bridge asks it before it saves a phone number id, so no tenant can claim another business's
 * number. Shared by the test fakes and the sandbox simulator; each rule quotes Meta's documentation.
 */
import { graphError } from './meta-send.contract';

/** One business phone number as the edge lists it. */
export interface WabaNumber {
  id: string;
  display_phone_number: string;
  verified_name: string;
  quality_rating?: string;
}

/** A WhatsApp Business Account: its numbers, and the access tokens allowed to read it. */
export interface WabaAccount {
  numbers: WabaNumber[];
  tokens: string[];
}

/**
 * Answers GET /{waba-id}/phone_numbers.
 * - "Represents a collection of business phone numbers associated with a WhatsApp Business Account
 *   (WABA)" (Graph API reference, WhatsApp Business Account › phone_numbers). "If the request is
 *   successful, the response includes all phone numbers connected to your WABA" (Cloud API, Get
 *   Started for Solution Partners, step 4), as `{"data": [{"verified_name", "display_phone_number",
 *   "id", "quality_rating"}]}`; Graph edges page with `paging.cursors` ("Using the Graph API", paging).
 * - Errors, from the edge's error table: "190 | Invalid OAuth 2.0 Access Token" (HTTP 401, the
 *   OpenAPI spec's Unauthorized example), "200 | Permissions error" (HTTP 403, its Forbidden
 *   example: "This operation requires additional permissions"), "100 | Invalid parameter".
 *
 * `knownToken`: whether Meta accepts the token at all; `account`: the WABA of the path, if it exists.
 */
export function wabaPhoneNumbers(
  wabaId: string,
  authorization: string | null,
  account: WabaAccount | undefined,
  knownToken: (token: string) => boolean,
): { status: 200 | 400 | 401 | 403; body: unknown } {
  const token = authorization?.match(/^Bearer (.+)$/)?.[1];
  if (!token || !knownToken(token)) return { status: 401, body: graphError(190, 'Invalid OAuth access token') };
  if (!account)
    return {
      status: 400,
      body: graphError(100, `Unsupported get request. Object with ID '${wabaId}' does not exist`),
    };
  if (!account.tokens.includes(token))
    return { status: 403, body: graphError(200, 'This operation requires additional permissions') };
  return {
    status: 200,
    body: {
      data: account.numbers.map((n) => ({ quality_rating: 'GREEN', ...n })),
      paging: { cursors: { before: 'QVFIU0', after: 'QVFIU1' } },
    },
  };
}
