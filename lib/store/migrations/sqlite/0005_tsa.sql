-- 0005: the time-stamp authority (RFC 3161).  A unit is a signing key in
-- the token and its certificate (profile tsa, also in certs, so that it
-- can be revoked and shows in CRLs and OCSP); the newest valid one signs.
CREATE TABLE tsa_units (
	id		INTEGER PRIMARY KEY,
	serial		TEXT NOT NULL UNIQUE REFERENCES certs (serial),
	key_uri		TEXT NOT NULL,
	cert_pem	TEXT NOT NULL,
	created_at	TEXT NOT NULL
);
-- Token serial numbers: each process reserves a block [next - n, next)
-- durably before it hands any out, so a serial is never given twice,
-- across restarts and crashes; a block not used up leaves a gap.
CREATE TABLE tsa_state (
	id		INTEGER PRIMARY KEY CHECK (id = 1),
	next_serial	INTEGER NOT NULL
);
INSERT INTO tsa_state (id, next_serial) VALUES (1, 1);
