// Emits a schema's module into a temporary folder and imports it, as an app would import its
// generated session.ts; the runtime is this repository's source.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createLock, updateLock } from "../../generator/lock.ts";
import { emitSession } from "../../generator/emit-session.ts";
import type { Lock } from "../../schema/lock.ts";
import type { SessionModel } from "../../schema/model.ts";
import type { SessionCodec } from "../../src/codec.ts";

export const RUNTIME = join(import.meta.dir, "..", "..", "src", "index.ts");

type Row = Record<string, unknown>;

/** What the test needs of a generated module. */
export interface Emitted {
	source: string;
	codec: SessionCodec<Row, Row>;
	createSessions: (options: unknown) => unknown;
	Session: new (...args: never[]) => unknown;
}

const folder = mkdtempSync(join(tmpdir(), "sess-emit-"));
let count = 0;
process.on("exit", () => rmSync(folder, { recursive: true, force: true }));

/** Emits and imports the module for a model (lock: updated from `previous`, as `sess generate` does). */
export async function loadEmitted(model: SessionModel, previous: Lock = createLock()): Promise<Emitted & { lock: Lock }> {
	const lock = updateLock(model, previous);
	const source = emitSession({ model, lock, header: "// test\n", runtimeImport: RUNTIME });
	const file = join(folder, `session-${++count}.ts`);
	writeFileSync(file, source);
	const mod = (await import(pathToFileURL(file).href)) as Omit<Emitted, "source">;
	return { ...mod, source, lock };
}
