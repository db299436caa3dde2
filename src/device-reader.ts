import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { clip, coarsenAddress, describeDevice, type DeviceRecord } from "./device.ts";
import type { DeviceOptions } from "./manager-shared.ts";
import type { SessionState } from "./session.ts";
import type { StoredSession } from "./store.ts";
import type { RandomSource } from "./token.ts";

/** Random bytes behind a handle: 128 bits, so handles never collide. */
const HANDLE_BYTES = 16;

/**
 * The device record of a row getting a new ID: the handle kept from `base` (a new one for a new session),
 * description, label and network read from the request the session was loaded from.
 */
export function createDeviceReader(options: DeviceOptions | undefined, random: RandomSource): (s: SessionState, base: StoredSession | null) => DeviceRecord | undefined {
	return (s, base) => {
		const request = s.request;
		// An empty handle is none: a store that reads the device record late has it for a row stored without one.
		const kept = base?.device?.handle ? base.device : undefined;
		if (request === null) return kept;
		let handle = kept?.handle;
		if (handle === undefined) {
			const bytes = new Uint8Array(HANDLE_BYTES);
			random(bytes);
			handle = encodeBase64urlNoPadding(bytes);
		}
		const label = options?.label?.(request);
		const address = options?.address?.(request);
		return {
			handle,
			description: describeDevice(request.headers),
			label: typeof label === "string" ? cleanLabel(label) : (kept?.label ?? null),
			network: typeof address === "string" ? coarsenAddress(address) : null,
		};
	};
}

/** A label as every store can hold it: well-formed, without control characters, at most 64 characters; null if nothing is left. */
function cleanLabel(label: string): string | null {
	// Lone surrogates become U+FFFD (PostgreSQL and MySQL refuse them), control characters go.
	const text = clip(label.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd").replace(/[\u0000-\u001f\u007f]/g, "").trim());
	return text === "" ? null : text;
}
