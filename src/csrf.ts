import { decodeBase64urlIgnorePadding, encodeBase64urlNoPadding } from "@oslojs/encoding";
import { bytesEqual } from "./crypto.ts";
import { CSRF_SECRET_BYTES } from "./codec-system.ts";
import type { RandomSource } from "./token.ts";

/** Methods that change nothing by definition (RFC 9110 §9.2.1) and so need no CSRF check. */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS", "TRACE"]);

/** Options of the origin check. */
export interface OriginCheckOptions {
	/** Origins besides the request's own that may send unsafe requests, e.g. `https://app.example.com` behind a proxy. */
	trustedOrigins?: readonly string[];
}

/** Why a request was refused, or null when it may proceed. */
export type OriginVerdict = null | "cross-site" | "origin-mismatch";

/**
 * Refuses cross-site unsafe requests using what browsers send on their own: `Sec-Fetch-Site`, then
 * `Origin`. A request with neither comes from a non-browser client, which CSRF cannot drive.
 */
export function checkOrigin(request: Request, options?: OriginCheckOptions): OriginVerdict {
	const method = request.method;
	// Most requests are GETs, spelled as Request normalises them: answered before any string or Set work.
	if (method === "GET" || method === "HEAD" || SAFE_METHODS.has(method.toUpperCase())) return null;
	const trusted = new Set([new URL(request.url).origin, ...(options?.trustedOrigins ?? [])]);
	const origin = request.headers.get("origin");
	const site = request.headers.get("sec-fetch-site");
	if (site !== null) {
		// "none" is a user-initiated navigation (bookmark, address bar), never a forged one.
		if (site === "same-origin" || site === "none") return null;
		// A same-site subdomain can be hostile (subdomain takeover); only explicitly trusted origins pass.
		return origin !== null && trusted.has(origin) ? null : "cross-site";
	}
	if (origin === null) return null;
	return trusted.has(origin) ? null : "origin-mismatch";
}

/** 403 for a refused cross-site request; nothing in the session is touched. */
export function forbiddenResponse(): Response {
	return new Response("Cross-site request refused.", {
		status: 403,
		headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
	});
}

/**
 * A synchronizer token for forms: the session's secret masked with fresh random bytes, so the
 * token differs on every page (no BREACH-style compression oracle) while any of them verifies.
 */
export function createCsrfToken(secret: Uint8Array, random: RandomSource): string {
	const mask = new Uint8Array(CSRF_SECRET_BYTES);
	random(mask);
	const token = new Uint8Array(CSRF_SECRET_BYTES * 2);
	token.set(mask);
	for (let i = 0; i < CSRF_SECRET_BYTES; i++) token[CSRF_SECRET_BYTES + i] = (mask[i] as number) ^ (secret[i] as number);
	return encodeBase64urlNoPadding(token);
}

/** Whether `token` was made from `secret`; any malformed token is simply false. */
export function verifyCsrfToken(secret: Uint8Array | undefined, token: string | null | undefined): boolean {
	if (secret === undefined || typeof token !== "string" || token.length !== 86 || !/^[A-Za-z0-9_-]+$/.test(token)) return false;
	let bytes: Uint8Array;
	try {
		bytes = decodeBase64urlIgnorePadding(token);
	} catch {
		return false;
	}
	if (bytes.length !== CSRF_SECRET_BYTES * 2) return false;
	const unmasked = new Uint8Array(CSRF_SECRET_BYTES);
	for (let i = 0; i < CSRF_SECRET_BYTES; i++) unmasked[i] = (bytes[i] as number) ^ (bytes[CSRF_SECRET_BYTES + i] as number);
	return bytesEqual(unmasked, secret);
}
