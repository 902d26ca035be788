/**
 * One tenant: overview, conversations and timelines, failures and dead letters, alerts, metrics,
 * settings, API keys and the audit log, as ARIA tabs. Actions a role may not take are not shown.
 */
import { useEffect, useState } from 'preact/hooks';
import {
  call,
  can,
  explain,
  type AlertRow,
  type BulkReplay,
  type ApiKey,
  type AuditEntry,
  type Conversation,
  type DeadLetterRow,
  type FailureRow,
  type Setup,
  type Tenant,
  type Timeline,
} from '../api';
import { MetricsTab } from './charts';
import {
  ActionButton,
  ActionForm,
  Async,
  Copy,
  ErrorNote,
  Field,
  Loading,
  Ok,
  PagedView,
  plain,
  Select,
  Table,
  time,
  useAsync,
  usePaged,
} from './kit';
import { AlertChannels, SettingsTab } from './settings';
import { ConnectionActions, SearchBox, SetupBlock } from './tenants';

export const TABS = [
  'overview',
  'conversations',
  'failures',
  'alerts',
  'metrics',
  'settings',
  'keys',
  'audit',
] as const;
export type Tab = (typeof TABS)[number];
const LABEL: Record<Tab, string> = {
  overview: 'Overview',
  conversations: 'Conversations',
  failures: 'Failures',
  alerts: 'Alerts',
  metrics: 'Metrics',
  settings: 'Settings',
  keys: 'API keys',
  audit: 'Audit',
};

export function TenantPage({ id, tab, sub }: { id: string; tab: Tab; sub?: string }) {
  const state = useAsync(() => call<Tenant>('GET', `/tenants/${id}`), [id]);
  return (
    <main id="main">
      <Async state={state} what="Loading the tenant…">
        {(t) => (
          <>
            <h1>
              {t.name} <small>{t.slug}</small>{' '}
              {t.status === 'suspended' ? (
                <span class="badge bad" data-testid="suspended-badge">
                  suspended
                </span>
              ) : null}
            </h1>
            <div class="tabs" role="tablist" aria-label="Tenant sections">
              {TABS.map((x) => (
                <a
                  key={x}
                  role="tab"
                  id={`tab-${x}`}
                  href={`#/tenants/${id}/${x}`}
                  aria-selected={x === tab ? 'true' : 'false'}
                  aria-controls="tabpanel"
                  tabIndex={x === tab ? 0 : -1}
                  data-testid={`tab-${x}`}
                  onKeyDown={(e) => {
                    const i = TABS.indexOf(x);
                    const to =
                      e.key === 'ArrowRight'
                        ? TABS[(i + 1) % TABS.length]
                        : e.key === 'ArrowLeft'
                          ? TABS[(i + TABS.length - 1) % TABS.length]
                          : null;
                    if (to) {
                      location.hash = `#/tenants/${id}/${to}`;
                      setTimeout(() => document.getElementById(`tab-${to}`)?.focus());
                    }
                  }}
                >
                  {LABEL[x]}
                </a>
              ))}
            </div>
            <div role="tabpanel" id="tabpanel" aria-labelledby={`tab-${tab}`} data-testid={`panel-${tab}`}>
              <TabBody t={t} tab={tab} sub={sub} reload={state.reload} />
            </div>
          </>
        )}
      </Async>
    </main>
  );
}

function TabBody({ t, tab, sub, reload }: { t: Tenant; tab: Tab; sub?: string; reload: () => void }) {
  switch (tab) {
    case 'overview':
      return <Overview t={t} reload={reload} />;
    case 'conversations':
      return <Conversations t={t} open={sub} />;
    case 'failures':
      return <Failures t={t} />;
    case 'alerts':
      return <Alerts t={t} />;
    case 'metrics':
      return <MetricsTab t={t} />;
    case 'settings':
      return <SettingsTab t={t} reload={reload} />;
    case 'keys':
      return <Keys t={t} />;
    case 'audit':
      return <Audit t={t} />;
  }
}

// ===== Overview

