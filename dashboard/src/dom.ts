/** A tiny DOM builder: text always goes in as text nodes, never as HTML. */
type Child = Node | string | number | null | undefined | false;

export function h(
  tag: string,
  attrs: Record<string, string | number | boolean | undefined | ((e: Event) => void)> = {},
  ...children: Array<Child | Child[]>
): HTMLElement {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') node.addEventListener(key.replace(/^on/, '').toLowerCase(), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export const time = (ms: number | null | undefined) => (ms ? new Date(ms).toLocaleString() : '—');

export function copyButton(text: string): HTMLElement {
  return h(
    'button',
    { class: 'small', type: 'button', onclick: () => void navigator.clipboard?.writeText(text) },
    'Copy',
  );
}

/** Reads a form into a flat record of its named fields. */
export function formValues(form: HTMLFormElement): Record<string, string> {
  return Object.fromEntries([...new FormData(form).entries()].map(([k, v]) => [k, String(v)]));
}

export function field(label: string, name: string, attrs: Record<string, string | boolean> = {}): HTMLElement {
  return h('label', {}, h('span', {}, label), h('input', { name, 'data-testid': `field-${name}`, ...attrs }));
}
