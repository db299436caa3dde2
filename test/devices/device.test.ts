// The device description and the coarsened network that "your devices" shows, from real request headers.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { coarsenAddress, describeDevice } from "../../src/device.ts";

const headers = (h: Record<string, string>) => new Headers(h);

describe("describeDevice", () => {
	const cases: [string, Record<string, string>, string | null][] = [
		["Chrome on macOS (User-Agent)", { "user-agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36" }, "Chrome 131 on macOS"],
		["Firefox on Windows", { "user-agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0" }, "Firefox 133 on Windows"],
		["Safari on iPhone", { "user-agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1" }, "Safari 17 on iOS"],
		["Edge before Chrome", { "user-agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86" }, "Edge 131 on Windows"],
		["Chrome on Android", { "user-agent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.39 Mobile Safari/537.36" }, "Chrome 131 on Android"],
		["client hints win over a frozen User-Agent", {
			"user-agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
			"sec-ch-ua": '"Google Chrome";v="131", "Chromium";v="131", "Not_A Brand";v="24"',
			"sec-ch-ua-platform": '"Windows"',
		}, "Chrome 131 on Windows"],
		["client hints name Edge", { "sec-ch-ua": '"Microsoft Edge";v="130", "Chromium";v="130", "Not?A_Brand";v="99"', "sec-ch-ua-platform": '"macOS"' }, "Edge 130 on macOS"],
		["a bot says nothing usable", { "user-agent": "curl/8.5.0" }, null],
		["no headers", {}, null],
	];
	for (const [name, h, expected] of cases) test(name, () => expect(describeDevice(headers(h))).toBe(expected));

	test("any header values give a short string or null, never an exception", () => {
		fc.assert(fc.property(fc.string({ maxLength: 2000 }), fc.string({ maxLength: 300 }), fc.string({ maxLength: 60 }), (ua, ch, platform) => {
			const h = { get: (name: string) => (name === "user-agent" ? ua : name === "sec-ch-ua" ? ch : name === "sec-ch-ua-platform" ? platform : null) };
			const d = describeDevice(h);
			return d === null || (d.length > 0 && Array.from(d).length <= 64);
		}));
	});
});

describe("coarsenAddress", () => {
	test("IPv4 to its /24, IPv6 to its /48, IPv4-mapped IPv6 as IPv4", () => {
		expect(coarsenAddress("203.0.113.77")).toBe("203.0.113.0/24");
		expect(coarsenAddress("2001:db8:1234:5678::1")).toBe("2001:db8:1234::/48");
		expect(coarsenAddress("2001:db8::1")).toBe("2001:db8:0::/48");
		expect(coarsenAddress("::ffff:198.51.100.9")).toBe("198.51.100.0/24");
		expect(coarsenAddress("fe80::1%eth0")).toBe("fe80:0:0::/48");
	});
	test("anything else is null", () => {
		for (const bad of ["", "localhost", "1.2.3", "256.1.1.1", "1:2:3:4:5:6:7:8:9", "::1::2", "example.com", "1.2.3.4/8"]) expect(coarsenAddress(bad)).toBeNull();
	});
	test("two addresses of one /24 are indistinguishable; the host part never survives", () => {
		fc.assert(fc.property(fc.ipV4(), (ip) => {
			const coarse = coarsenAddress(ip) as string;
			return coarse.endsWith(".0/24") && coarse === coarsenAddress(ip.replace(/\d+$/, "1"));
		}));
		fc.assert(fc.property(fc.ipV6(), (ip) => {
			const coarse = coarsenAddress(ip);
			return coarse !== null && coarse.endsWith("::/48") && coarse.split("::")[0]!.split(":").length <= 3;
		}));
	});
});