function Overview({ t, reload }: { t: Tenant; reload: () => void }) {
  // The setup (verify token in clear) is for tenant admins.
  const setup = useAsync(
    () => (can('tenant-admin') ? call<Setup>('GET', `/tenants/${t.id}/setup`) : Promise.resolve(null)),
    [t.id],
  );
  const kv = (k: string, v: string, cls?: string) => (
    <tr>
      <th scope="row">{k}</th>
      <td class={cls}>{v}</td>
    </tr>
  );
  return (
    <div>
      <section class="card" aria-labelledby="h-cred">
        <h2 id="h-cred">Credentials</h2>
        <p class="hint">
          Secrets are shown masked;{' '}
          {can('tenant-admin') ? 'replace them under Settings.' : 'a tenant admin can replace them.'}
        </p>
        {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scroll container must take focus (WCAG 2.1.1) */}
        <section class="table-wrap" aria-label="Credentials" tabIndex={0}>
          <table data-testid="credentials">
            <caption class="sr-only">Credentials and settings</caption>
            <tbody>
              {kv('Status', t.status, t.status === 'active' ? 'ok' : 'bad')}
              {kv('WhatsApp phone number id', t.whatsapp.phoneNumberId)}
              {kv('Access token', t.whatsapp.accessToken)}
              {kv('App secret', t.whatsapp.appSecret)}
              {kv(
                'Credential status',
                t.whatsapp.credentialStatus,
                t.whatsapp.credentialStatus === 'ok' ? 'ok' : 'bad',
              )}
              {kv('Genesys region', t.genesys.region)}
              {kv('OAuth client', t.genesys.clientId)}
              {kv('Client secret', t.genesys.clientSecret)}
              {kv('Integration', t.genesys.integrationId || 'not created')}
              {kv('Mark customer messages read', t.markRead ? 'yes' : 'no')}
              {kv('Genesys receipts', t.genesysReceipts === 'failed' ? 'Failed only' : 'Delivered and Failed')}
              {kv('Reorder hold', `${t.inboundReorderMs} ms`)}
            </tbody>
          </table>
        </section>
      </section>
      {setup.data ? <SetupBlock setup={setup.data} /> : null}
      {setup.error ? <ErrorNote error={setup.error} /> : null}
      {can('tenant-admin') ? (
        <section class="card" aria-labelledby="h-conn">
          <h2 id="h-conn">Connection</h2>
          <ConnectionActions tenant={{ id: t.id, integrationId: t.genesys.integrationId }} onChange={reload} />
        </section>
      ) : null}
    </div>
  );
}

// ===== Conversations

const windowOpen = (c: { windowClosesAt: number | null }) => !!c.windowClosesAt && c.windowClosesAt > Date.now();

function Conversations({ t, open }: { t: Tenant; open?: string }) {
  const [q, setQ] = useState('');
  const [window, setWindow] = useState('');
  const list = usePaged<Conversation>(`/tenants/${t.id}/conversations`, { q, window });
  const [live, setLive] = useState<{ at?: number; error?: unknown }>({});
  // Live: the first page refreshes every 5 s while it is all that is shown; a failure says so.
  useEffect(() => {
    const timer = setInterval(() => {
      if (list.items.length > 50) return;
      list.reload(true).then(
        () => setLive({ at: Date.now() }),
        (error: unknown) => setLive({ error }),
      );
    }, 5000);
    return () => clearInterval(timer);
  }, [list.reload, list.items.length]);
  return (
    <div>
      <SearchBox label="Phone number or name" value={q} onSearch={setQ}>
        <Select
          label="24-hour window"
          name="window"
          value={window}
          onChange={setWindow}
          options={[
            ['', 'Open or closed'],
            ['open', 'Open (the customer wrote in the last 24 h)'],
            ['closed', 'Closed (templates only)'],
          ]}
        />
      </SearchBox>
      <p class="hint" aria-live="polite" data-testid="live">
        {live.error ? (
          <span class="bad" role="alert">
            Live updates failed: {explain(live.error).title} Retrying every 5 s.
          </span>
        ) : live.at ? (
          `Updated ${new Date(live.at).toLocaleTimeString()} · refreshes every 5 s`
        ) : (
          'Refreshes every 5 s'
        )}
      </p>
      <div class="split">
        <PagedView
          list={list}
          testid="conversations"
          empty={q ? `No conversation matches “${q}”.` : 'No conversations yet: they appear when a customer writes.'}
        >
          {(items) => (
            <Table
              testid="conversations"
              caption="Conversations"
              head={['Customer', 'Last message', 'Delivered in / out', 'Window']}
            >
              {items.map((c) => (
                <tr key={c.waId} class={open === c.waId ? 'selected' : undefined}>
                  <td>
                    <a
                      href={`#/tenants/${t.id}/conversations/${encodeURIComponent(c.waId)}`}
                      data-testid="open-conversation"
                      aria-current={open === c.waId ? 'true' : undefined}
                    >
                      {c.contactName ?? 'Customer'} +{c.waId}
                    </a>
                  </td>
                  <td>{time(c.lastMessageAt)}</td>
                  <td>
                    {c.messagesIn} / {c.messagesOut}
                  </td>
                  <td>{windowOpen(c) ? 'open' : 'closed'}</td>
                </tr>
              ))}
            </Table>
          )}
        </PagedView>
        <div data-testid="timeline" class="timeline-pane">
          {open ? <TimelineView t={t} waId={open} /> : <p class="hint">Choose a conversation to see its timeline.</p>}
        </div>
      </div>
    </div>
  );
}

