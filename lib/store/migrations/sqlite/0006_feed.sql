-- 0006: the signed feed of verified mail domains (/feed/mail-domains,
-- registry/feed.h).  A signer is a key in the token and its certificate
-- (profile feed-signing, also in certs, so that it can be revoked and
-- shows in CRLs and OCSP); the newest valid one signs.
CREATE TABLE feed_signers (
	id		INTEGER PRIMARY KEY,
	serial		TEXT NOT NULL UNIQUE REFERENCES certs (serial),
	key_uri		TEXT NOT NULL,
	cert_pem	TEXT NOT NULL,
	created_at	TEXT NOT NULL
);
-- The feed every node serves: one row, replaced only by an UPDATE that
-- names the serial it read, so that when several nodes sign a new feed at
-- once one of them wins and the others serve its feed.  digest is the
-- SHA-256 of what the feed says (issuer and domains): a node that finds
-- the registry saying something else signs a new one.
CREATE TABLE mail_feed (
	id		INTEGER PRIMARY KEY CHECK (id = 1),
	serial		INTEGER NOT NULL,
	digest		TEXT NOT NULL,
	signer		TEXT,
	generated	TEXT,
	next_update	TEXT,
	der		TEXT
);
INSERT INTO mail_feed (id, serial, digest) VALUES (1, 0, '');
