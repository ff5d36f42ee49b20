/** The first three names (alphabetically) of the users whose pks `userPks` selects; NULL for none. */
const threeNames = (userPks: string) => `(SELECT group_concat(nm, ', ') FROM (
     SELECT coalesce(u.name, u.id) AS nm FROM users u WHERE u.pk IN (${userPks})
     ORDER BY coalesce(u.name_fold, lower(u.id)), u.id LIMIT 3))`;

/**
 * SQL for how a channel is shown to people: its Stream name; else — direct-message channels have
 * none, only a cid like `messaging:!members-…` — its members' names (three, alphabetically, then
 * "+N"); else, when the archive holds no member list for it (e.g. it came from a user export), the
 * authors of its latest 200 messages (bounded: a label must stay cheap for huge channels); else
 * its cid. Computed when read, so it follows renamed users. `c` is the alias of a `channels` row in
 * the surrounding query. The stored `name` stays exactly what Stream exported.
 */
export const channelLabelSql = (c: string) => `coalesce(${c}.name,
  ${threeNames(`SELECT x.user_pk FROM members x WHERE x.channel_pk = ${c}.pk`)}
  || coalesce((SELECT ' +' || (count(*) - 3) FROM members x WHERE x.channel_pk = ${c}.pk HAVING count(*) > 3), ''),
  ${threeNames(`SELECT lm.user_pk FROM messages lm WHERE lm.channel_pk = ${c}.pk ORDER BY lm.tkey DESC LIMIT 200`)},
  ${c}.cid)`;
