import { startSandbox } from '/work/main/main/sandbox/server/index.ts';
import { StreamChat } from 'stream-chat';
const sb = await startSandbox({ messages: 3000 });
const c = new StreamChat(sb.apiKey, sb.apiSecret, { baseURL: sb.baseURL, timeout: 5000 });
const chans = await c.queryChannelsRequest({ type: 'messaging' }, [{ created_at: 1 }], { limit: 30, message_limit: 0 });
console.log(chans.length, chans.map((x: any) => x.channel.cid));
const users = await c.queryUsers({}, { id: 1 }, { limit: 5 });
console.log(users.users.map((u) => u.id));
const r = await c.exportChannels([{ cid: sb.dataset.channels[0].cid }], { version: 'v2' });
console.log(r);
let st: any;
do { await new Promise((r) => setTimeout(r, 100)); st = await c.getExportChannelStatus(r.task_id); console.log(st.status); } while (st.status !== 'completed');
console.log(st);
const resp = await fetch(st.result.url); console.log(resp.status, resp.headers.get('content-length'), (await resp.text()).length);
try { await c.exportChannels([{ cid: 'messaging:nope' }]); } catch (e: any) { console.log(e.message, e.status, e.code); }
try { await c.getTask('nope'); } catch (e: any) { console.log(e.message, e.status, e.code); }
const bad = new StreamChat(sb.apiKey, 'wrong', { baseURL: sb.baseURL });
try { await bad.getRateLimits({ serverSide: true }); } catch (e: any) { console.log(e.message, e.status, e.code); }
console.log(await c.getRateLimits({ serverSide: true, endpoints: ['ExportChannels' as any] }));
const u = await c.exportUsers({ user_ids: [sb.dataset.users[0].id] }); console.log(u);
console.log(sb.control.requests().slice(0, 2));
await sb.close();
