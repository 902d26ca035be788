/**
 * What an agent reads when WhatsApp refuses their message: a Genesys reason code (the documented
 * receipt codes) and a sentence in plain words, from WhatsApp's error code. Pure.
 *
 * Meta's error code table for the codes named here:
 * 131026 "Unable to deliver message" · 131047 "More than 24 hours have passed since the recipient
 * last replied" · 131050 the recipient "has chosen to stop receiving marketing messages" ·
 * 131052/131053 media download/upload errors · 132000 parameter count mismatch · 132001 "The
 * template does not exist in the specified language or the template has not been approved" ·
 * 132005 "Translated text too long" · 132012 "Parameter format does not match format in the
 * created template" · 130429/131056/4/80007 throughput and rate limits.
 */
import type { GenesysReasonCode, TemplateRef } from './outbound.translate';
import { RATE_LIMIT_WA_CODES, WA_ERRORS } from './whatsapp-errors';

export interface SendFailure {
  /** WhatsApp's error code, when Meta gave one. */
  waCode?: number;
  /** WhatsApp's own words (code, title, details), kept for the record. */
  detail: string;
  /** The failure may pass with time (5xx, limits) as opposed to a refusal of this content. */
  retryable: boolean;
}

function templateLabel(template: TemplateRef | undefined): string {
  return template ? `template "${template.name}" (${template.language})` : 'the template';
}

/** The reason an agent's Failed receipt carries. */
export function explainSendFailure(
  failure: SendFailure,
  template?: TemplateRef,
): { code: GenesysReasonCode; message: string } {
  const said = `(WhatsApp ${failure.detail})`;
  switch (failure.waCode) {
    case WA_ERRORS.reEngagement:
      return {
        code: 'MessageNotAllowed',
        message: `Not delivered: the customer's 24-hour window is closed; send an approved template. ${said}`,
      };
    case WA_ERRORS.undeliverable:
      return {
        code: 'InvalidDestination',
        message: `Not delivered: WhatsApp cannot deliver to this number (not on WhatsApp, or an outdated app). ${said}`,
      };
    case WA_ERRORS.userStoppedMarketing:
      return { code: 'RecipientOptedOut', message: `Not delivered: the customer has stopped these messages. ${said}` };
    case WA_ERRORS.mediaDownload:
    case WA_ERRORS.mediaUpload:
      return { code: 'MediaTypeNotAllowed', message: `Not delivered: WhatsApp could not use the attachment. ${said}` };
    case WA_ERRORS.templateParamCount:
      return {
        code: 'InvalidMessageStructure',
        message: `Not sent: ${templateLabel(template)} needs a different number of parameters than were filled in. ${said}`,
      };
    case WA_ERRORS.templateMissing:
      return {
        code: 'InvalidMessageStructure',
        message: `Not sent: ${templateLabel(template)} does not exist in that language or is not approved by Meta. ${said}`,
      };
    case WA_ERRORS.templateTooLong:
      return {
        code: 'InvalidMessageStructure',
        message: `Not sent: ${templateLabel(template)} is too long once its parameters are filled in. ${said}`,
      };
    case WA_ERRORS.templateParamFormat:
      return {
        code: 'InvalidMessageStructure',
        message: `Not sent: a parameter of ${templateLabel(template)} has the wrong format (for example text where the template expects an image). ${said}`,
      };
  }
  if (failure.waCode !== undefined && RATE_LIMIT_WA_CODES.has(failure.waCode))
    return { code: 'RateLimited', message: `Not sent: WhatsApp's sending limit was reached. ${said}` };
  if (failure.retryable) return { code: 'ServerError', message: `Not sent: WhatsApp was unavailable. ${said}` };
  return { code: 'GeneralError', message: `WhatsApp ${failure.detail}` };
}
