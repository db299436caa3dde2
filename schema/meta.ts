import * as z from "zod";

/** Session-specific flags a field can carry through Zod's `.meta()`. */
export interface FieldMeta {
	/** Promote to an indexed SQL column: `true` names it in snake_case, a string names it. */
	column?: boolean | string;
	/** Changing the field regenerates the session ID on commit (login, privilege change). */
	rotate?: boolean;
	/** Never place the field in a client-side (sealed) cookie. */
	sensitive?: boolean;
	/**
	 * Who is logged in (one field per schema; implies `rotate`). Set from empty it is a login: data is kept
	 * (the guest cart). Changed from one user to another, or back to empty, the session starts from the
	 * defaults, except fields marked `keepOnUserSwitch`. Either way the lifetime and `authenticatedAt` restart.
	 */
	identity?: boolean;
	/** Carried over when the identity changes from one user to another (a device preference, not a user's data). */
	keepOnUserSwitch?: boolean;
}

declare module "zod" {
	interface GlobalMeta extends FieldMeta {}
}

const KEYS = ["column", "rotate", "sensitive", "identity", "keepOnUserSwitch"] as const;

/** Reads the session flags attached to one schema layer with `.meta()`. */
export function readFieldMeta(schema: unknown): FieldMeta {
	const meta = z.globalRegistry.get(schema as z.ZodType);
	if (meta === undefined) return {};
	const out: FieldMeta = {};
	for (const key of KEYS) {
		const value = meta[key];
		if (value !== undefined) Object.assign(out, { [key]: value });
	}
	return out;
}
