import { FLAG } from './import/records.ts';

/**
 * The FTS `meta` column of a message: filter tokens (fany c<channel> u<user> fatt freact freply
 * fdel fedit fpin fsys) that `from:`/`in:`/`has:`/`is:` match inside FTS5. Derived by the
 * indexer from the message row; the writer uses it to tell whether a change needs re-indexing.
 */
export function metaTokens(userPk: number | null, channelPk: number, flags: number, versions: number): string {
  let m = `fany c${channelPk}`;
  if (userPk != null) m += ` u${userPk}`;
  if (flags & FLAG.attachment) m += ' fatt';
  if (flags & FLAG.reaction) m += ' freact';
  if (flags & FLAG.reply) m += ' freply';
  if (flags & FLAG.deleted) m += ' fdel';
  if (flags & FLAG.edited || versions > 1) m += ' fedit';
  if (flags & FLAG.pinned) m += ' fpin';
  if (flags & FLAG.system) m += ' fsys';
  return m;
}

/**
 * metaTokens as an SQL expression over columns user_pk, channel_pk, flags, versions: the indexer
 * derives a whole batch's tokens inside SQLite (no JavaScript row per message). A test checks it
 * against metaTokens for every combination.
 */
export const META_TOKENS_SQL = `'fany c' || channel_pk
  || CASE WHEN user_pk IS NOT NULL THEN ' u' || user_pk ELSE '' END
  || CASE WHEN flags & ${FLAG.attachment} THEN ' fatt' ELSE '' END
  || CASE WHEN flags & ${FLAG.reaction} THEN ' freact' ELSE '' END
  || CASE WHEN flags & ${FLAG.reply} THEN ' freply' ELSE '' END
  || CASE WHEN flags & ${FLAG.deleted} THEN ' fdel' ELSE '' END
  || CASE WHEN flags & ${FLAG.edited} OR versions > 1 THEN ' fedit' ELSE '' END
  || CASE WHEN flags & ${FLAG.pinned} THEN ' fpin' ELSE '' END
  || CASE WHEN flags & ${FLAG.system} THEN ' fsys' ELSE '' END`;

/** The indexed body (text, then attachment words on their own line) as an SQL expression. */
export const BODY_SQL = `CASE WHEN att_text <> '' THEN text || char(10) || att_text ELSE text END`;
