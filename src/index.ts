// The `sess` entry point: the runtime that generated code binds to. It loads neither Zod nor drizzle;
// schema files import `defineSession` from `sess/schema`.
export { parseDuration } from "../schema/duration.ts";
export { createCodec, CODEC_FORMAT, MAX_ENCODED_BYTES } from "./codec.ts";
// What the code `sess generate` emits calls: the codec framing and the wire primitives.
export { defineCodec, isPlainObject, LONE_SURROGATE, nestedChanged, packedString, readBigint, readBoolean, readDate, readEnum, skipDamaged, wireMismatch, writeBigint } from "./codec-emitted.ts";
export { Reader, Writer } from "./wire.ts";
export { codePointLength, copyKnown, isObjectLike, isValidBase64, isValidBase64URL, isValidCIDRv6, isValidIPv6, isValidJWT, urlNormalizer, withoutProto } from "../schema/validate.ts";
export { readCookieValues, serializeCookie } from "./cookie.ts";
export { checkOrigin, forbiddenResponse } from "./csrf.ts";
export { SessError, ConfigError, WeakKeyError, SchemaError, InvalidDataError, DecodeError, StoreUnavailableError, WriteConflictError, SessionLimitError, NotMigratedError } from "./errors.ts";
export { Keyring, MIN_KEY_BYTES } from "./keyring.ts";
export { createSessionManager } from "./manager.ts";
export { Session } from "./session.ts";
export { sessionTimeline } from "./timeline.ts";
export { generateSessionToken, hashSessionToken, tokensEqual } from "./token.ts";

export type { Duration } from "../schema/duration.ts";
export type { Lock } from "../schema/lock.ts";
export type { SessionModel, FieldModel, TypeModel, TableModel, ColumnModel, SessionLimitModel } from "../schema/model.ts";
export type { SessionCodec, DecodedSession, FieldChecks } from "./codec.ts";
export type { EmittedCodecParts } from "./codec-emitted.ts";
export type { SessErrorCode } from "./errors.ts";
export type { SessionEvent, EventHook } from "./events.ts";
export type { Dbsc, DbscOptions } from "./dbsc.ts";
export type { DbscAlgorithm } from "./dbsc-headers.ts";
export type { SessionPolicy } from "./expiry.ts";
export type { KeyInput, VerifiedValue } from "./keyring.ts";
export type { RequestLike, SessionManager, SessionManagerOptions, SessionInfo, SessionSchema } from "./manager.ts";
export type { CommitOptions, CommonOptions } from "./manager-shared.ts";
export type { SealedManagerOptions } from "./sealed-manager.ts";
export type { OriginCheckOptions, OriginVerdict } from "./csrf.ts";
export type { SessionMeta } from "./codec-system.ts";
export type { Flash } from "./session.ts";
export type { SessionTimeline } from "./timeline.ts";
export type { Store, StoredSession, ColumnValue, Awaitable, UpdateScope, SessionLimit, AdmitResult } from "./store.ts";
export type { RandomSource } from "./token.ts";
export type { SessConfig } from "../generator/config.ts";
