// The "rotation under load" check, shared by every store's own test file; each then counts
// the rows (or keys) its engine holds, which only it knows how to read.
import { expect } from "bun:test";
import type { Store } from "../../src/store.ts";
import { CookieJar, MINUTE, makeSessions, visit } from "../helpers/harness.ts";

/** 50 parallel requests with one cookie when periodic rotation falls due: one new ID, nobody logged out. */
export async function rotateUnderLoad(store: Store): Promise<void> {
	const h = makeSessions({ store });
	const jar = new CookieJar();
	await visit(h, jar, (s) => (s.cart = [1, 2, 3]));
	h.clock.advance(15 * MINUTE);
	const results = await Promise.all(Array.from({ length: 50 }, () => visit(h, jar.clone())));
	expect(results.flatMap((r) => r.setCookies)).toHaveLength(1);
	expect(results.every((r) => !r.session.isNew && r.session.cart.length === 3)).toBe(true);
}
