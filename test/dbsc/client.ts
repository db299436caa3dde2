// A scripted DBSC browser for protocol tests: holds a WebCrypto key pair and a cookie jar, reads the
// registration header, signs proofs as Chromium does (header {alg, typ, jwk?}, payload {jti,
// authorization?}, ES256 as raw r‖s), and follows the refresh's 403 → sign → retry dance.
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { CookieJar } from "../helpers/harness.ts";

export type Alg = "ES256" | "RS256";
export type Handler = (request: Request) => Promise<Response>;

const utf8 = new TextEncoder();

export function b64json(value: unknown): string {
	return encodeBase64urlNoPadding(utf8.encode(JSON.stringify(value)));
}

/** A fresh key pair for `alg`. */
export async function newKeyPair(alg: Alg): Promise<CryptoKeyPair> {
	const params =
		alg === "ES256"
			? { name: "ECDSA", namedCurve: "P-256" }
			: { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" };
	return (await crypto.subtle.generateKey(params, true, ["sign", "verify"])) as CryptoKeyPair;
}

/** The public JWK members a browser puts in the registration proof. */
export async function publicJwk(keys: CryptoKeyPair): Promise<Record<string, unknown>> {
	const jwk = await crypto.subtle.exportKey("jwk", keys.publicKey);
	return jwk.kty === "EC" ? { kty: "EC", crv: jwk.crv, x: jwk.x, y: jwk.y } : { kty: "RSA", n: jwk.n, e: jwk.e };
}

/** Signs `header.payload` with `keys` as a compact JWS. */
export async function signJws(alg: Alg, keys: CryptoKeyPair, header: Record<string, unknown>, payload: Record<string, unknown>): Promise<string> {
	const input = `${b64json(header)}.${b64json(payload)}`;
	const algorithm = alg === "ES256" ? { name: "ECDSA", hash: "SHA-256" } : { name: "RSASSA-PKCS1-v1_5" };
	const signature = new Uint8Array(await crypto.subtle.sign(algorithm, keys.privateKey, utf8.encode(input)));
	return `${input}.${encodeBase64urlNoPadding(signature)}`;
}

/** The parameters of a `Secure-Session-Registration` header (strings only; enough for what sess sends). */
export function readRegistration(header: string | null): { algs: string[]; path: string; challenge: string; authorization?: string } {
	if (header === null) throw new Error("no Secure-Session-Registration header");
	const algs = /^\(([^)]*)\)/.exec(header)?.[1]?.split(" ") ?? [];
	const param = (name: string): string | undefined => new RegExp(`;${name}="((?:[^"\\\\]|\\\\.)*)"`).exec(header)?.[1]?.replace(/\\(.)/g, "$1");
	const path = param("path");
	const challenge = param("challenge");
	if (path === undefined || challenge === undefined) throw new Error(`bad registration header: ${header}`);
	const authorization = param("authorization");
	return { algs, path, challenge, ...(authorization === undefined ? {} : { authorization }) };
}

/** `Secure-Session-Challenge: "c";id="s"` → {challenge, id}. */
export function readChallenge(header: string | null): { challenge: string; id: string } {
	const match = header === null ? null : /^"((?:[^"\\]|\\.)*)";id="((?:[^"\\]|\\.)*)"$/.exec(header);
	if (match === null) throw new Error(`bad challenge header: ${header}`);
	return { challenge: (match[1] as string).replace(/\\(.)/g, "$1"), id: (match[2] as string).replace(/\\(.)/g, "$1") };
}

/** One browser with DBSC: a jar, and once registered a key, a session id and a refresh URL. */
export class DbscClient {
	readonly jar = new CookieJar();
	keys: CryptoKeyPair | null = null;
	sessionId: string | null = null;
	refreshUrl: string | null = null;
	/** The challenge the server last sent with a 200 (the browser's cached challenge). */
	cached: string | null = null;
	/** The last refresh's responses, in order. */
	trail: Response[] = [];

	constructor(
		readonly handler: Handler,
		readonly alg: Alg = "ES256",
	) {}

	/** Sends a request from this browser and applies its cookies. */
	async send(path: string, init: RequestInit = {}): Promise<Response> {
		const headers = new Headers(init.headers);
		if (init.method !== undefined && init.method !== "GET" && !headers.has("origin")) headers.set("origin", "https://app.test");
		const response = await this.handler(this.jar.request(path, { ...init, headers }));
		this.jar.apply(response);
		return response;
	}

	/** Logs in as `userId` and returns the login response (which carries the registration header). */
	login(userId: string): Promise<Response> {
		return this.send("/login", { method: "POST", body: userId });
	}

	/** The registration proof for `header` (as the browser would build it), signed with a new key. */
	async registrationProof(header: string | null, options: { keys?: CryptoKeyPair; signWith?: CryptoKeyPair; jti?: string; alg?: string } = {}): Promise<string> {
		const reg = readRegistration(header);
		this.keys = options.keys ?? this.keys ?? (await newKeyPair(this.alg));
		const payload: Record<string, unknown> = { jti: options.jti ?? reg.challenge };
		if (reg.authorization !== undefined) payload.authorization = reg.authorization;
		return signJws(this.alg, options.signWith ?? this.keys, { alg: options.alg ?? this.alg, typ: "dbsc+jwt", jwk: await publicJwk(this.keys) }, payload);
	}

	/** POSTs a proof to the registration endpoint; on 200 remembers the session configuration. */
	async register(header: string | null, proof?: string): Promise<Response> {
		const reg = readRegistration(header);
		const jws = proof ?? (await this.registrationProof(header));
		const response = await this.send(reg.path, { method: "POST", headers: { "secure-session-response": jws } });
		if (response.status === 200) {
			const config = (await response.clone().json()) as { session_identifier: string; refresh_url: string };
			this.sessionId = config.session_identifier;
			this.refreshUrl = config.refresh_url;
			const next = response.headers.get("secure-session-challenge");
			this.cached = next === null ? null : readChallenge(next).challenge;
		}
		return response;
	}

	/** A refresh proof over `challenge` with this client's key (or `keys`), Chromium's refresh shape. */
	refreshProof(challenge: string, keys: CryptoKeyPair | null = this.keys): Promise<string> {
		if (keys === null) throw new Error("this client holds no key");
		return signJws(this.alg, keys, { alg: this.alg, typ: "dbsc+jwt" }, { jti: challenge });
	}

	/** One refresh POST with `proof` (or none). */
	refreshWith(proof: string | null, sessionId = this.sessionId): Promise<Response> {
		const headers: Record<string, string> = {};
		if (sessionId !== null) headers["sec-secure-session-id"] = sessionId;
		if (proof !== null) headers["secure-session-response"] = proof;
		return this.send(this.refreshUrl ?? "/.sess/dbsc/refresh", { method: "POST", headers });
	}

	/** What Chromium does: POST without a proof, sign the 403's challenge, POST again (up to 5 challenges). */
	async refresh(): Promise<Response> {
		this.trail = [];
		let response = await this.refreshWith(null);
		this.trail.push(response);
		for (let i = 0; i < 5 && response.status === 403; i++) {
			const { challenge } = readChallenge(response.headers.get("secure-session-challenge"));
			response = await this.refreshWith(await this.refreshProof(challenge));
			this.trail.push(response);
		}
		return response;
	}
}
