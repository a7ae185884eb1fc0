/** What `h` sets on an element; text goes in as text, never as markup. */
export interface Props {
  class?: string;
  text?: string;
  title?: string;
  data?: Record<string, string>;
}

/** Makes an element: the page's whole rendering toolkit (names and reasons arrive from users). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (props.class) element.className = props.class;
  if (props.text !== undefined) element.textContent = props.text;
  if (props.title) element.title = props.title;
  for (const [key, value] of Object.entries(props.data ?? {})) element.dataset[key] = value;
  element.append(...children);
  return element;
}

/** The element with this id; the page's skeleton (page-html.ts on ingest) has every one. */
export function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element as T;
}
