import type { CookiePolicy, FieldModel, SameSite, SessionLimitModel, SessionLimitPolicy, SessionModel, StringType, TableModel, TypeModel } from "./model.ts";
import { introspectObject } from "./introspect.ts";
import { parseDuration, type Duration } from "./duration.ts";
import { ConfigError, SchemaError } from "./errors.ts";
import { compileCheck } from "./validate.ts";
import { materialize } from "./materialize.ts";
import { COOKIE_LIMIT, sealedCookieSize } from "./sealed-size.ts";
import { enforceStringBound, stringBound } from "./string-bound.ts";

/** What `defineSession` accepts. Zod schemas are read once; only plain data is kept. */
export interface SessionDefinitionInput {
	/** A `z.object` of the session's fields; flags go in `.meta({ column, rotate, sensitive })`. */
	data: unknown;
	/** A `z.object` of one-shot messages, read once then gone. */
	flash?: unknown;
	/**
	 * `idle` and `absolute` timeouts; `anonymousIdle`, a shorter idle for sessions nobody is signed in to
	 * (no identity field set, no `markAuthenticated()`), bounds what visitors who never log in cost the store.
	 */
	expiry?: { idle?: Duration; absolute?: Duration; anonymousIdle?: Duration };
	rotation?: { every?: Duration; grace?: Duration };
	cookie?: { name?: string; sameSite?: SameSite; insecure?: boolean };
	/** SQL table name; default `sessions`. */
	table?: string;
	/** Allow sealed (stateless cookie) mode: refuses `sensitive` fields and schemas whose worst case exceeds 4096 bytes. */
	sealed?: boolean;
	/**
	 * Caps one user's live sessions (store mode): a number, or `{ max, policy, field }`. A login beyond `max`
	 * ends the least recently seen session (`policy: "evict"`, the default) or fails with `SessionLimitError`
	 * (`"refuse"`). Counted by `field`, by default the identity field; it must be promoted (`column`).
	 */
	maxSessionsPerUser?: number | { max: number; policy?: SessionLimitPolicy; field?: string };
}

/** Names the generated `Session` class already uses, so fields cannot shadow them. */
export const RESERVED_FIELD_NAMES: readonly string[] = [
	"flash", "destroy", "regenerate", "isNew", "isDestroyed", "createdAt", "lastSeenAt", "expiresAt",
	"authenticatedAt", "changed", "toJSON", "constructor", "prototype", "__proto__", "state", "read", "write",
	"csrfToken", "verifyCsrfToken", "update", "markAuthenticated",
];

/** SQL columns the session table always has; promoted columns must not collide with them. */
export const FIXED_COLUMNS: readonly string[] = [
	"id", "successor_id", "version", "data", "created_at", "rotated_at", "last_seen_at", "idle_expires_at", "absolute_expires_at",
	"handle", "device", "device_label", "network",
];

const SQL_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Declares a session schema and policy; export the result as the schema module's default export. */
export function defineSession(input: SessionDefinitionInput): SessionModel {
	const data = introspectObject(input.data, "data");
	const flash = input.flash === undefined ? [] : introspectObject(input.flash, "flash", { allOptional: true });
	for (const f of data) checkTopLevelField(f);
	const identities = data.filter((f) => f.identity === true).map((f) => f.name);
	if (identities.length > 1) throw new SchemaError("unsupported_schema", `data: one field names the user, but ${identities.join(", ")} are all marked identity; keep one.`);
	for (const f of data) checkInitial(f, `data.${f.name}`);
	const expiry: SessionModel["expiry"] = {
		idleMs: parseDuration(input.expiry?.idle ?? "30m", "expiry.idle"),
		absoluteMs: parseDuration(input.expiry?.absolute ?? "12h", "expiry.absolute"),
	};
	if (expiry.idleMs <= 0 || expiry.absoluteMs <= 0) throw new ConfigError("invalid_config", "expiry.idle and expiry.absolute must be positive.");
	if (expiry.idleMs > expiry.absoluteMs) throw new ConfigError("invalid_config", "expiry.idle must not exceed expiry.absolute.");
	if (input.expiry?.anonymousIdle !== undefined) {
		expiry.anonymousIdleMs = parseDuration(input.expiry.anonymousIdle, "expiry.anonymousIdle");
		if (expiry.anonymousIdleMs <= 0 || expiry.anonymousIdleMs > expiry.idleMs) {
			throw new ConfigError("invalid_config", "expiry.anonymousIdle must be positive and not exceed expiry.idle (it is the shorter timeout of sessions nobody is signed in to).");
		}
	}
	const rotation = {
		everyMs: parseDuration(input.rotation?.every ?? "15m", "rotation.every"),
		graceMs: parseDuration(input.rotation?.grace ?? "30s", "rotation.grace"),
	};
	if (rotation.everyMs <= 0) throw new ConfigError("invalid_config", "rotation.every must be positive.");
	if (rotation.graceMs >= rotation.everyMs) throw new ConfigError("invalid_config", "rotation.grace must be shorter than rotation.every.");
	const model: SessionModel = {
		modelVersion: 1,
		data,
		flash,
		expiry,
		rotation,
		cookie: cookiePolicy(input.cookie ?? {}),
		table: tableModel(input.table ?? "sessions", data),
		sealed: input.sealed === true,
	};
	if (input.maxSessionsPerUser !== undefined) model.maxSessionsPerUser = sessionLimit(input.maxSessionsPerUser, model);
	if (model.sealed) checkSealable(model);
	return model;
}

