import { contentHash } from './import/normalize.ts';

/** Key of the messages_id index; always query with `id_hash = ? AND id = ?`. */
export const idHash = (id: string): number => contentHash(id);
