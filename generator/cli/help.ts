import { SESS_VERSION } from "../version.ts";

/** Every command's `--help` text; the one message catalogue the CLI prints usage from. */
export const HELP: Record<string, string> = {
	main: `sess ${SESS_VERSION}: typed HTTP sessions from a Zod schema

Usage: sess <command> [options]

Commands:
  init       Write a starter schema/session.ts, sess.config.ts and a .gitignore line
  generate   Write session.ts, sess.lock.json and SQL migrations from the schema
  migrate    Apply pending migrations to a database
  prune      Delete expired sessions, in batches
  doctor     Audit keys, cookie flags and timeouts against NIST/OWASP guidance
  keygen     Print a new random signing key (32 bytes, base64url)

Run \`sess <command> --help\` for a command's options.`,
	generate: `Usage: sess generate [options]

Options:
  --config <file>      Config module (default: sess.config.ts if present)
  --schema <file>      Schema module exporting defineSession(...) (default: schema/session.ts)
  --out <dir>          Folder for session.ts (default: src/generated)
  --dialect <list>     Comma-separated: sqlite,postgres,mysql (default: sqlite)
  --migrations <dir>   Migrations root, one folder per dialect (default: migrations)
  --lock <file>        Lock file (default: sess.lock.json)
  --check              Write nothing; exit 1 and name the files that are stale
  --watch              Regenerate whenever the schema's folder changes
  --js                 Emit session.js + session.d.ts (Node runs it without a TypeScript build step)`,
	init: `Usage: sess init [--force]

Writes schema/session.ts (a starter schema) and sess.config.ts, and adds .sess-dev-key to
.gitignore. Existing files are kept unless --force.`,
	doctor: `Usage: sess doctor [options]

Audits the schema's expiry, rotation and cookie policy and the signing keys against NIST SP 800-63B-4
and the OWASP Session Management Cheat Sheet, and says what to change. Exits 1 on any error.

Options:
  --config <file>      Config module (default: sess.config.ts if present)
  --schema <file>      Schema module (default: schema/session.ts)
  --keys <list>        Keys to audit (default: $SESS_KEYS)`,
	migrate: `Usage: sess migrate --db <sqlite path | postgres://… | mysql://…> [options]

Under Bun the drivers are built in. Under Node it uses node:sqlite (Node 22.13+) or better-sqlite3,
pg, or mysql2, installed in the folder it runs in (or hands over to Bun when it is on the PATH).

Options:
  --db <target>        Database to bring up to date (default: $SESS_DB)
  --config <file>      Config module (default: sess.config.ts if present)
  --migrations <dir>   Migrations root (default: migrations)`,
	prune: `Usage: sess prune --db <sqlite path | postgres://… | mysql://… | redis://…> [options]

Deletes expired sessions in batches of 500, so a million expired rows never hold one long lock.
Safe to run from cron on several machines at once. Under Node, drivers as for migrate (Redis: Bun only).

Options:
  --db <target>        Session store (default: $SESS_DB)
  --config <file>      Config module (default: sess.config.ts if present)
  --schema <file>      Schema module, for the table name and columns (default: schema/session.ts)
  --limit <n>          Stop after this many deletions (default: all)`,
	keygen: `Usage: sess keygen

Prints 32 random bytes, base64url-encoded: a key for SESS_KEYS. Keep the old key after the new
one in the list while sessions signed with it are still alive.`,
};
