/**
 * Dashboard users and their roles (tenant admins and platform admins). A tenant admin creates
 * users of their own tenant, never platform admins; the form offers only what the API allows.
 */
import { useState } from 'preact/hooks';
import { call, can, listPage, session, type Tenant, type User } from '../api';
import {
  ActionButton,
  ActionForm,
  Async,
  ErrorNote,
  Field,
  PagedView,
  Select,
  Table,
  time,
  useAsync,
  usePaged,
} from './kit';

export function UsersPage() {
  const me = session.get();
  const list = usePaged<User>('/users', {});
  const tenants = useAsync(() => listPage<Tenant>('/tenants', { limit: 200 }).then((p) => p.items), []);
  const platform = can('platform-admin');
  const [role, setRole] = useState('viewer');
  if (!can('tenant-admin'))
    return (
      <main id="main">
        <ErrorNote error={new Error('Only tenant admins and platform admins manage users.')} />
      </main>
    );
  const name = (id: string | null) => tenants.data?.find((t) => t.id === id)?.name ?? (id ? id : 'platform');
  return (
    <main id="main">
      <h1>Users and roles</h1>
      <p class="hint">
        Viewers read everything of their tenant; tenant admins also change it (credentials, keys, users, replay);
        platform admins also create and delete tenants and route hostnames.
      </p>
      <PagedView list={list} testid="users" empty="No users yet.">
        {(items) => (
          <Table testid="users" caption="Users" head={['Email', 'Role', 'Tenant', 'Created', '']}>
            {items.map((u) => (
              <tr key={u.id}>
                <td>{u.email}</td>
                <td>{u.role}</td>
                <td>{name(u.tenantId)}</td>
                <td>{time(u.createdAt)}</td>
                <td>
                  {u.email !== me?.email && (platform || u.role !== 'platform-admin') ? (
                    <ActionButton
                      class="small danger"
                      testid="delete-user"
                      busy="Removing…"
                      action={async () => {
                        await call('DELETE', `/users/${u.id}`);
                        await list.reload(true);
                      }}
                    >
                      Remove
                    </ActionButton>
                  ) : null}
                </td>
              </tr>
            ))}
          </Table>
        )}
      </PagedView>
      <section class="card" aria-labelledby="h-newuser">
        <h2 id="h-newuser">New user</h2>
        <Async state={tenants}>
          {(ts) => (
            <ActionForm
              testid="user-form"
              submit="Create user"
              reset
              action={async (v) => {
                await call('POST', '/users', {
                  email: v.email,
                  password: v.password,
                  role: v.role,
                  tenantId: v.role === 'platform-admin' ? null : (v.tenantId ?? me?.tenantId ?? null),
                });
                await list.reload(true).catch(() => undefined);
                return `${v.email} can sign in now.`;
              }}
            >
              <Field label="Email" name="email" type="email" required autocomplete="off" />
              <Field
                label="Password (12+ characters)"
                name="password"
                type="password"
                required
                minLength={12}
                autocomplete="new-password"
              />
              <Select
                label="Role"
                name="role"
                value={role}
                onChange={setRole}
                options={[
                  ['viewer', 'viewer'],
                  ['tenant-admin', 'tenant-admin'],
                  ...(platform ? ([['platform-admin', 'platform-admin']] as Array<[string, string]>) : []),
                ]}
              />
              {role !== 'platform-admin' && platform ? (
                <Select label="Tenant" name="tenantId" options={ts.map((t) => [t.id, t.name])} />
              ) : null}
            </ActionForm>
          )}
        </Async>
      </section>
    </main>
  );
}
