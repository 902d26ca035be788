/**
 * The tenants list (platform admins), the platform-wide backlog, and onboarding: a step-by-step
 * wizard from the tenant's name to a checked connection.
 */
import { useState } from 'preact/hooks';
import regions from '../../../workers/domain/genesys-regions.json';
import { call, can, type Check, type PlatformBacklog as PlatformBacklogData, type Setup, type Tenant } from '../api';
import {
  ActionButton,
  age,
  Async,
  Copy,
  Empty,
  ErrorNote,
  Field,
  formValues,
  Loading,
  Ok,
  PagedView,
  plain,
  Select,
  Table,
  useAsync,
  usePaged,
} from './kit';

export const REGIONS: Array<[string, string]> = Object.entries(regions as Record<string, string>).map(([aws, d]) => [
  d,
  `${d} (${aws.replace(/_/g, '-')})`,
]);

type Backlog = {
  inbound: { count: number; oldestAgeMs: number | null };
  outbound: { count: number; oldestAgeMs: number | null };
};

/** The platform-wide backlog (GET /api/metrics/backlog): totals over every tenant, then the tenants holding messages. */
function PlatformBacklog() {
  const state = useAsync(() => call<PlatformBacklogData>('GET', '/metrics/backlog?limit=200'), []);
  return (
    <section class="card" aria-labelledby="h-backlog" data-testid="platform-backlog">
      <h2 id="h-backlog">Backlog, all tenants</h2>
      <Async state={state}>
        {(b) => {
          const waiting = b.items.filter((t) => t.inbound.count + t.outbound.count > 0);
          return (
            <>
              <BacklogFigures backlog={b.totals} />
              {waiting.length > 0 ? (
                <Table
                  testid="backlog-tenants"
                  caption="Tenants with messages waiting"
                  head={['Tenant', 'Customer → agent', 'Agent → customer']}
                >
                  {waiting.map((t) => (
                    <tr key={t.tenantId} data-testid="backlog-tenant">
                      <td>
                        <a href={`#/tenants/${t.tenantId}`}>{t.name}</a>
                      </td>
                      <td>{waitingText(t.inbound)}</td>
                      <td>{waitingText(t.outbound)}</td>
                    </tr>
                  ))}
                </Table>
              ) : null}
            </>
          );
        }}
      </Async>
    </section>
  );
}

const waitingText = (d: { count: number; oldestAgeMs: number | null }) =>
  d.count > 0 ? `${d.count}, oldest ${age(d.oldestAgeMs)}` : '—';

export function BacklogFigures({ backlog }: { backlog: Backlog }) {
  return (
    <dl class="figures">
      {(['inbound', 'outbound'] as const).map((d) => (
        <div key={d} data-testid={`backlog-${d}`}>
          <dt>{d === 'inbound' ? 'Customer → agent waiting' : 'Agent → customer waiting'}</dt>
          <dd>
            {backlog[d].count} message{backlog[d].count === 1 ? '' : 's'}
            {backlog[d].count > 0 ? `, oldest ${age(backlog[d].oldestAgeMs)}` : ''}
          </dd>
        </div>
      ))}
    </dl>
  );
}

export function TenantsPage() {
  const [q, setQ] = useState('');
  const list = usePaged<Tenant>('/tenants', { q });
  return (
    <main id="main">
      <div class="row">
        <h1>Tenants</h1>
        {can('platform-admin') ? (
          <a class="button" href="#/tenants/new" data-testid="new-tenant">
            New tenant
          </a>
        ) : null}
      </div>
      <PlatformBacklog />
      <SearchBox label="Search tenants" value={q} onSearch={setQ} />
      <PagedView
        list={list}
        testid="tenants"
        empty={q ? `No tenant’s name or slug contains “${q}”.` : 'No tenants yet. Create the first with New tenant.'}
      >
        {(items) => (
          <Table
            testid="tenants"
            caption="Tenants"
            head={['Name', 'Slug', 'Status', 'WhatsApp number id', 'WhatsApp credential', 'Genesys integration']}
          >
            {items.map((t) => (
              <tr key={t.id}>
                <td>
                  <a href={`#/tenants/${t.id}`}>{t.name}</a>
                </td>
                <td>{t.slug}</td>
                <td class={t.status === 'active' ? 'ok' : 'bad'}>{t.status}</td>
                <td>{t.whatsapp.phoneNumberId}</td>
                <td class={t.whatsapp.credentialStatus === 'ok' ? 'ok' : 'bad'}>{t.whatsapp.credentialStatus}</td>
                <td>{t.genesys.integrationId || 'not created'}</td>
              </tr>
            ))}
          </Table>
        )}
      </PagedView>
    </main>
  );
}

