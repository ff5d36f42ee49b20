/** Case- and accent-folding the way the index does it (unicode61, remove_diacritics 2). */
export const fold = (s: string): string => s.normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase();

/** Words as the index sees them: runs of letters and digits. */
export const WORD = /[\p{L}\p{N}\p{Co}]+/gu;
