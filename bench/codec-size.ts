// Bytes of the demo's typical session: sess codec vs JSON.stringify of the same data.
// Run: bun bench/codec-size.ts
import { codec, type FlashData, type SessionData } from "../examples/demo/src/generated/session.ts";

const cases: { name: string; data: SessionData; flash?: FlashData }[] = [
	{ name: "anonymous (defaults)", data: { role: "guest", cart: [] } },
	{ name: "typical: logged in, 5 cart items, theme", data: { userId: "user-12345", role: "user", cart: [3, 14, 15, 92, 65], theme: "dark" } },
	{ name: "typical + flash message", data: { userId: "user-12345", role: "user", cart: [3, 14, 15, 92, 65], theme: "dark" }, flash: { message: "Saved!" } },
	{ name: "full cart (50 items < 128)", data: { userId: "user-12345", role: "admin", cart: Array.from({ length: 50 }, (_, i) => i * 2), theme: "light" } },
];

const rows = cases.map(({ name, data, flash }) => {
	const sess = codec.encode(data, flash).length;
	const json = new TextEncoder().encode(JSON.stringify(flash === undefined ? data : { ...data, flash })).length;
	return { case: name, "sess bytes": sess, "JSON bytes": json, ratio: (sess / json).toFixed(2) };
});
process.stdout.write(`${Bun.inspect.table(rows)}\n`);
