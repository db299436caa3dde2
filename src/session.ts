import type { SessionMeta } from "./codec-system.ts";
import { CSRF_SECRET_BYTES, NO_FLASH, NO_META } from "./codec-system.ts";
import { createCsrfToken, verifyCsrfToken } from "./csrf.ts";
import type { StoredSession } from "./store.ts";
import type { RandomSource } from "./token.ts";
import type { Check } from "../schema/validate.ts";
import { InvalidDataError } from "./errors.ts";
import { deepFreeze } from "./freeze.ts";

/** What assigning one data field runs, resolved once per manager so a setter makes one lookup. */
export interface FieldSetter {
	check: Check;
	/** Zod's rewrite of an assigned value (trim, case, strip unknown keys, fill defaults): the stored value is the normalised one. */
	normalize: ((value: unknown) => unknown) | undefined;
	optional: boolean;
	/** A change regenerates the session ID (`.meta({ rotate: true })`). */
	rotate: boolean;
	/** The field names who is logged in: a change is a login, logout or user switch. */
	identity: boolean;
}

/** What a schema's sessions share: per-field checks and flags, resolved once by the manager. */
export interface SessionRuntime {
	checks: ReadonlyMap<string, Check>;
	/** Per data field, what its setter runs. */
	setters: ReadonlyMap<string, FieldSetter>;
	flashChecks: ReadonlyMap<string, Check>;
	flashNormalizers?: ReadonlyMap<string, (value: unknown) => unknown>;
	/** Fields carried over when the identity changes from one user to another. */
	keepOnUserSwitch: ReadonlySet<string>;
	/** A fresh session's data (the schema's defaults), a new object each call. */
	initial: () => Record<string, unknown>;
	now: () => number;
	random: RandomSource;
}

/** Per-request state; reached by the manager through `STATE`, invisible to handlers. */
export interface SessionState {
	data: Record<string, unknown>;
	/**
	 * Data as loaded, to tell our changes from a concurrent writer's; `data` is the same object until the first
	 * write. `NO_BASE` where commit never merges: `data` is then the session's own and changed in place.
	 */
	base: Record<string, unknown>;
	/** Fields this request assigned, each once, in order; the shared empty `NO_FIELDS` until the first (add through `markDirty`). */
	dirty: readonly string[];
	flash: Record<string, unknown>;
	flashDirty: boolean;
	/** The library's own per-session values (CSRF secret, authentication time). */
	meta: SessionMeta;
	metaDirty: boolean;
	/** The live row (after following a grace alias), or null for a session not yet stored. */
	row: StoredSession | null;
	/** Loaded through an ID retired by periodic rotation: never re-issue or rotate from here. */
	viaAlias: boolean;
	/** The request carried a session cookie (valid or not). */
	hadCookie: boolean;
	/** The cookie was signed by an older key: re-sign it with the newest on the way out. */
	resign: boolean;
	token: string | null;
	regenerate: boolean;
	/** The regeneration is an authentication: the lifetime restarts (a privilege change keeps it). */
	authenticate: boolean;
	destroyed: boolean;
	committed: boolean;
	/** A stored row that failed to decode: the first commit replaces it instead of leaving it behind. */
	replaces: StoredSession | null;
	/** Fields this request changed that a concurrent writer had changed too (last writer wins); made on first need. */
	overwritten: Set<string> | null;
	/** Whether commit had to merge with a concurrent writer. */
	merged: boolean;
	/** Sealed mode: re-issue the cookie even if nothing changed (the device kept by revoke-others). */
	reissue: boolean;
	/** Sealed mode: the header of the cookie this session came from (what a store-mode row keeps server-side). */
	header: unknown;
	/** The request this session was loaded from: commit reads the device from it when it writes a new ID. */
	request: { headers: { get(name: string): string | null } } | null;
	/** Per field, the functions `update()` applied, re-run on a concurrent writer's value when commit must merge; made on first `update()`. */
	updaters: Map<string, ((value: never) => unknown)[]> | null;
}

// An array rather than a Set: sessions assign a few fields, and an array is one heap cell where a Set is two.
/** The dirty list of a session nothing was assigned in: shared, so a request that only reads allocates none. */
const NO_FIELDS: readonly string[] = Object.freeze([]);

/** The `base` of a session whose commit never merges (sealed mode): none kept. */
export const NO_BASE: Record<string, unknown> = Object.freeze({});

/** Records that `key` was assigned, making the state's own set on the first. */
export function markDirty(state: SessionState, key: string): void {
	const dirty = state.dirty;
	if (dirty === NO_FIELDS) state.dirty = [key];
	else if (!dirty.includes(key)) (dirty as string[]).push(key);
}

