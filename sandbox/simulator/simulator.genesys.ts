/**
 * How the simulated Genesys takes what the bridge sends to the Open Messaging inbound endpoints:
 * checked against the shared contract, then shown on the agent desktop (messages, button answers,
 * receipts under the agent's messages).
 */
import { GenesysInboundMessage, GenesysReceipt, GenesysStructuredResponse, genesysError } from '../genesys.contract';
import demo from './demo-tenant.json';
import { SANDBOX_AGENT, SANDBOX_ORG, json, now, type SimState } from './simulator.state';

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

/** The Genesys reads the bridge makes (integration check, the widget's agent and org, conversations). */
export function lookup(path: string, token: string, state: SimState): Response | null {
  if (path.includes('/messaging/integrations/open/')) {
    return json({
      id: demo.genesys.integrationId,
      name: 'Sandbox WhatsApp',
      status: 'Active',
      createStatus: 'Completed',
    });
  }
  if (path === '/api/v2/users/me') {
    if (!state.agentTokens?.[token])
      return json(
        genesysError(
          400,
          'bad.request',
          'This request requires a user context. Client credentials cannot be used for requests to this resource.',
        ),
        400,
      );
    return json({ ...SANDBOX_AGENT, organization: { id: SANDBOX_ORG, name: demo.name } });
  }
  if (path === '/api/v2/organizations/me') return json({ id: SANDBOX_ORG, name: demo.name });
  if (path.startsWith('/api/v2/conversations/')) {
    const id = path.split('/').pop();
    return id && id === state.genesysConversationId
      ? json({ id, participants: [] })
      : json(genesysError(404, 'not.found', 'The requested resource was not found.'), 404);
  }
  return null;
}
