/*
 * msg.h - the one RFC 5322 message parser every mail layer uses.
 *
 * DKIM, DMARC and the trust mark all read a message through this module,
 * so that no two layers can disagree about which From header a message
 * has or where a header field ends (most real bypasses of mail
 * authentication were two parsers disagreeing about one header).
 *
 * kn_mail_parse() splits a message into header fields and a body, keeping
 * every field's exact bytes (DKIM hashes them) and recording what was
 * wrong with the message as defect flags instead of guessing.  Typed
 * readers (kn_mail_from(), kn_mail_addrs_parse()) turn a field value into
 * addresses; they fail closed: anything that is not exactly one
 * well-formed author mailbox is an error with a reason, never a "best
 * effort" address that a later layer could pass.
 *
 * Line endings: the parser works on a private copy in which every bare LF
 * has become CRLF (mail stored in Unix files has LF endings; DKIM signs
 * the CRLF form).  A bare CR anywhere is a defect.
 */
#ifndef KN_MAIL_MSG_H
#define KN_MAIL_MSG_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"

/* Caps (kn_mail_limits); the defaults are used when a field is 0. */
#define KN_MAIL_MAX_SIZE	(64u << 20)	/* whole message */
#define KN_MAIL_MAX_HDRS	1000		/* header fields */
#define KN_MAIL_MAX_HDR_LEN	(64u << 10)	/* one field, folded */
#define KN_MAIL_MAX_ADDRS	1000		/* addresses in one field */

struct kn_mail_limits {
	size_t	max_size;
	size_t	max_hdrs;
	size_t	max_hdr_len;
};

/* Defects of one header field (kn_mail_hdr.defects). */
enum {
	KN_MAIL_HDR_WSP_NAME	= 1u << 0,  /* WSP between name and colon
					       (RFC 5322 4.5.1 obs-optional) */
	KN_MAIL_HDR_8BIT	= 1u << 1,  /* octet > 127 in the field */
	KN_MAIL_HDR_CTL		= 1u << 2,  /* NUL or other control octet */
	KN_MAIL_HDR_BARE_CR	= 1u << 3,  /* CR not followed by LF */
	KN_MAIL_HDR_EMPTY_LINE	= 1u << 4,  /* folding line of only WSP
					       (obs-FWS) */
};

/* Defects of the whole message (kn_mail_msg.defects). */
enum {
	KN_MAIL_NO_BODY_SEP	= 1u << 0,  /* no empty line: no body */
	KN_MAIL_BAD_LINE	= 1u << 1,  /* header line without a colon
					       (the header section ends
					       there; the rest is body) */
	KN_MAIL_MIXED_EOL	= 1u << 2,  /* both CRLF and bare LF */
	KN_MAIL_HDR_DEFECT	= 1u << 3,  /* some field has a defect */
	KN_MAIL_LEADING_WSP	= 1u << 4,  /* first line starts with WSP */
};

struct kn_mail_hdr {
	struct kn_slice	raw;	/* the field as it stands: name, colon,
				   value with folding, ending CRLF (none
				   when the message ends in the field) */
	struct kn_slice	name;	/* field name as written (no WSP) */
	struct kn_slice	value;	/* after the colon up to the ending CRLF,
				   folding kept */
	unsigned	defects;	/* KN_MAIL_HDR_* */
};

struct kn_mail_msg {
	char			*data;	/* the CRLF copy every slice points
					   into */
	size_t			 len;
	struct kn_mail_hdr	*hdrs;	/* in message order, top first */
	size_t			 nhdrs;
	struct kn_slice		 body;	/* after the empty line (empty when
					   there is none) */
	unsigned		 defects;	/* KN_MAIL_* */
};

/*
 * Parses len bytes of data (need not be NUL-terminated) into *out.
 * lim may be NULL for the defaults.  Returns 0, KN_ERR_TOOBIG when a cap is
 * exceeded (the detail names which), or KN_ERR_NOMEM.  A malformed message
 * is not an error: it parses with defects set.
 */
int	kn_mail_parse(struct kn_mail_msg **out, const char *data, size_t len,
	    const struct kn_mail_limits *lim) KN_WUR;
void	kn_mail_free(struct kn_mail_msg *m);

/* True when the field name equals name, ignoring ASCII case. */
bool	kn_mail_hdr_is(const struct kn_mail_hdr *h, const char *name);
/* How many fields are named name. */
size_t	kn_mail_count(const struct kn_mail_msg *m, const char *name);
/*
 * The idx-th field named name counting from the top (idx 0 is the
 * topmost), or NULL.
 */
const struct kn_mail_hdr *kn_mail_find(const struct kn_mail_msg *m,
	    const char *name, size_t idx);

/*
 * The value of h unfolded (CRLF before WSP removed) with leading and
 * trailing WSP trimmed, NUL-terminated, appended to out.
 */
int	kn_mail_unfold(struct kn_buf *out, const struct kn_mail_hdr *h)
	    KN_WUR;

/*
 * Decodes RFC 2047 encoded words (UTF-8, ISO-2022-JP, Shift_JIS, EUC-JP,
 * ISO-8859-1, us-ascii; B and Q) in unfolded text to UTF-8, appended to
 * out.  Words in unknown charsets or malformed words are kept as written.
 */
int	kn_mail_decode_words(struct kn_buf *out, const char *text, size_t len)
	    KN_WUR;

struct kn_mail_addr {
	char	*display;	/* decoded display name (UTF-8) or NULL */
	char	*local;		/* local part as written, quotes removed */
	char	*domain;	/* domain, lowercased; an IDN as A-label */
	char	*group;		/* name of the group it was listed in, or
				   NULL */
};

struct kn_mail_addrs {
	struct kn_mail_addr	*v;
	size_t			 n;
};

/*
 * Parses an RFC 5322 address-list (mailboxes and groups, comments, quoted
 * strings, obsolete route and list syntax) from an unfolded value.
 * Returns 0, or KN_ERR_INVAL with a detail naming the RFC 5322 section
 * for anything malformed (the whole list is refused, never partly read),
 * or KN_ERR_TOOBIG over KN_MAIL_MAX_ADDRS.
 */
int	kn_mail_addrs_parse(struct kn_mail_addrs *out, const char *value,
	    size_t len) KN_WUR;
void	kn_mail_addrs_cleanup(struct kn_mail_addrs *a);

/*
 * The author (RFC 5322 3.6.2): exactly one From field holding exactly one
 * mailbox with a domain.  Anything else - no From, several From fields, a
 * group, zero or several mailboxes, a field with a NUL or control octet,
 * an address without a domain - is KN_ERR_INVAL with a detail a person
 * can read ("the message has 2 From header fields (RFC 5322 section
 * 3.6)").  On success *out holds one address (out->n == 1).
 */
int	kn_mail_from(struct kn_mail_addrs *out, const struct kn_mail_msg *m)
	    KN_WUR;

#endif
