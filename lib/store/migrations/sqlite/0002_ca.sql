-- 0002: certificate authorities, requests, certificates, CRLs.
-- Serials are lower-case hex of the certificate's serialNumber; DER and
-- PEM are stored as text (PEM, base64) so both stores treat them alike.

CREATE TABLE cas (
	id		INTEGER PRIMARY KEY,
	name		TEXT NOT NULL UNIQUE,
	parent_id	INTEGER REFERENCES cas (id),
	profile		TEXT NOT NULL,
	key_uri		TEXT NOT NULL,
	cert_pem	TEXT NOT NULL,
	subject		TEXT NOT NULL,
	serial		TEXT NOT NULL,
	not_before	TEXT NOT NULL,
	not_after	TEXT NOT NULL,
	issued		INTEGER NOT NULL DEFAULT 0,
	crl_number	INTEGER NOT NULL DEFAULT 0,
	shard_size	INTEGER NOT NULL,
	created_at	TEXT NOT NULL
);

CREATE TABLE cert_requests (
	id		INTEGER PRIMARY KEY,
	org_number	INTEGER NOT NULL REFERENCES orgs (number),
	profile		TEXT NOT NULL,
	ca_id		INTEGER NOT NULL REFERENCES cas (id),
	status		TEXT NOT NULL CHECK (status = 'pending' OR
			    status = 'rejected' OR status = 'issued'),
	csr_pem		TEXT,
	keygen		TEXT,
	given_name	TEXT,
	surname		TEXT,
	emails		TEXT,
	dns_names	TEXT,
	days		INTEGER NOT NULL,
	renewal_of	TEXT,
	revocation_hash	TEXT NOT NULL,
	requested_by	TEXT NOT NULL,
	created_at	TEXT NOT NULL,
	decided_by	TEXT,
	decided_at	TEXT,
	decision	TEXT,
	identity_who	TEXT,
	identity_how	TEXT,
	identity_ref	TEXT,
	serial		TEXT,
	p12		TEXT
);
CREATE INDEX cert_requests_status ON cert_requests (status);

CREATE TABLE certs (
	serial		TEXT PRIMARY KEY,
	ca_id		INTEGER NOT NULL REFERENCES cas (id),
	request_id	INTEGER REFERENCES cert_requests (id),
	org_number	INTEGER REFERENCES orgs (number),
	profile		TEXT NOT NULL,
	subject		TEXT NOT NULL,
	emails		TEXT,
	dns_names	TEXT,
	not_before	TEXT NOT NULL,
	not_after	TEXT NOT NULL,
	status		TEXT NOT NULL CHECK (status = 'valid' OR
			    status = 'hold' OR status = 'revoked'),
	revoked_at	TEXT,
	reason		TEXT,
	revoked_by	TEXT,
	shard		INTEGER NOT NULL,
	spki_sha256	TEXT NOT NULL,
	cert_pem	TEXT NOT NULL,
	created_at	TEXT NOT NULL
);
CREATE INDEX certs_revoked ON certs (ca_id, shard) WHERE status <> 'valid';
CREATE INDEX certs_org ON certs (org_number);
-- Keys reported compromised are never certified again (S/MIME BR 6.1.1.3).
CREATE INDEX certs_spki ON certs (spki_sha256);

CREATE TABLE crls (
	ca_id		INTEGER NOT NULL REFERENCES cas (id),
	shard		INTEGER NOT NULL,
	number		INTEGER NOT NULL,
	this_update	TEXT NOT NULL,
	next_update	TEXT NOT NULL,
	entries		INTEGER NOT NULL,
	der		TEXT NOT NULL,
	PRIMARY KEY (ca_id, shard)
);
