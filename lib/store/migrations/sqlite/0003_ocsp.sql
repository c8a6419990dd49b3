-- 0003: delegated OCSP responders (RFC 6960 section 4.2.2.2), one or more
-- per CA over time; the newest answers.
CREATE TABLE ocsp_signers (
	id		INTEGER PRIMARY KEY,
	ca_id		INTEGER NOT NULL REFERENCES cas (id),
	key_uri		TEXT NOT NULL,
	cert_pem	TEXT NOT NULL,
	serial		TEXT NOT NULL UNIQUE,
	not_before	TEXT NOT NULL,
	not_after	TEXT NOT NULL,
	created_at	TEXT NOT NULL
);
CREATE INDEX ocsp_signers_ca ON ocsp_signers (ca_id, id);
