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
