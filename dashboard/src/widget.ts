/**
 * The agent widget, embedded in Genesys Agent Desktop as an interaction widget with the URL
 *   https://<dashboard>/widget?tenant=<slug>&region=<genesys domain>&clientId=<implicit-grant client id>&gcConversationId={{gcConversationId}}
 * It signs the agent in with Genesys (implicit grant: the agent's own token, never a tenant
 * secret), lets the bridge verify that token against the tenant's org, and then shows the
 * customer's WhatsApp name and number, the 24-hour window countdown, the history with media, and
 * an approved-template sender for when the window is closed.
 */
import regions from '../../workers/domain/genesys-regions.json';
import { h, time } from './dom';

const GENESYS_REGION_DOMAINS: string[] = Object.values(regions);

/**
 * The widget's settings from its URL. Genesys compares the implicit grant's redirect_uri with the
 * OAuth client's registered redirect URIs, so the widget registers and comes back to its bare
 * address (https://<dashboard>/widget) and carries its own query through OAuth `state`
 * (`<nonce>.<query>`), which Genesys hands back in the fragment with the token.
 */
const returned = new URLSearchParams(location.hash.replace(/^#/, ''));
const returnedState = returned.get('state') ?? '';
const returnedQuery = returnedState.slice(returnedState.indexOf('.') + 1);

function widgetParams(): URLSearchParams {
  if (!location.search && returnedQuery.startsWith('?')) return new URLSearchParams(returnedQuery);
  return new URLSearchParams(location.search);
}

/**
 * The nonce of the sign-in this widget started, kept for the trip to Genesys and back: a token in
 * the fragment is taken only with it, so a crafted link cannot sign the agent in with someone
 * else's token (implicit-grant token injection).
 */
const NONCE_KEY = 'widget.oauth-nonce';

const params = widgetParams();
const root = document.getElementById('widget')!;
const show = (...nodes: Array<Node | string>) => root.replaceChildren(...nodes);

interface HistoryEntry {
  id: string;
  direction: 'inbound' | 'outbound';
  at: number;
  kind: 'message' | 'typing' | 'receipt' | 'event';
  type: string;
  /** How a person would describe it (workers/domain/timeline-label.ts). */
  label: string;
  text?: string;
  media?: { url: string; mime: string };
  state: string;
  receipt?: string;
}
interface View {
  customer: { name: string | null; waId: string };
  window: { open: boolean; closesAt: number | null };
  history: HistoryEntry[];
  agent: { name: string };
}
interface Template {
  name: string;
  language: string;
  body: string;
  parameters: number;
}

async function config(): Promise<{ apiBase: string; genesysLoginBase?: string }> {
  return (await fetch('config.json')).json();
}

/**
 * The agent's Genesys token from the implicit-grant redirect this widget started; otherwise starts
 * one (answers null while the browser goes to Genesys), or answers `refused` for a token this
 * widget did not ask for.
 */
function agentToken(loginBase: string): string | null | 'refused' {
  const token = returned.get('access_token');
  if (token) {
    const expected = sessionStorage.getItem(NONCE_KEY);
    sessionStorage.removeItem(NONCE_KEY);
    history.replaceState(
      null,
      '',
      location.pathname + (returnedQuery.startsWith('?') ? returnedQuery : location.search),
    );
    return expected && returnedState.startsWith(`${expected}.`) ? token : 'refused';
  }
  const nonce = crypto.randomUUID();
  sessionStorage.setItem(NONCE_KEY, nonce);
  const authorize = new URL(`${loginBase}/oauth/authorize`);
  authorize.searchParams.set('response_type', 'token');
  authorize.searchParams.set('client_id', params.get('clientId') ?? '');
  authorize.searchParams.set('redirect_uri', location.origin + location.pathname);
  authorize.searchParams.set('state', `${nonce}.${location.search}`);
  location.assign(authorize.toString());
  return null;
}

function countdown(closesAt: number | null): HTMLElement {
  const el = h('span', { 'data-testid': 'window-countdown' });
  const tick = () => {
    const left = (closesAt ?? 0) - Date.now();
    if (left <= 0) {
      el.textContent = 'closed — only approved templates can reach the customer';
      el.className = 'bad';
      return;
    }
    const s = Math.floor(left / 1000);
    el.textContent = `open for ${String(Math.floor(s / 3600)).padStart(2, '0')}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
    el.className = 'ok';
    setTimeout(tick, 1000);
  };
  tick();
  return el;
}

async function main() {
  const cfg = await config();
  const api = cfg.apiBase.replace(/\/+$/, '');
  // The region names the host the agent signs in at: only Genesys Cloud's own domains, so the
  // widget URL cannot send an agent's sign-in (and token) anywhere else.
  const region = params.get('region') ?? 'mypurecloud.com';
  if (!GENESYS_REGION_DOMAINS.includes(region))
    return show(
      h(
        'p',
        { class: 'error', role: 'alert', 'data-testid': 'widget-error' },
        `Unknown Genesys Cloud region "${region}".`,
      ),
    );
  const loginBase = cfg.genesysLoginBase ?? `https://login.${region}`;
  const conversationId = params.get('gcConversationId');
  if (!conversationId || !params.get('tenant'))
    return show(
      h('p', { class: 'error' }, 'This widget needs ?tenant=…&gcConversationId={{gcConversationId}} in its URL.'),
    );
  const token = agentToken(loginBase);
  if (!token) return;
  if (token === 'refused')
    return show(
      h(
        'p',
        { class: 'error', role: 'alert', 'data-testid': 'widget-error' },
        'This sign-in did not start from this widget, so it was not used. ',
        h('a', { href: location.pathname + location.search, 'data-testid': 'widget-sign-in-again' }, 'Sign in again'),
      ),
    );

  const sessionRes = await fetch(`${api}/api/widget/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ tenant: params.get('tenant'), conversationId, accessToken: token }),
  });
  const session = (await sessionRes.json()) as { token?: string; error?: { message: string } };
  if (!sessionRes.ok || !session.token)
    return show(
      h(
        'p',
        { class: 'error', 'data-testid': 'widget-error' },
        session.error?.message ?? 'Could not verify you with Genesys.',
      ),
    );
  const auth = { authorization: `Bearer ${session.token}` };

  const render = async () => {
    const view = (await (await fetch(`${api}/api/widget/conversation`, { headers: auth })).json()) as View;
    const templates =
      ((await (await fetch(`${api}/api/widget/templates`, { headers: auth })).json()) as { items?: Template[] })
        .items ?? [];
    const params = h('div', { 'data-testid': 'template-params' });
    const select = h(
      'select',
      { id: 'template-select', 'data-testid': 'template-select' },
      templates.map((t, i) => h('option', { value: String(i) }, `${t.name} (${t.language})`)),
    ) as HTMLSelectElement;
    const preview = h('p', { class: 'preview', 'data-testid': 'template-preview' });
    const pick = () => {
      const t = templates[Number(select.value)];
      preview.textContent = t?.body ?? '';
      params.replaceChildren(
        ...Array.from({ length: t?.parameters ?? 0 }, (_, i) =>
          h(
            'label',
            { class: 'field' },
            `Value for {{${i + 1}}} `,
            h('input', { placeholder: `{{${i + 1}}}`, 'data-testid': `template-param-${i + 1}` }),
          ),
        ),
      );
    };
    select.onchange = pick;
    pick();
    const status = h('span', { 'data-testid': 'template-status' });
    const send = async () => {
      const t = templates[Number(select.value)];
      if (!t) return;
      const values = [...params.querySelectorAll('input')].map((i) => (i as HTMLInputElement).value);
      const res = await fetch(`${api}/api/widget/template`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ name: t.name, language: t.language, parameters: values }),
      });
      status.textContent = res.ok
        ? 'Template sent.'
        : `Not sent: ${((await res.json()) as { error?: { message: string } }).error?.message ?? res.status}`;
      setTimeout(() => void render(), 2500);
    };
    show(
      h(
        'header',
        {},
        h('strong', { 'data-testid': 'customer-name' }, view.customer.name ?? 'WhatsApp customer'),
        ' ',
        h('span', { 'data-testid': 'customer-number' }, `+${view.customer.waId}`),
      ),
      h('p', {}, '24-hour window: ', countdown(view.window.closesAt)),
      h(
        'ol',
        { class: 'history', 'data-testid': 'history' },
        view.history
          .filter((e) => e.kind === 'message')
          .map((e) =>
            h(
              'li',
              { class: e.direction, 'data-testid': 'history-entry', 'data-type': e.type },
              h('small', {}, `${time(e.at)} · ${e.direction === 'inbound' ? 'customer' : 'agent'}`),
              e.media?.mime.startsWith('image/')
                ? h('img', { src: e.media.url, alt: e.text ?? 'photo', 'data-testid': 'history-image' })
                : e.media
                  ? h('a', { href: e.media.url, target: '_blank' }, 'attachment')
                  : null,
              h('div', { 'data-testid': 'history-label' }, e.label),
              h('small', {}, [e.state, e.receipt].filter(Boolean).join(' · ')),
            ),
          ),
      ),
      h(
        'section',
        { class: view.window.open ? 'card' : 'card attention' },
        h('h2', {}, view.window.open ? 'Send an approved template' : 'Window closed: send an approved template'),
        h('label', { for: 'template-select' }, 'Template '),
        select,
        preview,
        params,
        h('button', { onclick: () => void send(), 'data-testid': 'send-template' }, 'Send template'),
        ' ',
        status,
      ),
    );
  };
  await render();
}

void main();
