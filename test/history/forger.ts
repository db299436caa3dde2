// Cookies the servers never issued, for the checker's (e) probes; shared by every history run.
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { model } from "../../examples/demo/src/generated/session.ts";
import { Keyring } from "../../src/keyring.ts";
import { generateSessionToken, randomRouteTag } from "../../src/token.ts";

/** A cookie the servers never issued: a tampered issued one, or (store mode) a random token signed with the real key. */
export function forger(keys: string, mode: "store" | "sealed" = "store", routed = false): (issued: string | null) => string {
	const keyring = Keyring.fromString(keys);
	const name = model.cookie.name;
	let n = 0;
	return (issued) => {
		n++;
		if (issued !== null && (mode === "sealed" || n % 2 === 0)) {
			const at = Math.floor(issued.length * 0.6);
			const flipped = issued[at] === "A" ? "B" : "A";
			return issued.slice(0, at) + flipped + issued.slice(at + 1);
		}
		// A routed store (RedisSpreadStore) takes only routed tokens: forge those, so the probe reaches the store.
		if (mode === "store") return `${name}=${keyring.sign((routed ? randomRouteTag() : "") + generateSessionToken(), name)}`;
		return `${name}=${encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(96)))}`;
	};
}
