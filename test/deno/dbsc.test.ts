// DBSC under Deno (bun test runs this folder too): Deno's WebCrypto verifies ES256 and RS256 proofs
// (raw r‖s, PKCS #1 v1.5), imports JWKs and exports SPKI as Bun's does; registration, refresh and a
// replay, in store and sealed mode (ES256 only: the demo schema's worst case has no room for an RSA key in the cookie).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { MemoryStore } from "sess/stores/memory";
import { createSessions } from "../../examples/demo/src/generated/session.ts";
import { fakeClock, newKey } from "../helpers/harness.ts";
import { dbscApp } from "../dbsc/app.ts";
import { DbscClient, readChallenge } from "../dbsc/client.ts";

for (const mode of ["store", "sealed"] as const) {
	// Sealed mode offers RS256 only to schemas whose worst case fits an RSA key (the demo's does not).
	for (const alg of mode === "sealed" ? (["ES256"] as const) : (["ES256", "RS256"] as const)) {
		describe(`DBSC, ${mode} mode, ${alg}`, () => {
			test("registers, refreshes through a 403, refuses a replayed proof", async () => {
				const clock = fakeClock();
				const store = new MemoryStore();
				const common = { keys: [newKey()], now: clock.now, dbsc: {} };
				const sessions = mode === "sealed" ? createSessions({ ...common, mode: "sealed", revocations: store }) : createSessions({ ...common, store });
				const client = new DbscClient(dbscApp(sessions), alg);
				const login = await client.login("alice");
				assert.equal((await client.register(login.headers.get("secure-session-registration"))).status, 200);
				assert.deepEqual(await (await client.send("/whoami")).json(), { userId: "alice", bound: true });
				const challenge = readChallenge((await client.refreshWith(null)).headers.get("secure-session-challenge")).challenge;
				const proof = await client.refreshProof(challenge);
				assert.equal((await client.refreshWith(proof)).status, 200);
				assert.equal((await client.refreshWith(proof)).status, 403);
				clock.advance(10 * 60_000);
				assert.equal((await client.refresh()).status, 200);
				assert.deepEqual(await (await client.send("/whoami")).json(), { userId: "alice", bound: true });
			});
		});
	}
}
