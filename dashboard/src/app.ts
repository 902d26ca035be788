/**
 * The admin dashboard: sign-in, tenants and onboarding, conversations and timelines, failed and
 * dead-lettered messages with replay, charts, API keys, users and the audit log. A hash-routed
 * single page over the bridge admin API; every screen re-reads the API when it opens.
 */
import {
  ApiError,
  call,
  loadConfig,
  session,
  type AlertChannel,
  type AlertRow,
  type ApiKey,
  type AuditEntry,
  type Check,
  type Conversation,
  type DeadLetterRow,
  type FailureRow,
  type Metrics,
  type Setup,
  type Tenant,
  type Timeline,
  type User,
} from './api';
import { copyButton, field, formValues, h, time } from './dom';

const root = document.getElementById('app')!;

function show(...nodes: Array<Node | string>) {
  root.replaceChildren(...nodes);
}

function errorBox(err: unknown): HTMLElement {
  if (err instanceof ApiError) {
    return h(
      'div',
      { class: 'error', 'data-testid': 'error' },
      `${err.message} (${err.code})`,
      err.issues.length
        ? h(
            'ul',
            {},
            err.issues.map((i) => h('li', {}, `${i.path}: ${i.message}`)),
          )
        : null,
    );
  }
  return h('div', { class: 'error', 'data-testid': 'error' }, String(err));
}

function nav(active: string): HTMLElement {
  return h(
    'nav',
    {},
    h('strong', {}, 'WhatsApp ⇄ Genesys'),
    h('a', { href: '#/tenants', class: active === 'tenants' ? 'active' : undefined }, 'Tenants'),
    h('a', { href: '#/users', class: active === 'users' ? 'active' : undefined }, 'Users'),
    h(
      'a',
      {
        href: '#/login',
        // The API ends a password session at once; an operator token is only forgotten here.
        onclick: () => {
          void call('POST', '/auth/logout')
            .catch(() => undefined)
            .finally(() => session.clear());
        },
      },
      'Sign out',
    ),
  );
}

// ===== Sign-in

function loginPage() {
  const error = h('div');
  const tokenForm = h(
    'form',
    { 'data-testid': 'token-form' },
    field('Operator token', 'token', { type: 'password', required: true }),
    h('button', { type: 'submit' }, 'Sign in with token'),
  ) as HTMLFormElement;
  tokenForm.onsubmit = async (e) => {
    e.preventDefault();
    session.set(formValues(tokenForm).token!);
    try {
      await call('GET', '/tenants');
      location.hash = '#/tenants';
    } catch (err) {
      session.clear();
      error.replaceChildren(errorBox(err));
    }
  };
  const passwordForm = h(
    'form',
    { 'data-testid': 'password-form' },
    field('Email', 'email', { type: 'email', required: true }),
    field('Password', 'password', { type: 'password', required: true }),
    h('button', { type: 'submit' }, 'Sign in'),
  ) as HTMLFormElement;
  passwordForm.onsubmit = async (e) => {
    e.preventDefault();
    try {
      const { token } = await call<{ token: string }>('POST', '/auth/login', formValues(passwordForm));
      session.set(token);
      location.hash = '#/tenants';
    } catch (err) {
      error.replaceChildren(errorBox(err));
    }
  };
  show(
    h(
      'main',
      { class: 'narrow' },
      h('h1', {}, 'Sign in'),
      error,
      h('section', { class: 'card' }, h('h2', {}, 'Dashboard user'), passwordForm),
      h('section', { class: 'card' }, h('h2', {}, 'Platform operator'), tokenForm),
    ),
  );
}

// ===== Tenants