/** A state with every flag at rest; callers assign what else they loaded (a spread of options cost more than the rest of this). */
export function createSessionState(data: Record<string, unknown>, hadCookie: boolean, flash: Record<string, unknown> = NO_FLASH, meta: SessionMeta = NO_META): SessionState {
	return {
		data, base: data, dirty: NO_FIELDS, flash, flashDirty: false, meta, metaDirty: false, row: null,
		viaAlias: false, hadCookie, resign: false, token: null, regenerate: false, authenticate: false, destroyed: false, committed: false,
		replaces: null, overwritten: null, merged: false, reissue: false, header: null, updaters: null, request: null,
	};
}

/** Internal key of a session's state; not exported from the package entry. */
export const STATE: unique symbol = Symbol("sess.state");

/** One-shot messages: `set` now, `take` on a later (or the same) request, then gone. */
export interface Flash<F> {
	/** Queues a message for the next read. */
	set<K extends keyof F & string>(key: K, value: Exclude<F[K], undefined>): void;
	/** Returns the message and removes it, so it is seen exactly once. */
	take<K extends keyof F & string>(key: K): F[K] | undefined;
}

/** The session a handler sees. Generated code subclasses it with one typed accessor per field. */
export class Session<D extends object, F extends object = Record<never, never>> {
	readonly [STATE]: SessionState;
	readonly #runtime: SessionRuntime;
	#flash: Flash<F> | undefined;

	/** Built by the manager; handlers get sessions from `load()`. */
	constructor(runtime: SessionRuntime, state: SessionState) {
		this.#runtime = runtime;
		this[STATE] = state;
	}

	/** True until the session has been stored (a visitor who has not written anything yet). */
	get isNew(): boolean {
		return this[STATE].row === null;
	}

	/** True after `destroy()`. */
	get isDestroyed(): boolean {
		return this[STATE].destroyed;
	}

	/** When the session was created, or null if it is new. */
	get createdAt(): Date | null {
		const row = this[STATE].row;
		return row === null ? null : new Date(row.createdAt);
	}

	/** When the server last recorded activity, or null if new. */
	get lastSeenAt(): Date | null {
		const row = this[STATE].row;
		return row === null ? null : new Date(row.lastSeenAt);
	}

	/** The nearer of the idle and absolute deadlines, or null if new. */
	get expiresAt(): Date | null {
		const row = this[STATE].row;
		return row === null ? null : new Date(Math.min(row.idleExpiresAt, row.absoluteExpiresAt));
	}

	/** When the user last authenticated (the identity field set, or `markAuthenticated()`), for re-authentication checks. */
	get authenticatedAt(): Date | null {
		const at = this[STATE].meta.authenticatedAt;
		return at === undefined ? null : new Date(at);
	}

	/** One-shot messages. */
	get flash(): Flash<F> {
		// Built on first use: most requests never touch flash, and the closures cost on every one.
		if (this.#flash !== undefined) return this.#flash;
		const runtime = this.#runtime;
		const state = this[STATE];
		this.#flash = {
			set: (key, value) => {
				const normalize = runtime.flashNormalizers?.get(key);
				if (normalize !== undefined && value !== undefined) value = normalize(value) as typeof value;
				const check = runtime.flashChecks.get(key);
				const problem = check === undefined ? "is not a flash field" : check(value);
				if (problem !== null) throw new InvalidDataError(`flash.${key}`, problem);
				// A decoded session without flash shares one frozen empty object: give it its own first.
				if (Object.isFrozen(state.flash)) state.flash = { ...state.flash };
				state.flash[key] = deepFreeze(value);
				state.flashDirty = true;
			},
			take: (key) => {
				const value = deepFreeze(state.flash[key]) as F[typeof key] | undefined;
				if (value !== undefined) {
					if (Object.isFrozen(state.flash)) state.flash = { ...state.flash };
					delete state.flash[key];
					state.flashDirty = true;
				}
				return value;
			},
		};
		return this.#flash;
	}

	/** True when commit has something to write. */
	get changed(): boolean {
		const s = this[STATE];
		return s.dirty.length > 0 || s.flashDirty || s.metaDirty || s.regenerate || s.destroyed;
	}

