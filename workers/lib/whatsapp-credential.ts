/**
 * WhatsApp credentials an operator sets: before a phone number id is saved, Graph must show it
 * belongs to the given WhatsApp Business Account with the given token (no tenant can claim another
 * business's number and receive its customers' messages); after a token is set, ask Graph whether
 * it works, show the answer on the tenant, and let the number's held sends go (or keep them held).
 */
import { config, type Env } from '../env';
import { getPhoneNumber, listWabaPhoneNumberIds } from '../clients/whatsapp.client';
import { AppError, UpstreamError } from '../domain/errors';
import { retryAfterSeconds } from '../domain/retry-after';
import { markWhatsappCredential, type Tenant } from '../db/tenants.repo';
import { log } from './log';

export async function settleWhatsappCredential(
  env: Env,
  tenant: Tenant,
  previousPhoneNumberId: string,
): Promise<'ok' | 'broken'> {
  const gate = env.TENANT_GATE.getByName(tenant.id);
  try {
    await getPhoneNumber(config(env), tenant.whatsapp.phoneNumberId, tenant.whatsapp.accessToken);
  } catch (err) {
    if (err instanceof UpstreamError && err.failure.kind === 'unauthorized') {
      // Meta refuses this token too: keep (or start) holding the number's sends.
      await gate.holdForBrokenToken(tenant.id, tenant.whatsapp.phoneNumberId, tenant.whatsapp.accessToken);
      return 'broken';
    }
    // Graph unreachable or another answer: let the sends find out; a 190 holds them again.
    log.warn('whatsapp.credential_unchecked', {
      tenantId: tenant.id,
      code: err instanceof UpstreamError ? err.failure.code : 'error',
    });
  }
  await markWhatsappCredential(env, tenant.id, 'ok');
  await gate.releaseWhatsapp(tenant.whatsapp.phoneNumberId, 'credential');
  if (previousPhoneNumberId !== tenant.whatsapp.phoneNumberId)
    await gate.releaseWhatsapp(previousPhoneNumberId, 'credential');
  return 'ok';
}

/** How long to tell the admin to wait when Graph is busy and does not say for how long. */
export const GRAPH_BUSY_RETRY_MS = 60_000;

/**
 * Refuses (422) a phone number id that the WABA's number list, read with this token, does not
 * contain, and a token Meta refuses (190). When Graph answers 429 or 503, `503 whatsapp_busy` with
 * Meta's Retry-After (seconds or HTTP-date; a minute when it gives none); 502 when Graph cannot
 * say otherwise. Nothing is saved before this passes.
 */
export async function assertNumberOfWaba(
  env: Env,
  w: { phoneNumberId: string; wabaId: string; accessToken: string },
): Promise<void> {
  let ids: string[];
  try {
    ids = await listWabaPhoneNumberIds(config(env), w.wabaId, w.accessToken);
  } catch (err) {
    if (!(err instanceof UpstreamError)) throw err;
    if (err.failure.kind === 'unauthorized')
      throw new AppError('whatsapp_token_refused', 422, 'Meta refused the WhatsApp access token (error 190)');
    if (err.failure.kind === 'permanent')
      throw new AppError(
        'phone_number_not_in_waba',
        422,
        'this token cannot read the phone numbers of that WhatsApp Business Account',
      );
    log.warn('whatsapp.ownership_unchecked', { code: err.failure.code, status: err.status });
    if (err.status === 429 || err.status === 503) {
      const asked = err.failure.kind === 'retryable' ? err.failure.retryAfterMs : undefined;
      throw new AppError(
        'whatsapp_busy',
        503,
        'Meta asks to be called again later; nothing was saved, retry after Retry-After',
        undefined,
        { 'retry-after': String(retryAfterSeconds(asked ?? GRAPH_BUSY_RETRY_MS)) },
      );
    }
    throw new AppError('upstream_failed', 502, 'could not ask Meta which numbers the WhatsApp Business Account has');
  }
  if (!ids.includes(w.phoneNumberId))
    throw new AppError(
      'phone_number_not_in_waba',
      422,
      'the WhatsApp Business Account does not list this phone number id for this token',
    );
}