async function tenantsPage() {
  const { items } = await call<{ items: Tenant[] }>('GET', '/tenants');
  show(
    nav('tenants'),
    h(
      'main',
      {},
      h(
        'div',
        { class: 'row' },
        h('h1', {}, 'Tenants'),
        h('a', { class: 'button', href: '#/tenants/new', 'data-testid': 'new-tenant' }, 'New tenant'),
      ),
      h(
        'table',
        { 'data-testid': 'tenants' },
        h(
          'tr',
          {},
          h('th', {}, 'Name'),
          h('th', {}, 'Slug'),
          h('th', {}, 'WhatsApp number id'),
          h('th', {}, 'WhatsApp credential'),
          h('th', {}, 'Genesys integration'),
        ),
        items.map((t) =>
          h(
            'tr',
            {},
            h('td', {}, h('a', { href: `#/tenants/${t.id}` }, t.name)),
            h('td', {}, t.slug),
            h('td', {}, t.whatsapp.phoneNumberId),
            h('td', { class: t.whatsapp.credentialStatus }, t.whatsapp.credentialStatus),
            h('td', {}, t.genesys.integrationId || 'not created'),
          ),
        ),
      ),
    ),
  );
}

function setupBlock(setup: Setup): HTMLElement {
  const line = (label: string, value: string | null) =>
    value
      ? h(
          'div',
          { class: 'copy' },
          h('span', {}, label),
          h('code', { 'data-testid': `setup-${label.replace(/\W+/g, '-').toLowerCase()}` }, value),
          copyButton(value),
        )
      : null;
  return h(
    'section',
    { class: 'card', 'data-testid': 'setup' },
    h('h2', {}, 'Connect the channels'),
    h('p', {}, 'In the Meta app dashboard (WhatsApp › Configuration), paste:'),
    line('Callback URL', setup.whatsapp.callbackUrl),
    line('Tenant callback URL', setup.whatsapp.tenantCallbackUrl),
    line('Verify token', setup.whatsapp.verifyToken),
    h('p', {}, 'Genesys calls the bridge at (set automatically by “Create Genesys integration”):'),
    line('Genesys webhook URL', setup.genesys.outboundWebhookUrl),
  );
}

function connectionActions(tenantId: string, after?: () => void): HTMLElement {
  const out = h('div', { 'data-testid': 'connection-result' });
  const test = async () => {
    out.replaceChildren('Checking…');
    try {
      const r = await call<Check>('POST', `/tenants/${tenantId}/test-connection`);
      out.replaceChildren(
        h(
          'ul',
          {},
          h(
            'li',
            { class: r.whatsapp.ok ? 'ok' : 'bad' },
            `WhatsApp: ${r.whatsapp.ok ? 'OK' : 'FAILED'} — ${r.whatsapp.detail}`,
          ),
          h(
            'li',
            { class: r.genesys.ok ? 'ok' : 'bad' },
            `Genesys: ${r.genesys.ok ? 'OK' : 'FAILED'} — ${r.genesys.detail}`,
          ),
        ),
      );
    } catch (err) {
      out.replaceChildren(errorBox(err));
    }
  };
  const integrate = async () => {
    out.replaceChildren('Creating the integration in Genesys…');
    try {
      const r = await call<{ integrationId: string }>('POST', `/tenants/${tenantId}/genesys/integration`, {});
      out.replaceChildren(h('p', { class: 'ok' }, `Integration ${r.integrationId} created.`));
      after?.();
    } catch (err) {
      out.replaceChildren(errorBox(err));
    }
  };
  return h(
    'div',
    {},
    h('button', { onclick: test, 'data-testid': 'test-connection' }, 'Test connection'),
    ' ',
    h('button', { onclick: integrate, 'data-testid': 'create-integration' }, 'Create Genesys integration'),
    out,
  );
}