export function SearchBox({
  label,
  value,
  onSearch,
  placeholder,
  children,
}: {
  label: string;
  value: string;
  /** The search text, and every field of the form (filters placed in it as children). */
  onSearch: (q: string, fields: Record<string, string>) => void;
  placeholder?: string;
  children?: preact.ComponentChildren;
}) {
  return (
    <form
      class="search"
      aria-label={label}
      data-testid="search"
      onSubmit={(e) => {
        e.preventDefault();
        const fields = formValues(e.currentTarget as HTMLFormElement) as Record<string, string>;
        onSearch(fields.q ?? '', fields);
      }}
    >
      {/* Uncontrolled (defaultValue): a re-render (the conversations list refreshes every 5 s) must
          not write the last search back over what is being typed. */}
      <Field label={label} name="q" type="search" defaultValue={value} placeholder={placeholder} />
      {children}
      <button type="submit" data-testid="search-submit">
        Search
      </button>
    </form>
  );
}

// ===== Onboarding

export function SetupBlock({ setup }: { setup: Setup }) {
  const line = (label: string, value: string | null, why: string) =>
    value ? (
      <div class="copy">
        <span>{label}</span>
        <code data-testid={`setup-${label.replace(/\W+/g, '-').toLowerCase()}`}>{value}</code>
        <Copy text={value} />
        <small>{why}</small>
      </div>
    ) : null;
  return (
    <section class="card" data-testid="setup" aria-labelledby="h-setup">
      <h2 id="h-setup">Connect WhatsApp (Meta app dashboard › WhatsApp › Configuration)</h2>
      {line(
        'Callback URL',
        setup.whatsapp.callbackUrl,
        'Use this one when the Meta app serves only this business: Meta sends every number of the app here, and the bridge finds the tenant by the phone number id.',
      )}
      {line(
        'Tenant callback URL',
        setup.whatsapp.tenantCallbackUrl,
        'Use this one instead when one Meta app is shared by several tenants: the address itself names the tenant.',
      )}
      {line(
        'Verify token',
        setup.whatsapp.verifyToken,
        'Paste it next to the callback URL; Meta sends it back once to prove the address is yours.',
      )}
      <p>Subscribe the app to the “messages” webhook field, or no customer message arrives.</p>
      <h3>Genesys Cloud</h3>
      {line(
        'Genesys webhook URL',
        setup.genesys.outboundWebhookUrl,
        '“Create Genesys integration” sets it for you; only an integration made by hand needs it pasted.',
      )}
    </section>
  );
}

function CheckResult({ check }: { check: Check }) {
  const row = (name: string, r: { ok: boolean; detail: string }) => (
    <li class={r.ok ? 'ok' : 'bad'}>
      <strong>
        {name}: {r.ok ? 'OK' : 'FAILED'}
      </strong>{' '}
      — {plain(r.detail)}
    </li>
  );
  return (
    <ul data-testid="connection-checks">
      {row('WhatsApp', check.whatsapp)}
      {row('Genesys', check.genesys)}
    </ul>
  );
}

/** Test connection, and Create Genesys integration while the tenant has none (tenant admins). */
export function ConnectionActions({
  tenant,
  onChange,
}: {
  tenant: Pick<Tenant, 'id'> & { integrationId: string };
  onChange?: () => void;
}) {
  const [state, setState] = useState<{ busy?: string; check?: Check; created?: string; error?: unknown }>({});
  if (!can('tenant-admin')) return null;
  const test = async () => {
    setState({ busy: 'Checking both connections…' });
    try {
      setState({ check: await call<Check>('POST', `/tenants/${tenant.id}/test-connection`) });
    } catch (error) {
      setState({ error });
    }
  };
  const integrate = async () => {
    setState({ busy: 'Creating the integration in Genesys…' });
    try {
      const r = await call<{ integrationId: string }>('POST', `/tenants/${tenant.id}/genesys/integration`, {});
      setState({ created: r.integrationId });
      onChange?.();
    } catch (error) {
      setState({ error });
    }
  };
  return (
    <div>
      <button type="button" onClick={test} data-testid="test-connection" disabled={!!state.busy}>
        Test connection
      </button>{' '}
      {!tenant.integrationId && !state.created ? (
        <button type="button" onClick={integrate} data-testid="create-integration" disabled={!!state.busy}>
          Create Genesys integration
        </button>
      ) : null}
      <div data-testid="connection-result" aria-live="polite">
        {state.busy ? <Loading what={state.busy} /> : null}
        {state.check ? <CheckResult check={state.check} /> : null}
        {state.created ? <Ok>Integration {state.created} created in Genesys.</Ok> : null}
        {state.error ? <ErrorNote error={state.error} /> : null}
      </div>
    </div>
  );
}

const STEPS = ['Tenant', 'WhatsApp', 'Genesys Cloud', 'Review'] as const;

/** The slug rule of the API, valid under the `v` flag browsers compile `pattern` with. */
export const SLUG_PATTERN = '[a-z0-9]([a-z0-9\\-]{0,61}[a-z0-9])?';

