-- 0001: organizations, domains, operators, tokens, audit chain, imports.
-- Corporate numbers are stored as integers: the first digit is the check
-- digit, 1..9, so the 13 digits never lose a leading zero, and SQLite keeps
-- the table ordered by number (INTEGER PRIMARY KEY is the rowid).

CREATE TABLE orgs (
	number		INTEGER PRIMARY KEY,
	name		TEXT NOT NULL,
	name_en		TEXT,
	kana		TEXT,
	address		TEXT,
	address_en	TEXT,
	postal_code	TEXT,
	url		TEXT,
	founded		TEXT,
	phone		TEXT,
	description	TEXT,
	kind		TEXT,
	-- Written with OR, not IN: SQLite builds a temporary b-tree for
	-- IN on every insert, which costs the bulk import 15%.
	status		TEXT NOT NULL CHECK (status = 'listed' OR
			    status = 'applied' OR status = 'verified' OR
			    status = 'suspended' OR status = 'withdrawn'),
	status_reason	TEXT,
	status_by	TEXT,
	status_at	TEXT,
	verified_since	TEXT,
	hidden		INTEGER NOT NULL DEFAULT 0,
	nta_process	TEXT,
	nta_updated	TEXT,
	nta_closed	TEXT,
	nta_close_cause	TEXT,
	nta_successor	INTEGER,
	nta_assigned	TEXT,
	created_at	TEXT NOT NULL,
	updated_at	TEXT NOT NULL
);
CREATE INDEX orgs_status ON orgs (status) WHERE status <> 'listed';

CREATE TABLE org_events (
	id		INTEGER PRIMARY KEY,
	org_number	INTEGER NOT NULL REFERENCES orgs (number),
	at		TEXT NOT NULL,
	actor		TEXT NOT NULL,
	from_status	TEXT,
	to_status	TEXT NOT NULL,
	reason		TEXT NOT NULL
);
CREATE INDEX org_events_org ON org_events (org_number);

CREATE TABLE domains (
	id		INTEGER PRIMARY KEY,
	org_number	INTEGER NOT NULL REFERENCES orgs (number),
	name		TEXT NOT NULL,
	web		INTEGER NOT NULL DEFAULT 0,
	mail		INTEGER NOT NULL DEFAULT 0,
	token		TEXT NOT NULL,
	token_expires	TEXT NOT NULL,
	created_at	TEXT NOT NULL,
	verified_at	TEXT,
	method		TEXT,
	evidence	TEXT,
	verified_by	TEXT,
	released_at	TEXT,
	checked_at	TEXT,
	check_result	TEXT,
	UNIQUE (org_number, name)
);
-- RFC-free rule of the registry: a domain belongs to at most one
-- organization at a time once its control is proven.
CREATE UNIQUE INDEX domains_one_owner ON domains (name)
    WHERE verified_at IS NOT NULL AND released_at IS NULL;
CREATE INDEX domains_name ON domains (name);

CREATE TABLE users (
	id		INTEGER PRIMARY KEY,
	name		TEXT NOT NULL UNIQUE,
	role		TEXT NOT NULL CHECK (role IN ('admin', 'ra')),
	org_number	INTEGER REFERENCES orgs (number),
	pw_hash		TEXT,
	created_at	TEXT NOT NULL,
	disabled_at	TEXT
);

CREATE TABLE tokens (
	id		INTEGER PRIMARY KEY,
	user_id		INTEGER NOT NULL REFERENCES users (id),
	hash		TEXT NOT NULL UNIQUE,
	label		TEXT,
	created_at	TEXT NOT NULL,
	expires_at	TEXT,
	revoked_at	TEXT
);

CREATE TABLE audit (
	seq		INTEGER PRIMARY KEY,
	at		TEXT NOT NULL,
	actor		TEXT NOT NULL,
	action		TEXT NOT NULL,
	object		TEXT NOT NULL,
	detail		TEXT NOT NULL,
	prev		TEXT NOT NULL,
	hash		TEXT NOT NULL
);
CREATE TABLE audit_head (
	id		INTEGER PRIMARY KEY CHECK (id = 1),
	seq		INTEGER NOT NULL,
	hash		TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0,
    '0000000000000000000000000000000000000000000000000000000000000000');
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
	SELECT RAISE(ABORT, 'audit log is append-only');
END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
	SELECT RAISE(ABORT, 'audit log is append-only');
END;

CREATE TABLE imports (
	id		INTEGER PRIMARY KEY,
	file_key	TEXT NOT NULL,
	path		TEXT NOT NULL,
	size		INTEGER NOT NULL,
	pos		INTEGER NOT NULL DEFAULT 0,
	line		INTEGER NOT NULL DEFAULT 0,
	accepted	INTEGER NOT NULL DEFAULT 0,
	rejected	INTEGER NOT NULL DEFAULT 0,
	started_at	TEXT NOT NULL,
	updated_at	TEXT NOT NULL,
	finished_at	TEXT
);
CREATE INDEX imports_key ON imports (file_key);

CREATE TABLE import_rejects (
	import_id	INTEGER NOT NULL REFERENCES imports (id),
	line		INTEGER NOT NULL,
	reason		TEXT NOT NULL,
	PRIMARY KEY (import_id, line)
);

-- Every record of the National Tax Agency's files, in the order applied:
-- the history behind each organization's current (latest = 1) data.
CREATE TABLE nta_records (
	number		INTEGER NOT NULL,
	seq		INTEGER NOT NULL,
	process		TEXT NOT NULL,
	correct		INTEGER NOT NULL,
	update_date	TEXT NOT NULL,
	change_date	TEXT,
	name		TEXT NOT NULL,
	latest		INTEGER NOT NULL,
	import_id	INTEGER NOT NULL
);
CREATE INDEX nta_records_number ON nta_records (number);
