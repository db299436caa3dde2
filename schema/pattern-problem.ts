/** What a failed format pattern tells the user: the format by name, not its regular expression. */
const LABELS: Record<string, string> = {
	guid: "a GUID",
	uuid: "a UUID",
	email: "an email address",
	emoji: "emoji only",
	nanoid: "a Nano ID",
	cuid: "a CUID",
	cuid2: "a CUID2",
	ulid: "a ULID",
	xid: "an XID",
	ksuid: "a KSUID",
	datetime: "an ISO 8601 date-time",
	date: "an ISO 8601 date (YYYY-MM-DD)",
	time: "an ISO 8601 time",
	duration: "an ISO 8601 duration",
	ipv4: "an IPv4 address",
	mac: "a MAC address",
	cidrv4: "an IPv4 CIDR block",
	e164: "an E.164 phone number",
	lowercase: "lowercase text",
	uppercase: "uppercase text",
	hex: "hexadecimal",
	hostname: "a hostname",
	domain: "a domain name",
};

/** The problem reported when a string fails a pattern: `expected <format>`, or the user's own regex when it was one. */
export function patternProblem(source: string, flags: string, format: string | undefined): string {
	const label = format === undefined ? undefined : LABELS[format];
	return label === undefined ? `does not match ${String(new RegExp(source, flags))}` : `expected ${label}`;
}