function newTenantPage() {
  const error = h('div');
  const form = h(
    'form',
    { 'data-testid': 'tenant-form' },
    h(
      'fieldset',
      {},
      h('legend', {}, 'Tenant'),
      field('Name', 'name', { required: true }),
      field('Slug (becomes <slug>.<domain>)', 'slug', { required: true, pattern: '[a-z0-9-]+' }),
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, 'WhatsApp (Meta)'),
      field('Phone number id', 'phoneNumberId', { required: true }),
      field('WhatsApp Business Account id', 'wabaId', { required: true }),
      field('Access token', 'accessToken', { type: 'password', required: true }),
      field('App secret', 'appSecret', { type: 'password', required: true }),
      field('Verify token (you choose it)', 'verifyToken', { required: true }),
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Genesys Cloud'),
      field('Region domain (e.g. mypurecloud.ie)', 'region', { required: true }),
      field('OAuth client id', 'clientId', { required: true }),
      field('OAuth client secret', 'clientSecret', { type: 'password', required: true }),
      field('Open Messaging integration id (leave empty to create one)', 'integrationId'),
    ),
    h('button', { type: 'submit', 'data-testid': 'create-tenant' }, 'Create tenant'),
  ) as HTMLFormElement;
  form.onsubmit = async (e) => {
    e.preventDefault();
    const v = formValues(form);
    try {
      const created = await call<{ id: string; setup: Setup }>('POST', '/tenants', {
        name: v.name,
        slug: v.slug,
        whatsapp: {
          phoneNumberId: v.phoneNumberId,
          wabaId: v.wabaId,
          accessToken: v.accessToken,
          appSecret: v.appSecret,
          verifyToken: v.verifyToken,
        },
        genesys: {
          region: v.region,
          clientId: v.clientId,
          clientSecret: v.clientSecret,
          integrationId: v.integrationId ?? '',
        },
      });
      show(
        nav('tenants'),
        h(
          'main',
          {},
          h('h1', {}, `${v.name} is set up`),
          setupBlock(created.setup),
          h('section', { class: 'card' }, h('h2', {}, 'Check and finish'), connectionActions(created.id)),
          h('a', { href: `#/tenants/${created.id}` }, 'Open the tenant →'),
        ),
      );
    } catch (err) {
      error.replaceChildren(errorBox(err));
    }
  };
  show(nav('tenants'), h('main', { class: 'narrow' }, h('h1', {}, 'New tenant'), error, form));
}

// ===== One tenant

const TABS = ['overview', 'conversations', 'failures', 'alerts', 'metrics', 'keys', 'audit'] as const;
type Tab = (typeof TABS)[number];

async function tenantPage(id: string, tab: Tab) {
  const tenant = await call<Tenant>('GET', `/tenants/${id}`);
  const tabs = h(
    'div',
    { class: 'tabs' },
    TABS.map((t) =>
      h(
        'a',
        { href: `#/tenants/${id}/${t}`, class: t === tab ? 'active' : undefined, 'data-testid': `tab-${t}` },
        t[0]!.toUpperCase() + t.slice(1),
      ),
    ),
  );
  const body = await tabBody(tenant, tab);
  show(nav('tenants'), h('main', {}, h('h1', {}, tenant.name, ' ', h('small', {}, tenant.slug)), tabs, body));
}