export function NewTenantWizard() {
  const [step, setStep] = useState(0);
  const [values, setValues] = useState<Record<string, string>>({ region: 'mypurecloud.ie' });
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<{ id: string; setup: Setup } | null>(null);

  if (created)
    return (
      <main id="main">
        <h1 data-testid="wizard-done">{values.name} is set up</h1>
        <ol class="steps" aria-label="Onboarding steps">
          {[...STEPS, 'Connect'].map((s, i) => (
            <li key={s} class={i < 4 ? 'done' : 'current'} aria-current={i === 4 ? 'step' : undefined}>
              {s}
            </li>
          ))}
        </ol>
        <SetupBlock setup={created.setup} />
        <section class="card" aria-labelledby="h-check">
          <h2 id="h-check">Check and finish</h2>
          <p>
            Test connection asks Meta for the phone number and Genesys for an OAuth token, with the credentials just
            saved.
          </p>
          <ConnectionActions tenant={{ id: created.id, integrationId: values.integrationId ?? '' }} />
        </section>
        <a href={`#/tenants/${created.id}`} data-testid="open-tenant">
          Open the tenant →
        </a>
      </main>
    );

  const next = async (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const v = { ...values, ...formValues(form) };
    setValues(v);
    setError(undefined);
    if (step < STEPS.length - 1) return setStep(step + 1);
    setBusy(true);
    try {
      setCreated(
        await call<{ id: string; setup: Setup }>('POST', '/tenants', {
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
        }),
      );
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const val = (k: string) => values[k] ?? '';
  return (
    <main id="main" class="narrow">
      <h1>New tenant</h1>
      <ol class="steps" aria-label="Onboarding steps">
        {[...STEPS, 'Connect'].map((s, i) => (
          <li
            key={s}
            class={i < step ? 'done' : i === step ? 'current' : ''}
            aria-current={i === step ? 'step' : undefined}
          >
            {s}
          </li>
        ))}
      </ol>
      <form data-testid="tenant-form" onSubmit={next} key={step}>
        {step === 0 ? (
          <fieldset>
            <legend>Tenant</legend>
            <Field label="Name" name="name" required value={val('name')} />
            <Field
              label="Slug"
              name="slug"
              required
              pattern={SLUG_PATTERN}
              maxLength={63}
              value={val('slug')}
              hint="Lowercase letters, digits and dashes; it becomes <slug>.<your domain>."
            />
          </fieldset>
        ) : null}
        {step === 1 ? (
          <fieldset>
            <legend>WhatsApp (Meta)</legend>
            <p class="hint">From the Meta app dashboard, WhatsApp › API Setup.</p>
            <Field
              label="Phone number id"
              name="phoneNumberId"
              required
              pattern="[0-9]{5,20}"
              value={val('phoneNumberId')}
            />
            <Field
              label="WhatsApp Business Account id"
              name="wabaId"
              required
              pattern="[0-9]{5,20}"
              value={val('wabaId')}
            />
            <Field
              label="Access token (a system user's permanent token)"
              name="accessToken"
              type="password"
              required
              minLength={8}
              value={val('accessToken')}
            />
            <Field
              label="App secret (App settings › Basic)"
              name="appSecret"
              type="password"
              required
              minLength={8}
              value={val('appSecret')}
            />
            <Field
              label="Verify token (you choose it, 8+ characters)"
              name="verifyToken"
              required
              minLength={8}
              value={val('verifyToken')}
            />
          </fieldset>
        ) : null}
        {step === 2 ? (
          <fieldset>
            <legend>Genesys Cloud</legend>
            <Select label="Region" name="region" options={REGIONS} value={val('region')} />
            <Field
              label="OAuth client id (client credentials grant)"
              name="clientId"
              required
              minLength={8}
              value={val('clientId')}
            />
            <Field
              label="OAuth client secret"
              name="clientSecret"
              type="password"
              required
              minLength={8}
              value={val('clientSecret')}
            />
            <Field
              label="Open Messaging integration id"
              name="integrationId"
              value={val('integrationId')}
              hint="Leave empty: the next step creates the integration for you."
            />
          </fieldset>
        ) : null}
        {step === 3 ? (
          <section data-testid="review">
            <h2>Review</h2>
            <dl class="review">
              {(
                [
                  ['Name', 'name'],
                  ['Slug', 'slug'],
                  ['Phone number id', 'phoneNumberId'],
                  ['Business account id', 'wabaId'],
                  ['Genesys region', 'region'],
                  ['OAuth client id', 'clientId'],
                ] as const
              ).map(([l, k]) => (
                <div key={k}>
                  <dt>{l}</dt>
                  <dd>{val(k)}</dd>
                </div>
              ))}
            </dl>
            <p>Secrets are stored encrypted and are never shown again.</p>
          </section>
        ) : null}
        {error ? <ErrorNote error={error} /> : null}
        <div class="row">
          {step > 0 ? (
            <button type="button" class="secondary" data-testid="wizard-back" onClick={() => setStep(step - 1)}>
              Back
            </button>
          ) : (
            <span />
          )}
          <button
            type="submit"
            data-testid={step === STEPS.length - 1 ? 'create-tenant' : 'wizard-next'}
            disabled={busy}
          >
            {step === STEPS.length - 1 ? (busy ? 'Creating…' : 'Create tenant') : 'Next'}
          </button>
        </div>
      </form>
    </main>
  );
}

export { ActionButton, Empty };
