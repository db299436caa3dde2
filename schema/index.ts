// The `sess/schema` entry point: what a schema file (`schema/session.ts`) and `sess.config.ts` import.
// Kept apart from `sess` because it loads Zod; the runtime entry loads neither Zod nor drizzle.
export { defineSession, RESERVED_FIELD_NAMES } from "./define.ts";
export { parseDuration } from "./duration.ts";

export type { SessionDefinitionInput } from "./define.ts";
export type { Duration } from "./duration.ts";
export type { FieldMeta } from "./meta.ts";
export type { SessionModel } from "./model.ts";
export type { SessConfig } from "./config.ts";
