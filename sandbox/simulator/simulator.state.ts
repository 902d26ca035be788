/**
 * The simulator's state (what the phone and the agent desktop show), the demo account's approved
 * templates and hosted assets, and the signing helpers both vendors' webhooks use.
 */
import type { ApprovedTemplate } from '../meta-checks.contract';

export interface SimEnv {
  SIM: DurableObjectNamespace<import('./simulator.do').SimulatorDO>;
  BRIDGE_URL: string;
  DASHBOARD_URL?: string;
}

/** The sandbox's Genesys org and agent, and the implicit-grant client the agent widget signs in with. */
export const SANDBOX_ORG = 'sandbox-org';
export const SANDBOX_AGENT = { id: 'sandbox-agent', name: 'Agent Alex' };
export const WIDGET_CLIENT_ID = 'sandbox-widget-client';

export type Ticks = 'pending' | 'sent' | 'delivered' | 'read' | 'failed';

export interface PhoneItem {
  id: string;
  from: 'customer' | 'business';
  text?: string;
  imageUrl?: string;
  buttons?: Array<{ id: string; title: string }>;
  template?: string;
  ticks?: Ticks;
  at: number;
}

export interface AgentItem {
  id: string;
  from: 'customer' | 'agent';
  text?: string;
  imageUrl?: string;
  buttonResponse?: string;
  receipt?: string;
  reason?: string;
  at: number;
}

export interface SimState {
  tenantId?: string;
  phone: PhoneItem[];
  agent: AgentItem[];
  typingUntil: number;
  tokens: Record<string, number>;
  /** Tokens an agent got by signing in (implicit grant), as opposed to client-credential tokens. */
  agentTokens?: Record<string, true>;
  /** The Genesys conversation of the demo customer, created with the first inbound message. */
  genesysConversationId?: string;
  pending: Array<{ at: number; wamid: string; status: 'sent' | 'delivered' | 'read' }>;
  /** Sends still to be refused with a 500 (a simulated WhatsApp outage). */
  outage?: number;
}

/** Templates "approved" in the demo WhatsApp account (as Graph lists them). */
export const TEMPLATES: ApprovedTemplate[] = [
  {
    name: 'order_update',
    language: 'en_US',
    components: [{ type: 'BODY', text: 'Hi {{1}}, your order {{2}} is on its way 🚚' }],
  },
  {
    name: 'follow_up',
    language: 'en_US',
    components: [{ type: 'BODY', text: 'Hi {{1}}, do you still need help with your order?' }],
  },
];
/** Assets the simulator itself serves, so it can check them as WhatsApp checks a fetched link. */
export const HOSTED_ASSETS: Record<string, { mime: string; bytes: number }> = {
  '/assets/agent.png': { mime: 'image/png', bytes: 4096 },
};

const encoder = new TextEncoder();

export async function hmac(secret: string, body: string): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(body)));
}

export const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
export const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
export const json = (body: unknown, status = 200) => Response.json(body, { status });
export const now = () => Date.now();
export const unix = () => String(Math.floor(Date.now() / 1000));
