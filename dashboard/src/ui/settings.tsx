/**
 * A tenant's configuration: credentials (rotated write-only: empty fields keep their value),
 * behaviour (mark-read, receipts, reorder hold), suspend/resume and delete, custom hostnames with
 * their verification status, Genesys OAuth clients, and alert channels. Viewers see the current
 * values only; each form is shown to the roles the API lets use it.
 */
import { useState } from 'preact/hooks';
import { call, can, type AlertChannel, type GenesysClient, type Hostname, type Tenant } from '../api';
import {
  ActionButton,
  ActionForm,
  age,
  Async,
  Copy,
  Field,
  Ok,
  PagedView,
  Select,
  Table,
  time,
  useAsync,
  usePaged,
} from './kit';
import { REGIONS } from './tenants';

/** The fields that were filled in: an empty secret field keeps the stored secret. */
const filled = (v: Record<string, string>) => Object.fromEntries(Object.entries(v).filter(([, x]) => x !== ''));

export function SettingsTab({ t, reload }: { t: Tenant; reload: () => void }) {
  const admin = can('tenant-admin');
  return (
    <div>
      {admin ? (
        <>
          <section class="card" aria-labelledby="h-wa">
            <h2 id="h-wa">WhatsApp credentials</h2>
            <p class="hint">
              Fill in only what changes; empty fields keep their current value. A new number is checked with Meta first.
            </p>
            <ActionForm
              testid="whatsapp-form"
              submit="Save WhatsApp credentials"
              reset
              action={async (v) => {
                await call('PUT', `/tenants/${t.id}/whatsapp`, filled(v));
                reload();
                return 'WhatsApp credentials saved.';
              }}
            >
              <Field
                label="Phone number id"
                name="phoneNumberId"
                pattern="[0-9]{5,20}"
                placeholder={t.whatsapp.phoneNumberId}
              />
              <Field
                label="WhatsApp Business Account id"
                name="wabaId"
                pattern="[0-9]{5,20}"
                placeholder={t.whatsapp.wabaId}
              />
              <Field
                label="Access token"
                name="accessToken"
                type="password"
                minLength={8}
                placeholder={t.whatsapp.accessToken}
                autocomplete="off"
              />
              <Field
                label="App secret"
                name="appSecret"
                type="password"
                minLength={8}
                placeholder={t.whatsapp.appSecret}
                autocomplete="off"
              />
              <Field label="Verify token" name="verifyToken" minLength={8} placeholder={t.whatsapp.verifyToken} />
            </ActionForm>
          </section>
          <section class="card" aria-labelledby="h-gc">
            <h2 id="h-gc">Genesys Cloud credentials</h2>
            <ActionForm
              testid="genesys-form"
              submit="Save Genesys credentials"
              reset
              action={async (v) => {
                await call('PUT', `/tenants/${t.id}/genesys`, filled(v));
                reload();
                return 'Genesys credentials saved.';
              }}
            >
              <Select label="Region" name="region" options={REGIONS} value={t.genesys.region} />
              <Field label="OAuth client id" name="clientId" minLength={8} placeholder={t.genesys.clientId} />
              <Field
                label="OAuth client secret"
                name="clientSecret"
                type="password"
                minLength={8}
                placeholder={t.genesys.clientSecret}
                autocomplete="off"
              />
            </ActionForm>
          </section>
          <section class="card" aria-labelledby="h-beh">
            <h2 id="h-beh">Behaviour</h2>
            <ActionForm
              testid="behaviour-form"
              submit="Save behaviour"
              action={async (v) => {
                await call('PATCH', `/tenants/${t.id}`, {
                  markRead: v.markRead === 'on',
                  genesysReceipts: v.genesysReceipts,
                  inboundReorderMs: v.inboundReorderMs === '' ? null : Number(v.inboundReorderMs),
                });
                reload();
                return 'Saved.';
              }}
            >
              <div class="check">
                <input
                  type="checkbox"
                  id="mark-read"
                  name="markRead"
                  data-testid="field-markRead"
                  checked={t.markRead}
                />
                <label for="mark-read">Mark customer messages read on WhatsApp once an agent answers or types</label>
              </div>
              <Select
                label="Receipts agents get in Genesys"
                name="genesysReceipts"
                value={t.genesysReceipts}
                options={[
                  ['all', 'Delivered and Failed'],
                  ['failed', 'Failed only (fewer Genesys calls)'],
                ]}
              />
              <Field
                label="Reorder hold (ms, 0–10000; empty for the default)"
                name="inboundReorderMs"
                type="number"
                min={0}
                max={10000}
                value={String(t.inboundReorderMs)}
                hint="How long each customer message is held so that one Meta delivers late still reaches the agent first."
              />
            </ActionForm>
          </section>
        </>
      ) : (
        <p class="hint" data-testid="read-only">
          You can read this tenant's settings; a tenant admin can change them. Current values are on the Overview tab.
        </p>
      )}
      <GenesysClients t={t} />
      <Hostnames t={t} />
      {admin ? <Lifecycle t={t} reload={reload} /> : null}
    </div>
  );
}

