/**
 * The dashboard's building blocks (Preact): loading, empty and error states, paged lists with
 * "Load more", form fields and small helpers. Every screen is made of these, so every screen has
 * the same states: nothing appears blank while it loads, nothing fails silently.
 */
import type { ComponentChildren, JSX } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { explain, listPage } from '../api';

export const time = (ms: number | null | undefined) => (ms ? new Date(ms).toLocaleString() : '—');

/** "3 min", "2 h 5 min": an age in words. */
export function age(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function Loading({ what = 'Loading…' }: { what?: string }) {
  return (
    <p class="loading" role="status" data-testid="loading">
      <span class="spinner" aria-hidden="true" />
      {what}
    </p>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return (
    <p class="empty" data-testid="empty">
      {children}
    </p>
  );
}

export function ErrorNote({ error, retry }: { error: unknown; retry?: () => void }) {
  const { title, details } = explain(error);
  return (
    <div class="error" role="alert" data-testid="error">
      <p>{title}</p>
      {details.length > 0 && (
        <ul>
          {details.map((d) => (
            <li key={d}>{d}</li>
          ))}
        </ul>
      )}
      {retry && (
        <button type="button" class="small" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Ok({ children, testid }: { children: ComponentChildren; testid?: string }) {
  return (
    <p class="ok" role="status" data-testid={testid}>
      {children}
    </p>
  );
}

/** Loads `load()` when `deps` change; `reload()` loads again keeping what is shown until it answers. */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]) {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const seq = useRef(0);
  const run = useCallback(() => {
    const mine = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => mine === seq.current && setState({ data, loading: false }),
      (error: unknown) => mine === seq.current && setState((s) => ({ data: s.data, error, loading: false })),
    );
  }, deps);
  useEffect(run, [run]);
  return { ...state, reload: run };
}

/** Shows loading, error (with retry) or the content of an async state. */
export function Async<T>({
  state,
  children,
  what,
}: {
  state: { data?: T; error?: unknown; loading: boolean; reload: () => void };
  children: (data: T) => ComponentChildren;
  what?: string;
}) {
  if (state.data === undefined && state.error) return <ErrorNote error={state.error} retry={state.reload} />;
  if (state.data === undefined) return <Loading what={what} />;
  return (
    <>
      {state.error ? <ErrorNote error={state.error} retry={state.reload} /> : null}
      {children(state.data)}
    </>
  );
}

/**
 * A list read page by page through the API (`limit`, `cursor` → `{ items, nextCursor }`), with
 * the given filters; "Load more" appears while the API says there is a next page.
 */
export function usePaged<T>(path: string, params: Record<string, string | number | null | undefined>, limit = 50) {
  const key = JSON.stringify([path, params]);
  const [state, setState] = useState<{
    items: T[];
    next: string | null;
    loading: boolean;
    error?: unknown;
    loaded: boolean;
  }>({ items: [], next: null, loading: true, loaded: false });
  const seq = useRef(0);
  const first = useCallback(
    (quiet = false) => {
      const mine = ++seq.current;
      setState((s) => ({ ...s, loading: !quiet || !s.loaded, error: undefined }));
      return listPage<T>(path, { ...params, limit }).then(
        (page) => {
          if (mine === seq.current)
            setState({ items: page.items, next: page.nextCursor, loading: false, loaded: true });
        },
        (error: unknown) => {
          if (mine === seq.current) setState((s) => ({ ...s, loading: false, error }));
          if (quiet) throw error;
        },
      );
    },
    [key, limit],
  );
  useEffect(() => {
    setState({ items: [], next: null, loading: true, loaded: false });
    void first().catch(() => undefined);
  }, [first]);
  const more = async () => {
    if (!state.next) return;
    const mine = seq.current;
    setState((s) => ({ ...s, loading: true }));
    try {
      const page = await listPage<T>(path, { ...params, limit, cursor: state.next });
      if (mine === seq.current)
        setState((s) => ({
          items: [...s.items, ...page.items],
          next: page.nextCursor,
          loading: false,
          loaded: true,
        }));
    } catch (error) {
      if (mine === seq.current) setState((s) => ({ ...s, loading: false, error }));
    }
  };
  return { ...state, more, reload: first };
}

/** The states and the "Load more" of a paged list around its table. */
export function PagedView<T>({
  list,
  empty,
  children,
  testid,
}: {
  list: ReturnType<typeof usePaged<T>>;
  empty: ComponentChildren;
  children: (items: T[]) => ComponentChildren;
  testid: string;
}) {
  return (
    <div class="paged" data-testid={`${testid}-list`}>
      {list.error ? <ErrorNote error={list.error} retry={() => void list.reload().catch(() => undefined)} /> : null}
      {!list.loaded && list.loading ? <Loading /> : null}
      {list.loaded && list.items.length === 0 ? <Empty>{empty}</Empty> : null}
      {list.items.length > 0 ? children(list.items) : null}
      {list.next ? (
        <button
          type="button"
          class="more"
          data-testid="load-more"
          onClick={() => void list.more()}
          disabled={list.loading}
        >
          {list.loading ? 'Loading…' : 'Load more'}
        </button>
      ) : null}
    </div>
  );
}

/** A table with a caption for screen readers and a scroll wrapper for narrow screens. */
export function Table({
  caption,
  head,
  children,
  testid,
}: {
  caption: string;
  head: string[];
  children: ComponentChildren;
  testid: string;
}) {
  return (
    // A scrolling region at narrow widths: focusable, so it scrolls from the keyboard too.
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scroll container must take focus (WCAG 2.1.1)
    <section class="table-wrap" aria-label={caption} tabIndex={0}>
      <table data-testid={testid}>
        <caption class="sr-only">{caption}</caption>
        <thead>
          <tr>
            {head.map((h, i) => (
              <th key={i} scope="col">
                {h || <span class="sr-only">Actions</span>}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </section>
  );
}

type InputProps = Omit<JSX.IntrinsicElements['input'], 'name' | 'label'>;
export function Field({ label, name, hint, ...attrs }: { label: string; name: string; hint?: string } & InputProps) {
  const id = `f-${name}-${useRef(Math.random().toString(36).slice(2, 7)).current}`;
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input id={id} name={name} data-testid={`field-${name}`} {...attrs} />
      {hint ? <small>{hint}</small> : null}
    </div>
  );
}

export function Select({
  label,
  name,
  options,
  value,
  onChange,
}: {
  label: string;
  name: string;
  options: Array<[string, string]>;
  value?: string;
  onChange?: (v: string) => void;
}) {
  const id = `f-${name}-${useRef(Math.random().toString(36).slice(2, 7)).current}`;
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select
        id={id}
        name={name}
        data-testid={`field-${name}`}
        value={value}
        onChange={(e) => onChange?.((e.target as HTMLSelectElement).value)}
      >
        {options.map(([v, l]) => (
          <option key={v} value={v}>
            {l}
          </option>
        ))}
      </select>
    </div>
  );
}

export function Copy({ text }: { text: string }) {
  const [done, setDone] = useState(false);
  return (
    <button
      type="button"
      class="small"
      onClick={() => {
        void navigator.clipboard?.writeText(text).then(() => setDone(true));
      }}
    >
      {done ? 'Copied' : 'Copy'}
    </button>
  );
}

/** Reads a form into a flat record of its named fields. */
export function formValues(form: HTMLFormElement): Record<string, string> {
  return Object.fromEntries([...new FormData(form).entries()].map(([k, v]) => [k, String(v)]));
}

/**
 * A form whose submit runs `action` with the form's values, showing "Saving…", then the error or
 * `done`'s message. Reset on success when `reset`.
 */
export function ActionForm({
  action,
  children,
  submit,
  testid,
  reset = false,
  busy = 'Saving…',
}: {
  action: (v: Record<string, string>) => Promise<ComponentChildren | undefined>;
  children: ComponentChildren;
  submit: string;
  testid: string;
  reset?: boolean;
  busy?: string;
}) {
  const [state, setState] = useState<{ busy: boolean; error?: unknown; done?: ComponentChildren }>({ busy: false });
  return (
    <form
      data-testid={testid}
      onSubmit={async (e) => {
        e.preventDefault();
        const form = e.currentTarget as HTMLFormElement;
        setState({ busy: true });
        try {
          const done = await action(formValues(form));
          if (reset) form.reset();
          setState({ busy: false, done });
        } catch (error) {
          setState({ busy: false, error });
        }
      }}
    >
      {children}
      <button type="submit" data-testid={`${testid}-submit`} disabled={state.busy}>
        {state.busy ? busy : submit}
      </button>
      {state.error ? <ErrorNote error={state.error} /> : null}
      {state.done ? <Ok testid={`${testid}-done`}>{state.done}</Ok> : null}
    </form>
  );
}

/** A button that runs `action`, showing progress and its error in place. */
export function ActionButton({
  action,
  children,
  testid,
  class: cls,
  busy = 'Working…',
  disabled = false,
}: {
  action: () => Promise<unknown>;
  children: ComponentChildren;
  testid?: string;
  class?: string;
  busy?: string;
  /** Nothing to act on yet (e.g. no row selected). */
  disabled?: boolean;
}) {
  const [state, setState] = useState<{ busy: boolean; error?: unknown }>({ busy: false });
  return (
    <span class="action">
      <button
        type="button"
        class={cls}
        data-testid={testid}
        disabled={state.busy || disabled}
        onClick={async () => {
          setState({ busy: true });
          try {
            await action();
            setState({ busy: false });
          } catch (error) {
            setState({ busy: false, error });
          }
        }}
      >
        {state.busy ? busy : children}
      </button>
      {state.error ? <ErrorNote error={state.error} /> : null}
    </span>
  );
}

export { plain } from '../api';