const STATE_WORDS: Record<string, string> = {
  received: 'received by the bridge',
  queued: 'waiting to be sent',
  held: 'held (tenant suspended or ordering)',
  sent: 'sent',
  delivered: 'delivered',
  read: 'read',
  failed: 'failed',
  forwarded: 'handed to Genesys',
  dead: 'not delivered: retries ran out (see Failures)',
};

const KIND_WORDS: Record<'message' | 'typing' | 'receipt' | 'event', string> = {
  message: 'message',
  typing: 'typing',
  receipt: 'receipt',
  event: 'event',
};

function TimelineView({ t, waId }: { t: Tenant; waId: string }) {
  const state = useAsync(
    () => call<Timeline>('GET', `/tenants/${t.id}/conversations/${encodeURIComponent(waId)}`),
    [t.id, waId],
  );
  return (
    <Async state={state} what="Loading the timeline…">
      {(tl) => (
        <section aria-labelledby="h-timeline">
          <h2 id="h-timeline">
            {tl.conversation.contactName ?? 'Customer'} (+{waId})
          </h2>
          <p>
            {windowOpen(tl.conversation)
              ? `24-hour window open until ${time(tl.conversation.windowClosesAt)}`
              : '24-hour window closed: only templates can be sent'}
          </p>
          {tl.entries.length === 0 ? <p class="empty">No messages kept for this conversation.</p> : null}
          <ol class="timeline">
            {tl.entries.map((e) => (
              // What happened, in words (the bridge's label): a message with its content, or the
              // agent typing, a receipt, an event — shown as such, never as a message.
              <li key={e.id} class={`${e.direction} ${e.kind}`} data-testid="timeline-entry" data-kind={e.kind}>
                <span class="when">{time(e.at)}</span>
                <span class="what">
                  {e.direction === 'inbound' ? 'Customer' : 'Agent'}
                  {e.kind === 'message' ? '' : ` · ${KIND_WORDS[e.kind]}`}
                </span>
                <div data-testid="timeline-label">{e.label}</div>
                {e.kind === 'message' ? (
                  <span class={`state ${e.state}`}>
                    {[STATE_WORDS[e.state] ?? e.state, e.receipt ? `receipt: ${e.receipt}` : '']
                      .filter(Boolean)
                      .join(' · ')}
                  </span>
                ) : null}
                {e.error ? <div class="bad">{plain(e.error)}</div> : null}
              </li>
            ))}
          </ol>
        </section>
      )}
    </Async>
  );
}

// ===== Failures

/** The record's payload, fetched from its detail route when first opened (lists carry none). */
function Payload({ path }: { path: string }) {
  const [state, setState] = useState<{ loading: true } | { text: string } | { error: unknown } | null>(null);
  const load = async (open: boolean) => {
    if (!open || state) return;
    setState({ loading: true });
    try {
      const { payload } = await call<{ payload: string }>('GET', path);
      let pretty = payload;
      try {
        pretty = JSON.stringify(JSON.parse(payload), null, 2);
      } catch {
        // shown as stored
      }
      setState({ text: pretty });
    } catch (error) {
      setState({ error });
    }
  };
  return (
    <details data-testid="payload" onToggle={(e) => void load((e.currentTarget as HTMLDetailsElement).open)}>
      <summary>Payload</summary>
      {state && 'loading' in state ? <Loading /> : null}
      {state && 'error' in state ? <ErrorNote error={state.error} /> : null}
      {state && 'text' in state ? (
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scroll container must take focus (WCAG 2.1.1)
        <pre tabIndex={0}>{state.text}</pre>
      ) : null}
    </details>
  );
}

function ConversationLink({ t, waId }: { t: Tenant; waId: string | null }) {
  return waId ? (
    <a href={`#/tenants/${t.id}/conversations/${encodeURIComponent(waId)}`} data-testid="failure-conversation">
      +{waId}
    </a>
  ) : (
    <span>—</span>
  );
}