function Lifecycle({ t, reload }: { t: Tenant; reload: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const [deleted, setDeleted] = useState(false);
  return (
    <section class="card attention" aria-labelledby="h-life">
      <h2 id="h-life">Suspend or delete</h2>
      {t.status === 'active' ? (
        <>
          <p>Suspending holds every message both ways (nothing is lost); resuming delivers them in order.</p>
          <ActionButton
            class="danger"
            testid="suspend"
            busy="Suspending…"
            action={async () => {
              await call('PATCH', `/tenants/${t.id}`, { status: 'suspended' });
              reload();
            }}
          >
            Suspend tenant
          </ActionButton>
        </>
      ) : (
        <ActionButton
          testid="resume"
          busy="Resuming…"
          action={async () => {
            await call('PATCH', `/tenants/${t.id}`, { status: 'active' });
            reload();
          }}
        >
          Resume tenant
        </ActionButton>
      )}
      {can('platform-admin') ? (
        <div class="delete">
          <h3>Delete</h3>
          <p>
            Deleting stops serving the tenant at once and erases all its data in the background. It cannot be undone.
          </p>
          {deleted ? (
            <Ok testid="deleted">
              Deleted; its data is being erased. <a href="#/tenants">Back to tenants</a>
            </Ok>
          ) : confirming ? (
            <ActionForm
              testid="delete-form"
              submit="Delete for good"
              busy="Deleting…"
              action={async (v) => {
                if (v.confirm !== t.slug) throw new Error(`Type the slug “${t.slug}” to confirm.`);
                await call('DELETE', `/tenants/${t.id}`);
                setDeleted(true);
                return undefined;
              }}
            >
              <Field label={`Type ${t.slug} to confirm`} name="confirm" required autocomplete="off" />
            </ActionForm>
          ) : (
            <button type="button" class="danger" data-testid="delete-tenant" onClick={() => setConfirming(true)}>
              Delete tenant…
            </button>
          )}
        </div>
      ) : null}
    </section>
  );
}

function GenesysClients({ t }: { t: Tenant }) {
  const state = useAsync(() => call<{ items: GenesysClient[] }>('GET', `/tenants/${t.id}/genesys/clients`), [t.id]);
  const admin = can('tenant-admin');
  return (
    <section class="card" aria-labelledby="h-clients">
      <h2 id="h-clients">Genesys OAuth clients</h2>
      <p class="hint">Genesys limits requests per token; more clients share the load of a busy tenant.</p>
      <Async state={state}>
        {({ items }) => (
          <Table
            testid="genesys-clients"
            caption="Genesys OAuth clients"
            head={['Client id', 'Label', 'Secret', 'Used / budget', 'Token', admin ? '' : 'Default']}
          >
            {items.map((c) => (
              <tr key={c.id}>
                <td>{c.clientId}</td>
                <td>{c.label ?? (c.isDefault ? 'credentials client' : '')}</td>
                <td>{c.clientSecret}</td>
                <td>
                  {c.usage.used} / {c.usage.budget} per {Math.round(c.usage.windowMs / 1000)} s
                </td>
                <td>{c.token.state === 'valid' ? `valid until ${time(c.token.expiresAt)}` : c.token.state}</td>
                <td>
                  {c.isDefault ? (
                    'default'
                  ) : admin ? (
                    <ActionButton
                      class="small danger"
                      busy="Removing…"
                      action={async () => {
                        await call('DELETE', `/tenants/${t.id}/genesys/clients/${c.id}`);
                        state.reload();
                      }}
                    >
                      Remove
                    </ActionButton>
                  ) : (
                    ''
                  )}
                </td>
              </tr>
            ))}
          </Table>
        )}
      </Async>
      {admin ? (
        <ActionForm
          testid="client-form"
          submit="Add client"
          reset
          busy="Checking with Genesys…"
          action={async (v) => {
            await call('POST', `/tenants/${t.id}/genesys/clients`, filled(v));
            state.reload();
            return 'Client added.';
          }}
        >
          <Field label="OAuth client id" name="clientId" required minLength={8} />
          <Field
            label="OAuth client secret"
            name="clientSecret"
            type="password"
            required
            minLength={8}
            autocomplete="off"
          />
          <Field label="Label (optional)" name="label" maxLength={100} />
        </ActionForm>
      ) : null}
    </section>
  );
}

function Hostnames({ t }: { t: Tenant }) {
  const list = usePaged<Hostname>(`/tenants/${t.id}/hostnames`, {});
  const platform = can('platform-admin');
  return (
    <section class="card" aria-labelledby="h-hosts">
      <h2 id="h-hosts">Custom hostnames</h2>
      <PagedView
        list={list}
        testid="hostnames"
        empty="No custom hostnames: the tenant is served at its slug's subdomain."
      >
        {(items) => (
          <Table
            testid="hostnames"
            caption="Custom hostnames"
            head={['Hostname', 'Status', 'Certificate', 'Records to publish', 'Checked', platform ? '' : 'Routing']}
          >
            {items.map((h) => (
              <tr key={h.hostname}>
                <td>{h.hostname}</td>
                <td class={h.routing ? 'ok' : 'bad'}>
                  {h.routing ? 'routing' : h.status}
                  {h.verificationErrors.map((e) => (
                    <div key={e} class="bad">
                      {e}
                    </div>
                  ))}
                </td>
                <td>{h.sslStatus ?? '—'}</td>
                <td>
                  {h.records.map((r) => (
                    <div key={`${r.type}${r.name}`}>
                      {r.type} <code>{r.name}</code> → <code>{r.value}</code> ({r.purpose}) <Copy text={r.value} />
                    </div>
                  ))}
                </td>
                <td>
                  {h.checkedAt ? `${age(Date.now() - h.checkedAt)} ago` : 'not yet'}
                  {h.checkError ? <div class="bad">{h.checkError}</div> : null}
                </td>
                <td>
                  {platform ? (
                    <ActionButton
                      class="small danger"
                      busy="Removing…"
                      action={async () => {
                        await call('DELETE', `/tenants/${t.id}/hostnames/${encodeURIComponent(h.hostname)}`);
                        await list.reload(true);
                      }}
                    >
                      Remove
                    </ActionButton>
                  ) : h.routing ? (
                    'yes'
                  ) : (
                    'no'
                  )}
                </td>
              </tr>
            ))}
          </Table>
        )}
      </PagedView>
      {platform ? (
        <ActionForm
          testid="hostname-form"
          submit="Add hostname"
          reset
          action={async (v) => {
            await call('POST', `/tenants/${t.id}/hostnames`, v);
            await list.reload(true).catch(() => undefined);
            return 'Added: publish the records shown, then it starts routing once Cloudflare verifies them.';
          }}
        >
          <Field label="Hostname (e.g. whatsapp.customer.com)" name="hostname" required />
        </ActionForm>
      ) : null}
    </section>
  );
}

export function AlertChannels({ t }: { t: Tenant }) {
  const list = usePaged<AlertChannel>(`/tenants/${t.id}/alert-channels`, {});
  const admin = can('tenant-admin');
  return (
    <section class="card" aria-labelledby="h-channels">
      <h2 id="h-channels">Channels</h2>
      <PagedView
        list={list}
        testid="alert-channels"
        empty="No alert channels: alerts are recorded here but nobody is told."
      >
        {(items) => (
          <Table
            testid="alert-channels"
            caption="Alert channels"
            head={['Label', 'URL', 'Secret', 'Added', admin ? '' : ' ']}
          >
            {items.map((c) => (
              <tr key={c.id}>
                <td>{c.label ?? ''}</td>
                <td>{c.url}</td>
                <td>{c.secret}</td>
                <td>{time(c.createdAt)}</td>
                <td>
                  {admin ? (
                    <ChannelActions t={t} c={c} onRemoved={() => void list.reload(true).catch(() => undefined)} />
                  ) : null}
                </td>
              </tr>
            ))}
          </Table>
        )}
      </PagedView>
      {admin ? (
        <ActionForm
          testid="channel-form"
          submit="Add channel"
          reset
          action={async (v) => {
            const created = await call<{ secret: string }>('POST', `/tenants/${t.id}/alert-channels`, filled(v));
            await list.reload(true).catch(() => undefined);
            return (
              <span data-testid="channel-secret">
                Added. Its signing secret, shown this once: <code>{created.secret}</code> <Copy text={created.secret} />
              </span>
            );
          }}
        >
          <Field label="Webhook URL (Slack, Teams or your own receiver)" name="url" type="url" required />
          <Field label="Label (optional)" name="label" maxLength={100} />
        </ActionForm>
      ) : null}
    </section>
  );
}

function ChannelActions({ t, c, onRemoved }: { t: Tenant; c: AlertChannel; onRemoved: () => void }) {
  const [result, setResult] = useState<string | null>(null);
  return (
    <span>
      <ActionButton
        class="small"
        testid="test-channel"
        busy="Sending…"
        action={async () => {
          const r = await call<{ ok: boolean; error: string | null }>(
            'POST',
            `/tenants/${t.id}/alert-channels/${c.id}/test`,
          );
          setResult(
            r.ok ? 'Test notice delivered.' : `The channel refused the test notice: ${r.error ?? 'no reason given'}`,
          );
        }}
      >
        Send test
      </ActionButton>{' '}
      <ActionButton
        class="small danger"
        busy="Removing…"
        action={async () => {
          await call('DELETE', `/tenants/${t.id}/alert-channels/${c.id}`);
          onRemoved();
        }}
      >
        Remove
      </ActionButton>
      {result ? <span role="status"> {result}</span> : null}
    </span>
  );
}
