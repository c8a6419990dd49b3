-- 0004: pre-signed OCSP responses, one per certificate (a SHA-1 CertID,
-- no nonce: what RFC 5019 clients and HTTP caches ask for).  DER as
-- base64.  Dropped when the certificate's status changes; re-signed once
-- refresh_at has passed (half of its validity).
CREATE TABLE ocsp_responses (
	serial		TEXT PRIMARY KEY,
	ca_id		BIGINT NOT NULL,
	der		TEXT NOT NULL,
	this_update	TEXT NOT NULL,
	next_update	TEXT NOT NULL,
	refresh_at	TEXT NOT NULL
);
CREATE INDEX ocsp_responses_refresh ON ocsp_responses (refresh_at);
