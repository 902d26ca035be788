/**
 * The dashboard's shell: sign-in, the role-aware navigation and the hash router. Who is signed in
 * decides what is offered (api.ts `can`); the API checks every call again.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { can, endedBecause, session, signInWithPassword, signInWithToken, signOut, type Session } from '../api';
import { ActionForm, Field } from './kit';
import { TenantPage, TABS, type Tab } from './tenant';
import { NewTenantWizard, TenantsPage } from './tenants';
import { UsersPage } from './users';

function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return hash;
}

function useSession(): Session | null {
  const [s, setS] = useState(session.get());
  useEffect(() => session.onChange(setS), []);
  return s;
}

function SignIn() {
  return (
    <main class="narrow" id="main">
      <h1>Sign in</h1>
      {endedBecause ? (
        <p class="notice" role="alert" data-testid="session-ended">
          {endedBecause}
        </p>
      ) : null}
      <section class="card" aria-labelledby="h-user">
        <h2 id="h-user">Dashboard user</h2>
        <ActionForm
          testid="password-form"
          submit="Sign in"
          busy="Signing in…"
          action={async (v) => {
            await signInWithPassword(v.email ?? '', v.password ?? '');
            location.hash = '#/tenants';
            return undefined;
          }}
        >
          <Field label="Email" name="email" type="email" required autocomplete="username" />
          <Field label="Password" name="password" type="password" required autocomplete="current-password" />
        </ActionForm>
      </section>
      <section class="card" aria-labelledby="h-operator">
        <h2 id="h-operator">Platform operator</h2>
        <ActionForm
          testid="token-form"
          submit="Sign in with token"
          busy="Checking…"
          action={async (v) => {
            await signInWithToken(v.token ?? '');
            location.hash = '#/tenants';
            return undefined;
          }}
        >
          <Field label="Operator token" name="token" type="password" required autocomplete="off" />
        </ActionForm>
      </section>
    </main>
  );
}

function Nav({ active, s }: { active: string; s: Session }) {
  const home = s.tenantId ? `#/tenants/${s.tenantId}` : '#/tenants';
  return (
    <header class="top">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <nav aria-label="Main">
        <strong>WhatsApp ⇄ Genesys</strong>
        <a href={home} aria-current={active === 'tenants' ? 'page' : undefined} data-testid="nav-tenants">
          {s.tenantId ? 'My tenant' : 'Tenants'}
        </a>
        {can('tenant-admin') ? (
          <a href="#/users" aria-current={active === 'users' ? 'page' : undefined} data-testid="nav-users">
            Users
          </a>
        ) : null}
        <span class="who" data-testid="who">
          {s.email ?? 'operator token'} · {s.role}
        </span>
        <button type="button" class="link light" data-testid="sign-out" onClick={() => void signOut()}>
          Sign out
        </button>
      </nav>
    </header>
  );
}

function App() {
  const hash = useHash();
  const s = useSession();
  const [, page, id, tab, sub] = hash.replace(/^#/, '').split('/');
  if (!s) {
    if (page !== 'login') history.replaceState(null, '', '#/login');
    return <SignIn />;
  }
  if (page === 'login' || !page) {
    // Signed in: a tenant's own user starts at their tenant.
    location.hash = s.tenantId ? `#/tenants/${s.tenantId}` : '#/tenants';
    return null;
  }
  let body = null;
  let active = 'tenants';
  if (page === 'users') {
    active = 'users';
    body = <UsersPage />;
  } else if (page === 'tenants' && id === 'new' && can('platform-admin')) body = <NewTenantWizard />;
  else if (page === 'tenants' && id) {
    const t = (TABS as readonly string[]).includes(tab ?? '') ? (tab as Tab) : 'overview';
    body = <TenantPage key={id} id={id} tab={t} sub={sub ? decodeURIComponent(sub) : undefined} />;
  } else if (s.tenantId) {
    location.hash = `#/tenants/${s.tenantId}`;
    return null;
  } else body = <TenantsPage />;
  return (
    <>
      <Nav active={active} s={s} />
      {body}
    </>
  );
}

export function start(root: HTMLElement) {
  // Schedules the refresh of a session restored from this tab's storage.
  session.set(session.get());
  // index.html's "Loading…" placeholder is not Preact's: clear it, or it stays beside the app.
  root.replaceChildren();
  render(<App />, root);
}