/** The per-user limit: a whole `max` ≥ 1, a known policy, counted by a promoted field (the identity by default). */
function sessionLimit(input: NonNullable<SessionDefinitionInput["maxSessionsPerUser"]>, model: SessionModel): SessionLimitModel {
	const { max, policy = "evict", field: named } = typeof input === "number" ? { max: input } : input;
	if (!Number.isSafeInteger(max) || max < 1) throw new ConfigError("invalid_config", `maxSessionsPerUser: the limit must be a whole number ≥ 1, got ${String(max)}.`);
	if (policy !== "evict" && policy !== "refuse") throw new ConfigError("invalid_config", `maxSessionsPerUser.policy must be "evict" or "refuse", got "${String(policy)}".`);
	const field = named ?? model.data.find((f) => f.identity === true)?.name;
	if (field === undefined) {
		throw new SchemaError("unsupported_schema", "maxSessionsPerUser counts a user's sessions by the identity field: mark one with .meta({ identity: true, column: true }), or name a promoted field with { field }.");
	}
	if (!model.table.columns.some((c) => c.field === field)) {
		throw new SchemaError("unsupported_schema", `maxSessionsPerUser: data.${field} must be promoted to a column to count sessions by it; add .meta({ column: true }).`);
	}
	if (model.sealed) {
		throw new SchemaError("unsupported_schema", "maxSessionsPerUser needs server-side sessions to count, and sealed cookies live only in browsers; drop `sealed: true`, or set the limit at run time in store mode (createSessions({ maxSessionsPerUser })).");
	}
	return { field, max, policy };
}

function checkSealable(model: SessionModel): void {
	const sensitive = [...model.data, ...model.flash].filter((f) => f.sensitive === true).map((f) => f.name);
	if (sensitive.length > 0) {
		throw new SchemaError("unsupported_schema", `sealed: fields flagged sensitive must never reach a client-side cookie: ${sensitive.join(", ")}. Drop \`sealed: true\` or keep those fields out of the schema.`);
	}
	// An email's RFC limit becomes its maximum here too: the cookie's worst case counts on it.
	for (const f of [...model.data, ...model.flash]) forEachString(f.type, enforceStringBound);
	const size = sealedCookieSize(model);
	if (size.unbounded.length > 0) {
		throw new SchemaError("unsupported_schema", `sealed: a sealed cookie must fit ${COOKIE_LIMIT} bytes, so every field needs a bound; unbounded: ${size.unbounded.join(", ")}.`);
	}
	if (size.bytes > COOKIE_LIMIT) {
		const largest = [...size.fields].sort((a, b) => b.bytes - a.bytes).slice(0, 3).map((f) => `${f.path} (${f.bytes} B)`);
		throw new SchemaError("unsupported_schema", `sealed: the worst-case cookie is ${size.bytes} bytes, over the ${COOKIE_LIMIT} browsers keep; largest fields: ${largest.join(", ")}. Tighten their bounds or use a store.`);
	}
}

/** Every string a type holds, at any depth (record keys aside: sealed mode refuses records). */
function forEachString(type: TypeModel, visit: (s: StringType) => void): void {
	switch (type.kind) {
		case "string":
			return visit(type);
		case "nullable":
		case "optional":
			return forEachString(type.inner, visit);
		case "array":
			return forEachString(type.element, visit);
		case "tuple":
			for (const t of type.items) forEachString(t, visit);
			if (type.rest !== undefined) forEachString(type.rest, visit);
			return;
		case "record":
			return forEachString(type.value, visit);
		case "object":
			for (const f of type.fields) forEachString(f.type, visit);
			return;
		case "union":
			for (const o of type.options) forEachString(o, visit);
			return;
	}
}

function checkTopLevelField(f: FieldModel): void {
	if (RESERVED_FIELD_NAMES.includes(f.name)) {
		throw new SchemaError("unsupported_schema", `data.${f.name}: the name is used by the generated Session class; rename the field.`);
	}
	rejectNestedFlags(f.type, `data.${f.name}`);
}

