import type { RequestLike } from "./manager-core.ts";

/** What sess records about the device behind a session, shown by `list()`. */
export interface DeviceRecord {
	/** Stable for the session's life (kept across rotations), random, non-secret: names the session to `revokeOne`. */
	handle: string;
	/** Browser family and major version and OS family, e.g. "Chrome 131 on macOS"; null when the request said nothing usable. */
	description: string | null;
	/** What the app called this device, if anything. */
	label: string | null;
	/** The client's network, only if the app opted in: IPv4 /24 or IPv6 /48, never the address itself. */
	network: string | null;
}

// Longest stored description and label, in characters (the columns hold at most this).
export const DEVICE_TEXT_MAX = 64;

/** Tokens of Sec-CH-UA that name no browser: the GREASE brand and the engine. */
const NOT_A_BRAND = /not.?a.?brand|^chromium$/i;

/** "Chrome 131 on macOS" from client hints where the browser sent them, else from User-Agent; null if neither says. */
export function describeDevice(headers: RequestLike["headers"]): string | null {
	const hinted = fromClientHints(headers);
	const ua = headers.get("user-agent");
	const parsed = ua === null ? null : fromUserAgent(ua);
	const browser = hinted.browser ?? parsed?.browser ?? null;
	const os = hinted.os ?? parsed?.os ?? null;
	if (browser === null && os === null) return null;
	const text = browser === null ? `Unknown browser on ${os}` : os === null ? browser : `${browser} on ${os}`;
	return clip(text);
}

function fromClientHints(headers: RequestLike["headers"]): { browser: string | null; os: string | null } {
	const brands = [...(headers.get("sec-ch-ua") ?? "").matchAll(/"([^"]{1,40})"\s*;\s*v\s*=\s*"(\d{1,6})/g)]
		.map((m) => ({ brand: m[1] as string, major: m[2] as string }))
		.filter((b) => !NOT_A_BRAND.test(b.brand));
	const pick = brands.find((b) => b.brand !== "Google Chrome") ?? brands[0];
	const browser = pick === undefined ? null : `${pick.brand === "Google Chrome" ? "Chrome" : pick.brand.replace(/^Microsoft /, "")} ${pick.major}`;
	const platform = /^"([^"]{1,32})"$/.exec((headers.get("sec-ch-ua-platform") ?? "").trim())?.[1] ?? null;
	return { browser, os: platform === null || platform === "Unknown" || platform === "" ? null : platform };
}

/** Ordered: the first match wins, so Edge and Opera come before Chrome, Chrome before Safari. */
const BROWSERS: readonly [RegExp, string][] = [
	[/Edg(?:e|A|iOS)?\/(\d+)/, "Edge"],
	[/(?:OPR|Opera)\/(\d+)/, "Opera"],
	[/SamsungBrowser\/(\d+)/, "Samsung Internet"],
	[/Firefox\/(\d+)/, "Firefox"],
	[/FxiOS\/(\d+)/, "Firefox"],
	[/CriOS\/(\d+)/, "Chrome"],
	[/Chrome\/(\d+)/, "Chrome"],
	[/Version\/(\d+)[.\d]* (?:Mobile\/\S+ )?Safari\//, "Safari"],
];

const SYSTEMS: readonly [RegExp, string][] = [
	[/Windows NT/, "Windows"],
	[/iPhone|iPad|iPod/, "iOS"],
	[/Android/, "Android"],
	[/CrOS/, "ChromeOS"],
	[/Mac OS X|Macintosh/, "macOS"],
	[/Linux/, "Linux"],
];

function fromUserAgent(ua: string): { browser: string | null; os: string | null } {
	// Bounded: a User-Agent is the client's to choose, and the patterns run on every new session.
	const text = ua.slice(0, 512);
	let browser: string | null = null;
	for (const [pattern, name] of BROWSERS) {
		const m = pattern.exec(text);
		if (m !== null) {
			browser = `${name} ${m[1]}`;
			break;
		}
	}
	const os = SYSTEMS.find(([pattern]) => pattern.test(text))?.[1] ?? null;
	return { browser, os };
}

/**
 * The network an address belongs to, coarsened so it locates a user no better than a city: IPv4 to its
 * /24 ("203.0.113.0/24"), IPv6 to its /48 ("2001:db8:1::/48"); an IPv4-mapped IPv6 address counts as IPv4.
 * Null for anything that is not an IP address.
 */
export function coarsenAddress(address: string): string | null {
	const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
	const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(mapped?.[1] ?? address);
	if (v4 !== null) {
		const parts = v4.slice(1, 4).map(Number);
		if (parts.some((p) => p > 255) || Number(v4[4]) > 255) return null;
		return `${parts.join(".")}.0/24`;
	}
	const groups = expandIPv6(address);
	if (groups === null) return null;
	const head = groups.slice(0, 3).map((g) => g.toString(16));
	return `${head.join(":")}::/48`;
}

/** The eight 16-bit groups of an IPv6 address (zone dropped), or null. */
function expandIPv6(address: string): number[] | null {
	let text = address.replace(/%.*$/, "");
	// A dotted IPv4 tail ("::ffff:192.0.2.1", "64:ff9b::198.51.100.7") is the last two groups.
	const dotted = /^(.*:)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
	if (dotted !== null) {
		const b = dotted.slice(2, 6).map(Number);
		if (b.some((n) => n > 255)) return null;
		text = `${dotted[1]}${((b[0] as number) * 256 + (b[1] as number)).toString(16)}:${((b[2] as number) * 256 + (b[3] as number)).toString(16)}`;
	}
	if (!/^[0-9a-f:]{2,39}$/i.test(text)) return null;
	const halves = text.split("::");
	if (halves.length > 2) return null;
	const parse = (part: string): number[] | null => {
		if (part === "") return [];
		const groups = part.split(":");
		if (groups.some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) return null;
		return groups.map((g) => parseInt(g, 16));
	};
	const head = parse(halves[0] as string);
	const tail = halves.length === 2 ? parse(halves[1] as string) : [];
	if (head === null || tail === null) return null;
	if (halves.length === 1) return head.length === 8 ? head : null;
	if (head.length + tail.length > 7) return null;
	return [...head, ...Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

/** A string cut to the stored length, on a code point boundary. */
export function clip(text: string): string {
	const points = Array.from(text);
	return points.length <= DEVICE_TEXT_MAX ? text : points.slice(0, DEVICE_TEXT_MAX).join("");
}
