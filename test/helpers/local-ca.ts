// A throw-away certificate authority for browser tests over HTTPS: openssl makes a CA and a
// certificate for 127.0.0.1 signed by it, and certutil trusts the CA in an NSS database under a
// temporary HOME, so the Chromium started with that HOME trusts the server (and the developer's own
// ~/.pki/nssdb is never touched). Chromium refuses DBSC over plain HTTP and with
// --ignore-certificate-errors, so nothing less will do.
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface LocalCa {
	/** The HOME to start Chromium with: its .pki/nssdb trusts the CA. */
	home: string;
	/** PEM files of the server certificate (for 127.0.0.1) and its key. */
	cert: string;
	key: string;
}

function run(command: string, args: string[], cwd: string): void {
	const result = spawnSync(command, args, { cwd, encoding: "utf8" });
	if (result.error !== undefined || result.status !== 0) {
		throw new Error(`${command} ${args.join(" ")} failed: ${result.error?.message ?? result.stderr}`);
	}
}

/** Whether openssl and certutil are installed (Debian: openssl, libnss3-tools). */
export function localCaAvailable(): boolean {
	return ["openssl", "certutil"].every((tool) => spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0);
}

/** Makes the CA, the server certificate and the trusting NSS database inside `dir`. */
export function makeLocalCa(dir: string): LocalCa {
	mkdirSync(dir, { recursive: true });
	const days = "2";
	run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", days, "-subj", "/CN=sess test CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"], dir);
	run("openssl", ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"], dir);
	writeFileSync(join(dir, "server.ext"), "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n");
	run("openssl", ["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", days, "-extfile", "server.ext"], dir);
	const home = join(dir, "home");
	const nssdb = join(home, ".pki", "nssdb");
	mkdirSync(nssdb, { recursive: true });
	run("certutil", ["-d", `sql:${nssdb}`, "-N", "--empty-password"], dir);
	run("certutil", ["-d", `sql:${nssdb}`, "-A", "-t", "C,,", "-n", "sess test CA", "-i", join(dir, "ca.pem")], dir);
	return { home, cert: join(dir, "server.pem"), key: join(dir, "server.key") };
}
