import { MemoryStore } from "sess/stores/memory";
import { createBenchSessions, newKey, SAMPLE, cookiePair, codec, model } from "./lib/schema.ts";
import { STATE, createSessionState } from "../src/session.ts";
import { readSessionCookie } from "../src/cookie.ts";
const store = new MemoryStore();
const keys = [newKey()];
const sessions = createBenchSessions({ store, keys });
const headers: string[] = [];
for (let i = 0; i < 256; i++) { const s = await sessions.load({ headers: new Headers() }); s.userId = SAMPLE.userId; s.role = SAMPLE.role; s.cart = SAMPLE.cart; s.theme = SAMPLE.theme; headers.push("a=b; c=d; " + cookiePair((await sessions.commitCookie(s))!)); }
async function time(name: string, f: (i: number) => unknown) {
  for (let i = 0; i < 200000; i++) { const r = f(i); if (r instanceof Promise) await r; }
  const res: number[] = [];
  for (let b = 0; b < 5; b++) { const N = 200000; const t = performance.now(); for (let i = 0; i < N; i++) { const r = f(i); if (r instanceof Promise) await r; } res.push((performance.now() - t) / N * 1000); }
  res.sort((a, b) => a - b); console.log(name.padEnd(34), res[2]!.toFixed(3), "µs");
}
const req = (i: number) => ({ headers: { get: () => headers[i & 255]! } });
await time("load", (i) => sessions.load(req(i)));
await time("load+read role", async (i) => (await sessions.load(req(i))).role);
await time("load+read+commit ro", async (i) => { const s = await sessions.load(req(i)); s.role; return sessions.commitCookie(s); });
await time("load+inc", async (i) => { const s = await sessions.load(req(i)); s.role; s.counter = s.counter + 1; });
await time("full", async (i) => { const s = await sessions.load(req(i)); s.role; s.counter = s.counter + 1; return sessions.commitCookie(s); });
const s0 = await sessions.load(req(0)); const st = s0[STATE];
await time("readSessionCookie", (i) => readSessionCookie(headers[i & 255]!, "__Host-sid"));
await time("createSessionState", () => createSessionState(st.base, true));
await time("encodeTrusted", () => codec.encodeTrusted(st.data as never, st.flash as never, st.meta));
await time("decodeSession", () => codec.decodeSession(st.row!.data));
await time("store.get", () => store.get(st.row!.id));
await time("Date.now", () => Date.now());