async function tabBody(t: Tenant, tab: Tab): Promise<HTMLElement> {
  switch (tab) {
    case 'overview': {
      const setup = await call<Setup>('GET', `/tenants/${t.id}/setup`).catch(() => null);
      const kv = (k: string, v: string) => h('tr', {}, h('th', {}, k), h('td', {}, v));
      return h(
        'div',
        {},
        h(
          'section',
          { class: 'card' },
          h('h2', {}, 'Credentials (write-only)'),
          h(
            'table',
            { 'data-testid': 'credentials' },
            kv('WhatsApp phone number id', t.whatsapp.phoneNumberId),
            kv('Access token', t.whatsapp.accessToken),
            kv('App secret', t.whatsapp.appSecret),
            kv('Credential status', t.whatsapp.credentialStatus),
            kv('Genesys region', t.genesys.region),
            kv('OAuth client', t.genesys.clientId),
            kv('Client secret', t.genesys.clientSecret),
            kv('Integration', t.genesys.integrationId || 'not created'),
            kv('Mark customer messages read', t.markRead ? 'yes' : 'no'),
            kv('Genesys receipts', t.genesysReceipts === 'failed' ? 'Failed only' : 'Delivered and Failed'),
            kv('Reorder hold', `${t.inboundReorderMs} ms`),
          ),
        ),
        setup ? setupBlock(setup) : null,
        h(
          'section',
          { class: 'card' },
          h('h2', {}, 'Connection'),
          connectionActions(t.id, () => void tenantPage(t.id, 'overview')),
        ),
      );
    }
    case 'conversations': {
      const { items } = await call<{ items: Conversation[] }>('GET', `/tenants/${t.id}/conversations`);
      const detail = h('div', { 'data-testid': 'timeline' });
      const open = async (waId: string) => {
        const tl = await call<Timeline>('GET', `/tenants/${t.id}/conversations/${waId}`);
        detail.replaceChildren(
          h('h2', {}, `${tl.conversation.contactName ?? 'Customer'} (+${waId})`),
          h(
            'p',
            {},
            tl.conversation.windowClosesAt && tl.conversation.windowClosesAt > Date.now()
              ? `24-hour window open until ${time(tl.conversation.windowClosesAt)}`
              : '24-hour window closed: only templates can be sent',
          ),
          h(
            'ol',
            { class: 'timeline' },
            tl.entries.map((e) =>
              h(
                'li',
                { class: e.direction, 'data-testid': 'timeline-entry' },
                h('span', { class: 'when' }, time(e.at)),
                h(
                  'span',
                  { class: 'what' },
                  `${e.direction === 'inbound' ? '← customer' : '→ agent'} · ${e.type}${e.hasMedia ? ' 📎' : ''}`,
                ),
                h('div', {}, e.text ?? ''),
                h('span', { class: `state ${e.state}` }, [e.state, e.receipt].filter(Boolean).join(' · ')),
                e.error ? h('div', { class: 'bad' }, e.error) : null,
              ),
            ),
          ),
        );
      };
      const table = (rows: Conversation[]) =>
        h(
          'table',
          { 'data-testid': 'conversations' },
          h(
            'tr',
            {},
            h('th', {}, 'Customer'),
            h('th', {}, 'Last message'),
            h('th', {}, 'In / out'),
            h('th', {}, 'Window'),
          ),
          rows.map((c) =>
            h(
              'tr',
              {},
              h(
                'td',
                {},
                // A button, not a javascript: link, which the dashboard's CSP (script-src 'self') blocks.
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'link',
                    onclick: () => void open(c.waId),
                    'data-testid': 'open-conversation',
                  },
                  `${c.contactName ?? 'Customer'} +${c.waId}`,
                ),
              ),
              h('td', {}, time(c.lastMessageAt)),
              h('td', {}, `${c.messagesIn} / ${c.messagesOut}`),
              h('td', {}, c.windowClosesAt && c.windowClosesAt > Date.now() ? 'open' : 'closed'),
            ),
          ),
        );
      let list = table(items);
      const view = h('div', { class: 'split' }, list, detail);
      // Live: the list refreshes every 5 s while this tab is showing.
      const hash = location.hash;
      const timer = setInterval(async () => {
        if (location.hash !== hash || !view.isConnected) return clearInterval(timer);
        const fresh = table((await call<{ items: Conversation[] }>('GET', `/tenants/${t.id}/conversations`)).items);
        list.replaceWith(fresh);
        list = fresh;
      }, 5000);
      return view;
    }
    case 'failures': {
      const [failures, dead] = await Promise.all([
        call<{ items: FailureRow[] }>('GET', `/tenants/${t.id}/failures`),
        call<{ items: DeadLetterRow[] }>('GET', `/tenants/${t.id}/dead-letters`),
      ]);
      const replay = async (row: DeadLetterRow, button: HTMLElement) => {
        try {
          await call('POST', `/tenants/${t.id}/dead-letters/${row.id}/replay`);
          button.replaceWith(h('span', { class: 'ok' }, 'replayed'));
        } catch (err) {
          button.replaceWith(errorBox(err));
        }
      };
      return h(
        'div',
        {},
        h('h2', {}, 'Dead letters (retries exhausted)'),
        h(
          'table',
          { 'data-testid': 'dead-letters' },
          h(
            'tr',
            {},
            h('th', {}, 'When'),
            h('th', {}, 'Queue'),
            h('th', {}, 'Message'),
            h('th', {}, 'Error'),
            h('th', {}, 'Attempts'),
            h('th', {}, ''),
          ),
          dead.items.map((d) => {
            const button = h('button', { 'data-testid': 'replay', class: 'small' }, 'Replay');
            button.onclick = () => void replay(d, button);
            return h(
              'tr',
              {},
              h('td', {}, time(d.createdAt)),
              h('td', {}, d.queue),
              h('td', {}, d.externalId ?? ''),
              h('td', {}, `${d.errorCode}: ${d.errorDetail}`),
              h('td', {}, d.attempts),
              h('td', {}, d.replayedAt ? `replayed ${time(d.replayedAt)}` : button),
            );
          }),
        ),
        h('h2', {}, 'Failed messages (not retried)'),
        h(
          'table',
          { 'data-testid': 'failures' },
          h(
            'tr',
            {},
            h('th', {}, 'When'),
            h('th', {}, 'Direction'),
            h('th', {}, 'Message'),
            h('th', {}, 'Code'),
            h('th', {}, 'Detail'),
          ),
          failures.items.map((f) =>
            h(
              'tr',
              {},
              h('td', {}, time(f.createdAt)),
              h('td', {}, f.direction),
              h('td', {}, f.externalId ?? ''),
              h('td', {}, f.code),
              h('td', {}, f.detail),
            ),
          ),
        ),
      );
    }
    case 'alerts': {
      // History and channels only; channels are added and tested through the API (README "Alerts").
      const [alerts, channels] = await Promise.all([
        call<{ items: AlertRow[] }>('GET', `/tenants/${t.id}/alerts`),
        call<{ items: AlertChannel[] }>('GET', `/tenants/${t.id}/alert-channels`),
      ]);
      return h(
        'div',
        {},
        h('h2', {}, 'Alerts'),
        h(
          'table',
          { 'data-testid': 'alerts' },
          h(
            'tr',
            {},
            h('th', {}, 'Type'),
            h('th', {}, 'State'),
            h('th', {}, 'Opened'),
            h('th', {}, 'Resolved'),
            h('th', {}, 'Detail'),
            h('th', {}, 'Notices'),
          ),
          alerts.items.map((a) =>
            h(
              'tr',
              {},
              h('td', {}, a.type),
              h('td', { class: a.state === 'open' ? 'bad' : 'ok' }, a.state),
              h('td', {}, time(a.openedAt)),
              h('td', {}, a.resolvedAt ? time(a.resolvedAt) : ''),
              h('td', {}, a.detail),
              h('td', {}, a.deliveries.map((d) => `${d.notice}: ${d.status}`).join(', ')),
            ),
          ),
        ),
        h('h2', {}, 'Channels'),
        h(
          'table',
          { 'data-testid': 'alert-channels' },
          h('tr', {}, h('th', {}, 'Label'), h('th', {}, 'URL'), h('th', {}, 'Secret'), h('th', {}, 'Added')),
          channels.items.map((c) =>
            h(
              'tr',
              {},
              h('td', {}, c.label ?? ''),
              h('td', {}, c.url),
              h('td', {}, c.secret),
              h('td', {}, time(c.createdAt)),
            ),
          ),
        ),
      );
    }
    case 'metrics': {
      const { hours } = await call<Metrics>('GET', `/tenants/${t.id}/metrics?hours=24`);
      return h(
        'div',
        {},
        chart(hours),
        h(
          'table',
          { 'data-testid': 'metrics' },
          h(
            'tr',
            {},
            h('th', {}, 'Hour'),
            h('th', {}, 'In'),
            h('th', {}, 'Out'),
            h('th', {}, 'Failed'),
            h('th', {}, 'Avg latency (ms)'),
          ),
          hours
            .filter((x) => x.inbound + x.outbound + x.failed > 0)
            .map((x) =>
              h(
                'tr',
                {},
                h('td', {}, time(x.hour)),
                h('td', {}, x.inbound),
                h('td', {}, x.outbound),
                h('td', {}, x.failed),
                h('td', {}, x.avgLatencyMs ?? '—'),
              ),
            ),
        ),
      );
    }
    case 'keys': {
      const { items } = await call<{ items: ApiKey[] }>('GET', `/tenants/${t.id}/api-keys`);
      const shown = h('div', { 'data-testid': 'new-key' });
      const form = h(
        'form',
        {},
        field('Key name', 'name', { required: true }),
        h(
          'label',
          {},
          h('span', {}, 'Role'),
          h(
            'select',
            { name: 'role' },
            h('option', { value: 'viewer' }, 'viewer'),
            h('option', { value: 'tenant-admin' }, 'tenant-admin'),
          ),
        ),
        h('button', { type: 'submit', 'data-testid': 'create-key' }, 'Create key'),
      ) as HTMLFormElement;
      form.onsubmit = async (e) => {
        e.preventDefault();
        try {
          const created = await call<{ key: string }>('POST', `/tenants/${t.id}/api-keys`, formValues(form));
          shown.replaceChildren(
            h(
              'p',
              { class: 'ok' },
              'Copy this key now; it will not be shown again: ',
              h('code', {}, created.key),
              copyButton(created.key),
            ),
          );
        } catch (err) {
          shown.replaceChildren(errorBox(err));
        }
      };
      const revoke = async (k: ApiKey) => {
        await call('DELETE', `/tenants/${t.id}/api-keys/${k.id}`);
        void tenantPage(t.id, 'keys');
      };
      return h(
        'div',
        {},
        h(
          'table',
          { 'data-testid': 'keys' },
          h(
            'tr',
            {},
            h('th', {}, 'Name'),
            h('th', {}, 'Prefix'),
            h('th', {}, 'Role'),
            h('th', {}, 'Created'),
            h('th', {}, ''),
          ),
          items.map((k) =>
            h(
              'tr',
              {},
              h('td', {}, k.name),
              h('td', {}, h('code', {}, `${k.prefix}…`)),
              h('td', {}, k.role),
              h('td', {}, time(k.createdAt)),
              h(
                'td',
                {},
                k.revokedAt
                  ? `revoked ${time(k.revokedAt)}`
                  : h('button', { class: 'small', onclick: () => void revoke(k) }, 'Revoke'),
              ),
            ),
          ),
        ),
        h('section', { class: 'card' }, h('h2', {}, 'New API key'), form, shown),
      );
    }
    case 'audit': {
      const { items } = await call<{ items: AuditEntry[] }>('GET', `/tenants/${t.id}/audit`);
      return h(
        'table',
        { 'data-testid': 'audit' },
        h(
          'tr',
          {},
          h('th', {}, 'When'),
          h('th', {}, 'Who'),
          h('th', {}, 'Action'),
          h('th', {}, 'Target'),
          h('th', {}, 'Detail'),
        ),
        items.map((a) =>
          h(
            'tr',
            {},
            h('td', {}, time(a.createdAt)),
            h('td', {}, a.actor),
            h('td', {}, a.action),
            h('td', {}, a.target ?? ''),
            h('td', {}, h('code', {}, a.detail)),
          ),
        ),
      );
    }
  }
}