function Failures({ t }: { t: Tenant }) {
  const [q, setQ] = useState('');
  const [direction, setDirection] = useState('');
  const [code, setCode] = useState('');
  const filters = { q, direction, code: code.trim() };
  const dead = usePaged<DeadLetterRow>(`/tenants/${t.id}/dead-letters`, filters);
  const failures = usePaged<FailureRow>(`/tenants/${t.id}/failures`, filters);
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [result, setResult] = useState<string | null>(null);
  const admin = can('tenant-admin');
  const replayable = dead.items.filter((d) => !d.replayedAt);
  const replay = async (ids: string[]) => {
    const r = await call<BulkReplay>('POST', `/tenants/${t.id}/dead-letters/replay`, { ids });
    setPicked(new Set());
    const skipped = r.skipped.length;
    setResult(`${r.replayed} replayed${skipped ? `, ${skipped} skipped (already replayed or gone)` : ''}.`);
    await dead.reload(true).catch(() => undefined);
  };
  return (
    <div>
      <SearchBox
        label="Phone number or message id"
        value={q}
        onSearch={(text, fields) => {
          setQ(text);
          setCode(fields.code ?? '');
        }}
      >
        <Select
          label="Direction"
          name="direction"
          value={direction}
          onChange={setDirection}
          options={[
            ['', 'Both directions'],
            ['inbound', 'Customer → agent'],
            ['outbound', 'Agent → customer'],
          ]}
        />
        <Field label="Error code" name="code" defaultValue={code} placeholder="e.g. genesys_503" />
      </SearchBox>
      <section aria-labelledby="h-dead">
        <div class="row">
          <h2 id="h-dead">Dead letters (retries exhausted)</h2>
          {admin && replayable.length > 0 ? (
            <ActionButton
              testid="replay-selected"
              action={() => replay([...picked])}
              busy="Replaying…"
              disabled={picked.size === 0}
            >
              Replay selected ({picked.size})
            </ActionButton>
          ) : null}
        </div>
        {result ? <Ok testid="replay-result">{result}</Ok> : null}
        <PagedView
          list={dead}
          testid="dead-letters"
          empty="No dead letters: every message was delivered or failed for good."
        >
          {(items) => (
            <Table
              testid="dead-letters"
              caption="Dead letters"
              head={[...(admin ? ['Select'] : []), 'When', 'Customer', 'Queue', 'Message', 'Error', 'Attempts', '']}
            >
              {items.map((d) => (
                <tr key={d.id}>
                  {admin ? (
                    <td>
                      {!d.replayedAt ? (
                        <input
                          type="checkbox"
                          aria-label={`Select dead letter ${d.externalId ?? d.id}`}
                          data-testid="pick"
                          checked={picked.has(d.id)}
                          onChange={(e) => {
                            const next = new Set(picked);
                            if ((e.target as HTMLInputElement).checked) next.add(d.id);
                            else next.delete(d.id);
                            setPicked(next);
                          }}
                        />
                      ) : null}
                    </td>
                  ) : null}
                  <td>{time(d.createdAt)}</td>
                  <td>
                    <ConversationLink t={t} waId={d.waId} />
                  </td>
                  <td>{d.queue}</td>
                  <td>
                    {d.externalId ?? ''}
                    <Payload path={`/tenants/${t.id}/dead-letters/${d.id}`} />
                  </td>
                  <td>
                    {d.errorCode}: {plain(d.errorDetail)}
                  </td>
                  <td>{d.attempts}</td>
                  <td>
                    {d.replayedAt ? (
                      `replayed ${time(d.replayedAt)}`
                    ) : admin ? (
                      <ActionButton class="small" testid="replay" action={() => replay([d.id])} busy="Replaying…">
                        Replay
                      </ActionButton>
                    ) : (
                      'waiting'
                    )}
                  </td>
                </tr>
              ))}
            </Table>
          )}
        </PagedView>
      </section>
      <section aria-labelledby="h-failed">
        <h2 id="h-failed">Failed messages (not retried)</h2>
        <PagedView list={failures} testid="failures" empty="No failed messages.">
          {(items) => (
            <Table
              testid="failures"
              caption="Failed messages"
              head={['When', 'Customer', 'Direction', 'Message', 'Code', 'Detail']}
            >
              {items.map((f) => (
                <tr key={f.id}>
                  <td>{time(f.createdAt)}</td>
                  <td>
                    <ConversationLink t={t} waId={f.waId} />
                  </td>
                  <td>{f.direction}</td>
                  <td>
                    {f.externalId ?? ''}
                    <Payload path={`/tenants/${t.id}/failures/${f.id}`} />
                  </td>
                  <td>{f.code}</td>
                  <td>{plain(f.detail)}</td>
                </tr>
              ))}
            </Table>
          )}
        </PagedView>
      </section>
    </div>
  );
}

