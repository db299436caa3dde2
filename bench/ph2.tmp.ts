import { MemoryStore } from "sess/stores/memory";
import { createBenchSessions, newKey, SAMPLE, cookiePair } from "./lib/schema.ts";
const store = new MemoryStore();
const sessions = createBenchSessions({ store, keys: [newKey()] });
const headers: string[] = [];
for (let i = 0; i < 256; i++) { const s = await sessions.load({ headers: new Headers() }); s.userId = SAMPLE.userId; s.role = SAMPLE.role; s.cart = SAMPLE.cart; s.theme = SAMPLE.theme; headers.push("a=b; c=d; " + cookiePair((await sessions.commitCookie(s))!)); }
const t = performance.now(); const N = 2_000_000;
for (let i = 0; i < N; i++) { const s = await sessions.load({ headers: { get: () => headers[i & 255]! } }); s.role; s.counter = s.counter + 1; await sessions.commitCookie(s); }
console.log(((performance.now() - t) / N * 1000).toFixed(3));