/** Bars of messages in/out and failures per hour, as inline SVG. */
function chart(hours: Metrics['hours']): Element {
  const width = 720;
  const height = 180;
  const max = Math.max(1, ...hours.map((x) => x.inbound + x.outbound + x.failed));
  const slot = width / hours.length;
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height + 20}`);
  svg.setAttribute('data-testid', 'chart');
  svg.setAttribute('class', 'chart');
  hours.forEach((x, i) => {
    let y = height;
    for (const [value, color] of [
      [x.inbound, '#2563eb'],
      [x.outbound, '#16a34a'],
      [x.failed, '#dc2626'],
    ] as const) {
      const barHeight = (value / max) * (height - 10);
      const rect = document.createElementNS(ns, 'rect');
      rect.setAttribute('x', String(i * slot + 2));
      rect.setAttribute('y', String(y - barHeight));
      rect.setAttribute('width', String(slot - 4));
      rect.setAttribute('height', String(barHeight));
      rect.setAttribute('fill', color);
      y -= barHeight;
      svg.append(rect);
    }
  });
  // Average latency per hour as a line on its own scale (right), so slow hours stand out.
  const maxLatency = Math.max(1, ...hours.map((x) => x.avgLatencyMs ?? 0));
  const points = hours.flatMap((x, i) =>
    x.avgLatencyMs === null ? [] : [`${i * slot + slot / 2},${height - (x.avgLatencyMs / maxLatency) * (height - 10)}`],
  );
  if (points.length > 0) {
    const line = document.createElementNS(ns, 'polyline');
    line.setAttribute('points', points.join(' '));
    line.setAttribute('fill', 'none');
    line.setAttribute('stroke', '#f59e0b');
    line.setAttribute('stroke-width', '2');
    line.setAttribute('data-testid', 'latency-line');
    svg.append(line);
    for (const point of points) {
      const [cx, cy] = point.split(',');
      const dot = document.createElementNS(ns, 'circle');
      dot.setAttribute('cx', cx!);
      dot.setAttribute('cy', cy!);
      dot.setAttribute('r', '4');
      dot.setAttribute('fill', '#f59e0b');
      svg.append(dot);
    }
  }
  const legend = h(
    'p',
    { class: 'legend' },
    h('span', { class: 'in' }, '■ in'),
    ' ',
    h('span', { class: 'out' }, '■ out'),
    ' ',
    h('span', { class: 'failed' }, '■ failed'),
    ' ',
    h('span', { class: 'latency' }, '— avg latency'),
    ` — last ${hours.length} hours, max ${max} messages/hour, max latency ${maxLatency} ms`,
  );
  return h('section', { class: 'card' }, h('h2', {}, 'Messages and latency per hour'), svg, legend);
}

// ===== Users

async function usersPage() {
  const [{ items }, tenants] = await Promise.all([
    call<{ items: User[] }>('GET', '/users'),
    call<{ items: Tenant[] }>('GET', '/tenants'),
  ]);
  const error = h('div');
  const form = h(
    'form',
    { 'data-testid': 'user-form' },
    field('Email', 'email', { type: 'email', required: true }),
    field('Password (12+ characters)', 'password', { type: 'password', required: true, minlength: '12' }),
    h(
      'label',
      {},
      h('span', {}, 'Role'),
      h(
        'select',
        { name: 'role' },
        ['viewer', 'tenant-admin', 'platform-admin'].map((r) => h('option', { value: r }, r)),
      ),
    ),
    h(
      'label',
      {},
      h('span', {}, 'Tenant'),
      h(
        'select',
        { name: 'tenantId' },
        h('option', { value: '' }, '(none: platform admin)'),
        tenants.items.map((t) => h('option', { value: t.id }, t.name)),
      ),
    ),
    h('button', { type: 'submit', 'data-testid': 'create-user' }, 'Create user'),
  ) as HTMLFormElement;
  form.onsubmit = async (e) => {
    e.preventDefault();
    const v = formValues(form);
    try {
      await call('POST', '/users', { ...v, tenantId: v.tenantId || null });
      void usersPage();
    } catch (err) {
      error.replaceChildren(errorBox(err));
    }
  };
  const name = (id: string | null) => tenants.items.find((t) => t.id === id)?.name ?? (id ? id : 'platform');
  show(
    nav('users'),
    h(
      'main',
      {},
      h('h1', {}, 'Users and roles'),
      h(
        'table',
        { 'data-testid': 'users' },
        h('tr', {}, h('th', {}, 'Email'), h('th', {}, 'Role'), h('th', {}, 'Tenant'), h('th', {}, 'Created')),
        items.map((u) =>
          h(
            'tr',
            {},
            h('td', {}, u.email),
            h('td', {}, u.role),
            h('td', {}, name(u.tenantId)),
            h('td', {}, time(u.createdAt)),
          ),
        ),
      ),
      h('section', { class: 'card' }, h('h2', {}, 'New user'), error, form),
    ),
  );
}

// ===== Router

async function route() {
  const [, page, id, tab] = location.hash.replace(/^#/, '').split('/');
  if (!session.get() && page !== 'login') {
    location.hash = '#/login';
    return;
  }
  try {
    if (page === 'login' || !page) return loginPage();
    if (page === 'users') return await usersPage();
    if (page === 'tenants' && id === 'new') return newTenantPage();
    if (page === 'tenants' && id)
      return await tenantPage(id, (TABS as readonly string[]).includes(tab ?? '') ? (tab as Tab) : 'overview');
    return await tenantsPage();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      session.clear();
      location.hash = '#/login';
      return;
    }
    show(nav(''), h('main', {}, errorBox(err)));
  }
}

await loadConfig();
window.addEventListener('hashchange', () => void route());
void route();
