// Express 5 + express-session (MemoryStore), the same two routes as bench/http/server.ts.
// Plain JavaScript so the same file runs on Bun and on Node: bun|node bench/http/express-server.mjs
import express from "express";
import session from "express-session";

const app = express();
app.disable("x-powered-by");
app.use(session({
	secret: process.env.BENCH_SECRET ?? "bench-only-secret-0123456789abcdef",
	name: "connect.sid",
	resave: false,
	saveUninitialized: false,
	cookie: { httpOnly: true, sameSite: "lax", path: "/", maxAge: 12 * 60 * 60 * 1000 },
}));
app.get("/inc", (req, res) => {
	const n = (req.session.counter ?? 0) + 1;
	req.session.counter = n;
	res.type("text/plain").send(String(n));
});
app.get("/count", (req, res) => {
	res.type("text/plain").send(String(req.session.counter ?? 0));
});
const server = app.listen(0, "127.0.0.1", () => {
	process.stdout.write(`READY ${server.address().port}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
