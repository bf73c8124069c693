package client

import (
	"context"
	"net/http"
	"strings"
	"time"
)

// Identifiers of the API's objects. Each is the id the server gave, with
// its prefix (u_…, s_…, t_…).
type (
	// UserID names an account.
	UserID string
	// SessionID names a browser session.
	SessionID string
	// TokenID names an API token (not the token itself).
	TokenID string
	// GrantID names a staff member's access grant.
	GrantID string
)

// Scope is what an API token may do.
type Scope string

// The scopes of API tokens.
const (
	ScopeAccountRead  Scope = "account:read"  // read the account, households, clips, requests
	ScopeAccountWrite Scope = "account:write" // change them
	ScopeGrants       Scope = "grants"        // staff and admins: access grants
)

// User is the account a token acts for.
type User struct {
	ID        UserID    `json:"id"`
	Email     string    `json:"email"`
	Role      string    `json:"role"` // resident, agency_officer, reviewer, staff, admin
	TwoFactor bool      `json:"two_factor"`
	CreatedAt time.Time `json:"created_at"`
}

// Me returns the account the client acts for (scope account:read).
func (c *Client) Me(ctx context.Context) (*User, error) {
	var u User
	if err := c.get(ctx, "/api/v1/me", nil, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// Session is one of the account's browser sessions.
type Session struct {
	ID         SessionID `json:"id"`
	Current    bool      `json:"current"` // the session making the request; never, with a token
	Stage      string    `json:"stage"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	UserAgent  string    `json:"user_agent"`
	ClientAddr string    `json:"client_addr"`
}

// Sessions lists the account's sessions, newest first (account:read).
func (c *Client) Sessions(ctx context.Context) ([]Session, error) {
	var out struct {
		Sessions []Session `json:"sessions"`
	}
	err := c.get(ctx, "/api/v1/sessions", nil, &out)
	return out.Sessions, err
}

// RevokeSession signs a session out (account:write). NotFound if the
// account has no session with that id.
func (c *Client) RevokeSession(ctx context.Context, id SessionID) error {
	return c.write(ctx, http.MethodDelete, apiPath("/api/v1/sessions/", string(id)), nil, nil)
}

// Token is one of the account's API tokens; the secret itself is shown only
// when a browser session makes the token.
type Token struct {
	ID         TokenID    `json:"id"`
	Name       string     `json:"name"`
	Scopes     []Scope    `json:"scopes"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"` // nil: never used
}

// Tokens lists the account's API tokens (account:read).
func (c *Client) Tokens(ctx context.Context) ([]Token, error) {
	var out struct {
		Tokens []Token `json:"tokens"`
	}
	err := c.get(ctx, "/api/v1/tokens", nil, &out)
	return out.Tokens, err
}

// RevokeToken revokes an API token (account:write); revoking the client's
// own token ends its use. NotFound if the account has no such token.
func (c *Client) RevokeToken(ctx context.Context, id TokenID) error {
	return c.write(ctx, http.MethodDelete, apiPath("/api/v1/tokens/", string(id)), nil, nil)
}

// AccessHistory is every read of the account's data by anyone else, newest
// first, with what is needed to check each against the public log.
type AccessHistory struct {
	Commitment string        `json:"commitment"` // how the log names the account
	Checkpoint string        `json:"checkpoint"` // the signed note the proofs are against
	TreeSize   uint64        `json:"tree_size"`
	Entries    []AccessEntry `json:"entries"`
}

// AccessEntry is one read of the account's data.
type AccessEntry struct {
	Time         time.Time `json:"time"`
	Actor        string    `json:"actor"` // a pseudonym, e.g. S-7KQ2M4XJ9P
	ActorRole    string    `json:"actor_role"`
	Object       string    `json:"object"`
	Purpose      string    `json:"purpose"`
	LegalBasis   string    `json:"legal_basis"`
	Grant        GrantID   `json:"grant,omitempty"`
	LogIndex     uint64    `json:"log_index"`
	NamesYou     bool      `json:"names_you"`
	InCheckpoint bool      `json:"in_checkpoint"`
	Entry        []byte    `json:"entry"` // the canonical log entry
	Proof        [][]byte  `json:"proof"` // RFC 9162 inclusion proof, leaf to root
}

// AccessHistory returns who accessed the account's data (account:read).
func (c *Client) AccessHistory(ctx context.Context) (*AccessHistory, error) {
	var h AccessHistory
	if err := c.get(ctx, "/api/v1/access", nil, &h); err != nil {
		return nil, err
	}
	return &h, nil
}

// Grant is a staff member's request to read one person's account metadata.
type Grant struct {
	ID          GrantID    `json:"id"`
	Staff       string     `json:"staff"` // the staff member's pseudonym
	Subject     UserID     `json:"subject"`
	Object      string     `json:"object"`
	Reason      string     `json:"reason"`
	Hours       float64    `json:"hours"`
	Status      string     `json:"status"` // pending, approved, denied, expired
	RequestedAt time.Time  `json:"requested_at"`
	ExpiresAt   *time.Time `json:"expires_at,omitempty"`
}

// GrantRequest is what a staff member asks for.
type GrantRequest struct {
	Email  string  `json:"email"`  // the person's account
	Reason string  `json:"reason"` // 10 to 1000 characters, shown to the person
	Hours  float64 `json:"hours"`  // 0.25 to 72, counted from approval
}

// Grants lists a staff member's own grants, or every grant for an admin
// (scope grants).
func (c *Client) Grants(ctx context.Context) ([]Grant, error) {
	var out struct {
		Grants []Grant `json:"grants"`
	}
	err := c.get(ctx, "/api/v1/grants", nil, &out)
	return out.Grants, err
}

// RequestGrant asks for a grant (staff, scope grants). Invalid for a
// reason or duration out of bounds, NotFound for an unknown e-mail.
func (c *Client) RequestGrant(ctx context.Context, g GrantRequest) (*Grant, error) {
	var out Grant
	if err := c.write(ctx, http.MethodPost, "/api/v1/grants", g, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ApproveGrant approves a grant (an admin who is not its requester).
// Conflict if it was decided already.
func (c *Client) ApproveGrant(ctx context.Context, id GrantID) (*Grant, error) {
	return c.decideGrant(ctx, id, "/approve")
}

// DenyGrant denies a grant, as ApproveGrant approves one.
func (c *Client) DenyGrant(ctx context.Context, id GrantID) (*Grant, error) {
	return c.decideGrant(ctx, id, "/deny")
}

func (c *Client) decideGrant(ctx context.Context, id GrantID, decision string) (*Grant, error) {
	var out Grant
	if err := c.write(ctx, http.MethodPost, apiPath("/api/v1/grants/", string(id), decision), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// AccountMetadata is what an approved grant lets a staff member read.
type AccountMetadata struct {
	ID                UserID    `json:"id"`
	Email             string    `json:"email"`
	Role              string    `json:"role"`
	Status            string    `json:"status"`
	TwoFactor         bool      `json:"two_factor"`
	CreatedAt         time.Time `json:"created_at"`
	PasswordChangedAt time.Time `json:"password_changed_at"`
	Sessions          int       `json:"sessions"`
	APITokens         int       `json:"api_tokens"`
}

// GrantAccount reads the account metadata a grant covers (the staff member
// holding it, approved and unexpired). The read is in the transparency log
// before the answer; Forbidden before approval or after expiry,
// Unavailable when the log cannot be written.
func (c *Client) GrantAccount(ctx context.Context, id GrantID) (*AccountMetadata, error) {
	var out AccountMetadata
	if err := c.get(ctx, apiPath("/api/v1/grants/", string(id), "/account"), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Health is the server's answer to GET /healthz.
type Health struct {
	Status  string `json:"status"` // "ok"
	Version string `json:"version"`
	Store   string `json:"store"` // sqlite or postgres
}

// LogKey returns the note verifier key that the transparency log served at
// logURL publishes (Hearth's own is at <server>/log/), read from its "key"
// resource. Taken from the server, it is trust on first use: keep it and
// pin it afterwards. The answer may be at most 4 KiB.
func LogKey(ctx context.Context, logURL string, opts ...Option) (string, error) {
	c, err := New(logURL, append([]Option{WithMaxResponseBytes(4 << 10)}, opts...)...)
	if err != nil {
		return "", err
	}
	var b []byte
	if err := c.get(ctx, "/key", nil, &b); err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// Health asks whether the server and its database answer; it needs no
// authentication. Unavailable when the database does not answer.
func (c *Client) Health(ctx context.Context) (*Health, error) {
	var h Health
	if err := c.get(ctx, "/healthz", nil, &h); err != nil {
		return nil, err
	}
	return &h, nil
}
