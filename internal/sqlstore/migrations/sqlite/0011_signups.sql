-- Sign-ups waiting for their e-mail address to be confirmed. No account
-- exists until the link in the confirmation e-mail is followed; only the
-- link's SHA-256 is kept. One address may have several (someone else may
-- have typed it), and an address with an account has none.
CREATE TABLE signups (
    token_hash    BLOB    NOT NULL PRIMARY KEY,
    email         TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX signups_expires ON signups (expires_at);
