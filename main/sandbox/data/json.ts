/**
 * Go `encoding/json` style output: HTML-sensitive characters are escaped (`<` `>` `&` as
 * \u003c \u003e \u0026) and so are U+2028/U+2029, as Go does by default. Everything else is
 * what JSON.stringify produces (compact, insertion-ordered keys).
 */
const GO_ESCAPES: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};
const GO_ESCAPE_RE = /[<>&\u2028\u2029]/g;

export function goJson(value: unknown): string {
  const s = JSON.stringify(value);
  return s.replace(GO_ESCAPE_RE, (c) => GO_ESCAPES[c]);
}