	/** A CSRF token for a form or header; any token of this session verifies until the next `regenerate()`. */
	csrfToken(): string {
		const state = this[STATE];
		let secret = state.meta.csrfSecret;
		if (secret === undefined) {
			secret = new Uint8Array(CSRF_SECRET_BYTES);
			this.#runtime.random(secret as Uint8Array<ArrayBuffer>);
			state.meta = { ...state.meta, csrfSecret: secret };
			state.metaDirty = true;
		}
		return createCsrfToken(secret, this.#runtime.random);
	}

	/** Whether a submitted token belongs to this session (constant-time; false for anything malformed). */
	verifyCsrfToken(token: string | null | undefined): boolean {
		return verifyCsrfToken(this[STATE].meta.csrfSecret, token);
	}

	/**
	 * Issues a new ID on commit and ends every ID of the old one at once (privilege change). The absolute
	 * deadline and `authenticatedAt` are kept: a promotion is not a login (ASVS 7.3.2); see `markAuthenticated()`.
	 */
	regenerate(): void {
		const state = this[STATE];
		state.regenerate = true;
		// Retire CSRF tokens handed out before the change, and any device binding (DBSC).
		if (state.meta.csrfSecret !== undefined || state.meta.dbsc !== undefined) {
			const { csrfSecret: _retired, dbsc: _unbound, ...rest } = state.meta;
			state.meta = rest;
			state.metaDirty = true;
		}
	}

	/**
	 * The user just proved who they are (login, password re-entry): a new ID as `regenerate()`, and the
	 * absolute lifetime and `authenticatedAt` restart. Assigning the identity field does this itself.
	 */
	markAuthenticated(): void {
		this.regenerate();
		const state = this[STATE];
		state.authenticate = true;
		state.meta = { ...state.meta, authenticatedAt: this.#runtime.now() };
		state.metaDirty = true;
	}

	/** Logs out: commit deletes the session from the store and clears the cookie. */
	destroy(): void {
		this[STATE].destroyed = true;
	}

	/** A plain snapshot of the data, for logging or rendering. */
	toJSON(): D {
		const out = { ...this[STATE].data };
		for (const k in out) deepFreeze(out[k]);
		return out as D;
	}

	/** Reads one field; values are frozen, so changes must go through assignment. */
	protected read<K extends keyof D & string>(key: K): D[K] {
		const value = this[STATE].data[key];
		// Decoded containers are frozen on first read rather than at decode: most requests read few fields,
		// and JSC moves a frozen array off its fast storage.
		if (typeof value === "object" && value !== null) deepFreeze(value);
		return value as D[K];
	}

	/**
	 * Changes a field from its current value. If a concurrent request changed the same field first,
	 * commit re-applies `fn` to that request's value instead of overwriting it, so no increment or
	 * append is lost. `fn` must be pure: it may run again.
	 */
	update<K extends keyof D & string>(key: K, fn: (current: D[K]) => D[K]): D[K] {
		const next = fn(this.read(key));
		this.write(key, next);
		const state = this[STATE];
		state.updaters ??= new Map();
		const list = state.updaters.get(key) ?? [];
		list.push(fn as (value: never) => unknown);
		state.updaters.set(key, list);
		return next;
	}

	/** Validates and assigns one field; a `rotate` field that changes makes commit regenerate the ID. */
	protected write<K extends keyof D & string>(key: K, value: D[K]): void {
		const state = this[STATE];
		if (state.destroyed) throw new InvalidDataError(`data.${key}`, "the session was destroyed in this request");
		const field = this.#runtime.setters.get(key);
		if (field === undefined) throw new InvalidDataError(`data.${key}`, "is not a field of the schema");
		if (field.normalize !== undefined && value !== undefined) value = field.normalize(value) as D[K];
		const problem = value !== undefined ? field.check(value) : field.optional ? null : "is required";
		if (problem !== null) throw new InvalidDataError(`data.${key}`, problem);
		// A plain assignment replaces whatever update() recorded: the app meant this exact value.
		state.updaters?.delete(key);
		const previous = state.data[key];
		if (Object.is(previous, value)) return;
		if (state.data === state.base) state.data = { ...state.base };
		if (value === undefined) delete state.data[key];
		else state.data[key] = deepFreeze(value);
		markDirty(state, key);
		if (field.identity) this.#identityChanged(key, previous, value);
		else if (field.rotate) this.regenerate();
	}

	/**
	 * From nobody to a user is a login: the visitor's data stays (the guest cart). From one user to another,
	 * or back to nobody, nothing of the previous user carries over but the fields marked `keepOnUserSwitch`.
	 */
	#identityChanged(key: string, previous: unknown, next: unknown): void {
		const runtime = this.#runtime;
		const state = this[STATE];
		const initial = runtime.initial();
		const nobody = (value: unknown): boolean => value === undefined || value === null || Object.is(value, initial[key]);
		if (!nobody(previous)) {
			for (const field of runtime.keepOnUserSwitch) {
				if (state.data[field] === undefined) delete initial[field];
				else initial[field] = state.data[field];
			}
			if (next === undefined) delete initial[key];
			else initial[key] = state.data[key];
			for (const field of Object.keys(state.data)) markDirty(state, field);
			for (const field of Object.keys(initial)) markDirty(state, field);
			state.data = initial;
			state.updaters = null;
			state.flash = {};
			state.flashDirty = true;
			state.meta = {};
			state.metaDirty = true;
		}
		if (nobody(next)) this.regenerate();
		else this.markAuthenticated();
	}
}
