/** Files bundled as text by wrangler's `Text` module rule (wrangler.toml `[[rules]]`). */
declare module '*.html' {
  const text: string;
  export default text;
}