function rejectNestedFlags(type: TypeModel, path: string): void {
	switch (type.kind) {
		case "object":
			for (const child of type.fields) {
				const childPath = `${path}.${child.name}`;
				if (child.identity === true || child.keepOnUserSwitch === true) {
					throw new SchemaError("unsupported_schema", `${childPath}: identity and keepOnUserSwitch apply to top-level fields only.`);
				}
				if (child.column !== undefined || child.rotate === true) {
					throw new SchemaError("unsupported_schema", `${childPath}: column and rotate apply to top-level fields only.`);
				}
				rejectNestedFlags(child.type, childPath);
			}
			return;
		case "nullable":
		case "optional":
			return rejectNestedFlags(type.inner, path);
		case "array":
			return rejectNestedFlags(type.element, `${path}[]`);
		case "tuple":
			type.items.forEach((t, i) => rejectNestedFlags(t, `${path}[${i}]`));
			return type.rest === undefined ? undefined : rejectNestedFlags(type.rest, `${path}[]`);
		case "record":
			return rejectNestedFlags(type.value, `${path}[key]`);
		case "union":
			return type.options.forEach((o, i) => rejectNestedFlags(o, `${path} (option ${i + 1})`));
		default:
			return;
	}
}

function checkInitial(f: FieldModel, path: string): void {
	if (f.initial === undefined) return;
	const problem = compileCheck(f.type)(materialize(f.initial));
	if (problem !== null) throw new SchemaError("unsupported_schema", `${path}: the default does not satisfy the field's own schema (${problem}).`);
}

function cookiePolicy(input: { name?: string; sameSite?: SameSite; insecure?: boolean }): CookiePolicy {
	const insecure = input.insecure === true;
	const name = input.name ?? (insecure ? "sid" : "__Host-sid");
	const sameSite = input.sameSite ?? "lax";
	if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) {
		throw new ConfigError("invalid_config", `cookie.name "${name}" is not a valid cookie name (RFC 6265 token).`);
	}
	if (!["lax", "strict", "none"].includes(sameSite)) {
		throw new ConfigError("invalid_config", `cookie.sameSite must be "lax", "strict" or "none".`);
	}
	if (insecure && /^__(Host|Secure)-/i.test(name)) {
		throw new ConfigError("invalid_config", `cookie.name "${name}": the __Host-/__Secure- prefixes need Secure, which cookie.insecure removes; use a plain name in development.`);
	}
	if (!insecure && !name.startsWith("__Host-")) {
		throw new ConfigError("invalid_config", `cookie.name "${name}" must start with "__Host-" (pins the cookie to this host, Secure, Path=/); set cookie.insecure only for local plain-HTTP development.`);
	}
	if (insecure && sameSite === "none") {
		throw new ConfigError("invalid_config", "cookie.sameSite \"none\" requires Secure, which cookie.insecure removes.");
	}
	return { name, sameSite, insecure };
}

function tableModel(name: string, data: FieldModel[]): TableModel {
	if (!SQL_NAME.test(name)) throw new ConfigError("invalid_config", `table "${name}" must match ${SQL_NAME}.`);
	const columns: TableModel["columns"] = [];
	for (const f of data) {
		if (f.column === undefined) continue;
		const path = `data.${f.name}`;
		if (!SQL_NAME.test(f.column)) throw new SchemaError("unsupported_schema", `${path}: column name "${f.column}" must match ${SQL_NAME}.`);
		if (FIXED_COLUMNS.includes(f.column) || columns.some((c) => c.name === f.column)) {
			throw new SchemaError("unsupported_schema", `${path}: column name "${f.column}" is already taken; pass .meta({ column: "other_name" }).`);
		}
		const type = f.type.kind === "nullable" ? f.type.inner : f.type;
		if (type.kind === "string") {
			const bound = stringBound(type);
			if (bound === undefined || bound > 255) {
				throw new SchemaError(
					"unsupported_schema",
					`${path}: a promoted string needs a known maximum length so every dialect can index it; add .max(n) with n ≤ 255${bound === undefined ? "" : ` (this one allows ${bound})`}, or use a format with a fixed length such as z.uuid(), z.ulid() or z.email().`,
				);
			}
			// An email has no length in its pattern: the column's bound becomes the field's, so a longer one is refused on assignment, not by the database.
			if (type.maxLength === undefined || type.maxLength > bound) type.maxLength = bound;
			columns.push({ name: f.column, field: f.name, type: "text", maxLength: bound });
		} else if (type.kind === "enum") {
			const values = type.values;
			if (values.every((v) => typeof v === "string")) {
				columns.push({ name: f.column, field: f.name, type: "text", maxLength: Math.max(1, ...values.map((v) => (v as string).length)) });
			} else if (values.every((v) => typeof v === "number" && Number.isSafeInteger(v))) {
				columns.push({ name: f.column, field: f.name, type: "integer" });
			} else if (values.every((v) => typeof v === "boolean")) {
				columns.push({ name: f.column, field: f.name, type: "boolean" });
			} else {
				throw new SchemaError("unsupported_schema", `${path}: a promoted literal union must be all strings, all integers or all booleans, so it maps to one SQL type; split the field.`);
			}
		} else if (type.kind === "int") {
			columns.push({ name: f.column, field: f.name, type: "integer" });
		} else if (type.kind === "boolean") {
			columns.push({ name: f.column, field: f.name, type: "boolean" });
		} else {
			throw new SchemaError("unsupported_schema", `${path}: only strings, enums and literal unions, integers and booleans can be promoted to columns; keep this field in the data blob.`);
		}
	}
	return { name, columns };
}