// ===== Alerts

function Alerts({ t }: { t: Tenant }) {
  const alerts = usePaged<AlertRow>(`/tenants/${t.id}/alerts`, {});
  return (
    <div>
      <h2>Alerts</h2>
      <PagedView list={alerts} testid="alerts" empty="No alerts: nothing has gone wrong that the bridge watches for.">
        {(items) => (
          <Table testid="alerts" caption="Alerts" head={['Type', 'State', 'Opened', 'Resolved', 'Detail', 'Notices']}>
            {items.map((a) => (
              <tr key={a.id}>
                <td>{a.type}</td>
                <td class={a.state === 'open' ? 'bad' : 'ok'}>{a.state === 'open' ? 'Open' : 'Resolved'}</td>
                <td>{time(a.openedAt)}</td>
                <td>{a.resolvedAt ? time(a.resolvedAt) : ''}</td>
                <td>{a.detail}</td>
                <td>{a.deliveries.map((d) => `${d.notice}: ${d.status}`).join(', ')}</td>
              </tr>
            ))}
          </Table>
        )}
      </PagedView>
      <AlertChannels t={t} />
    </div>
  );
}

// ===== Keys

function Keys({ t }: { t: Tenant }) {
  const list = usePaged<ApiKey>(`/tenants/${t.id}/api-keys`, {});
  const admin = can('tenant-admin');
  return (
    <div>
      <PagedView list={list} testid="keys" empty="No API keys yet.">
        {(items) => (
          <Table testid="keys" caption="API keys" head={['Name', 'Prefix', 'Role', 'Created', admin ? '' : 'State']}>
            {items.map((k) => (
              <tr key={k.id}>
                <td>{k.name}</td>
                <td>
                  <code>{k.prefix}…</code>
                </td>
                <td>{k.role}</td>
                <td>{time(k.createdAt)}</td>
                <td>
                  {k.revokedAt ? (
                    `revoked ${time(k.revokedAt)}`
                  ) : admin ? (
                    <ActionButton
                      class="small danger"
                      testid="revoke"
                      busy="Revoking…"
                      action={async () => {
                        await call('DELETE', `/tenants/${t.id}/api-keys/${k.id}`);
                        await list.reload(true);
                      }}
                    >
                      Revoke
                    </ActionButton>
                  ) : (
                    'active'
                  )}
                </td>
              </tr>
            ))}
          </Table>
        )}
      </PagedView>
      {admin ? (
        <section class="card" aria-labelledby="h-newkey">
          <h2 id="h-newkey">New API key</h2>
          <ActionForm
            testid="key-form"
            submit="Create key"
            reset
            action={async (v) => {
              const created = await call<{ key: string }>('POST', `/tenants/${t.id}/api-keys`, v);
              await list.reload(true).catch(() => undefined);
              return (
                <span data-testid="new-key">
                  Copy this key now; it will not be shown again: <code>{created.key}</code> <Copy text={created.key} />
                </span>
              );
            }}
          >
            <Field label="Key name" name="name" required maxLength={100} />
            <Select
              label="Role"
              name="role"
              options={[
                ['viewer', 'viewer (reads)'],
                ['tenant-admin', 'tenant-admin (reads and changes)'],
              ]}
            />
          </ActionForm>
        </section>
      ) : null}
    </div>
  );
}

// ===== Audit

function Audit({ t }: { t: Tenant }) {
  const list = usePaged<AuditEntry>(`/tenants/${t.id}/audit`, {});
  return (
    <PagedView list={list} testid="audit" empty="No changes recorded yet.">
      {(items) => (
        <Table testid="audit" caption="Audit log" head={['When', 'Who', 'Action', 'Target', 'Detail']}>
          {items.map((a) => (
            <tr key={a.id}>
              <td>{time(a.createdAt)}</td>
              <td>{a.actor}</td>
              <td>{a.action}</td>
              <td>{a.target ?? ''}</td>
              <td>
                <code>{a.detail}</code>
              </td>
            </tr>
          ))}
        </Table>
      )}
    </PagedView>
  );
}

export { Loading };
