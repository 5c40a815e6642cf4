// User input echoed in an error message: quoted, control and line-break
// characters escaped, and cut at QUOTE_MAX characters, so that every message
// stays one line on a terminal whatever argv, a devarg or a file held.

export const QUOTE_MAX = 120;

/** C0 and C1 controls, DEL, and the Unicode line and paragraph separators. */
export const CONTROL_CHAR = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const CONTROL_CHARS = new RegExp(CONTROL_CHAR.source, 'g');

const escapeChar = (c: string): string => {
  if (c === '\n') return '\\n';
  if (c === '\r') return '\\r';
  if (c === '\t') return '\\t';
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
};

/** `s` with control and line-break characters escaped: "a\nb" -> a\nb (backslash, n). */
export function escapeControls(s: string): string {
  return s.replace(CONTROL_CHARS, escapeChar);
}

/** `s` in single quotes, safe to print on one line: "a\nb" -> 'a\nb' (escaped). */
export function quote(s: string): string {
  return `'${escapeControls(s.length > QUOTE_MAX ? `${s.slice(0, QUOTE_MAX)}...` : s)}'`;
}
