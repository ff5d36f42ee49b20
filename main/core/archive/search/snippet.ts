import type { Compiled } from './compile.ts';
import { fold } from './fold.ts';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const WORD = /[\p{L}\p{N}\p{Co}]+/gu;

/**
 * A window of the message around its first hit, HTML-escaped, hits wrapped in <mark>. Done in JS
 * on the page of results only (cheaper and more predictable than FTS5 snippet() under ranking).
 */
export function makeSnippet(text: string, hl: Compiled['highlight'], maxChars = 180): string {
  const marks: [number, number][] = [];
  if (hl.words.size || hl.prefixes.length) {
    for (const m of text.matchAll(WORD)) {
      const w = fold(m[0]);
      if (hl.words.has(w) || hl.prefixes.some((p) => w.startsWith(p))) marks.push([m.index!, m.index! + m[0].length]);
    }
  }
  let start = 0;
  let end = Math.min(text.length, maxChars);
  if (marks.length && marks[0][0] > maxChars / 3) {
    start = Math.max(0, marks[0][0] - Math.floor(maxChars / 3));
    const sp = text.lastIndexOf(' ', start);
    if (sp > start - 20 && sp >= 0) start = sp + 1;
    end = Math.min(text.length, start + maxChars);
  }
  let out = start > 0 ? '…' : '';
  let pos = start;
  for (const [a, b] of marks) {
    if (b <= start || a >= end) continue;
    out += esc(text.slice(pos, Math.max(pos, a))) + '<mark>' + esc(text.slice(Math.max(a, pos), Math.min(b, end))) + '</mark>';
    pos = Math.min(b, end);
  }
  out += esc(text.slice(pos, end)) + (end < text.length ? '…' : '');
  return out;
}
