/**
 * After an operator sets a WhatsApp token: ask Graph whether it works, show the answer on the
 * tenant, and let the number's held sends go (or keep them held). One Graph call per change.
 */
import { config, type Env } from '../env';
import { getPhoneNumber } from '../clients/whatsapp.client';
import { UpstreamError } from '../domain/errors';
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
