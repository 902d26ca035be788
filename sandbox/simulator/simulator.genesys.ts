/**
 * How the simulated Genesys takes what the bridge sends to the Open Messaging inbound endpoints:
 * checked against the shared contract, then shown on the agent desktop (messages, button answers,
 * receipts under the agent's messages).
 */
import { GenesysInboundMessage, GenesysReceipt, GenesysStructuredResponse, genesysError } from '../genesys.contract';
import { json, now, type SimState } from './simulator.state';

/** Applies one inbound call to the desktop; answers the message's channel, or Genesys' refusal. */
export function applyInbound(path: string, raw: string, state: SimState, id: string): unknown {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return json(genesysError(400, 'bad.request', 'malformed JSON'), 400);
  }
  const invalid = (error: { issues: Array<{ path: PropertyKey[]; message: string }> }) =>
    json(
      genesysError(400, 'invalid.property', error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')),
      400,
    );
  let channel: unknown;
  if (path.endsWith('/inbound/open/receipt')) {
    const receipt = GenesysReceipt.safeParse(body);
    if (!receipt.success) return invalid(receipt.error);
    const target = state.agent.find((a) => a.id === receipt.data.id);
    if (target) {
      target.receipt = receipt.data.status;
      target.reason = receipt.data.reasons?.[0]?.message;
    }
    channel = receipt.data.channel;
  } else if (path.endsWith('/inbound/open/structured/response')) {
    const response = GenesysStructuredResponse.safeParse(body);
    if (!response.success) return invalid(response.error);
    state.agent.push({ id, from: 'customer', buttonResponse: response.data.buttonResponse.text, at: now() });
    channel = response.data.channel;
  } else if (path.endsWith('/inbound/open/message')) {
    const message = GenesysInboundMessage.safeParse(body);
    if (!message.success) return invalid(message.error);
    const image = message.data.content?.find((c) => c.attachment.mediaType === 'Image');
    state.agent.push({ id, from: 'customer', text: message.data.text, imageUrl: image?.attachment.url, at: now() });
    channel = message.data.channel;
  } else {
    return json(genesysError(404, 'not.found', 'unknown endpoint'), 404);
  }
  return channel;
}
