package identity

import (
	"strings"
	"time"

	"hearth/internal/randid"
)

// TokenID is the public identifier of an API token.
type TokenID string

// Valid reports whether id has the shape of the identifier of an API token ("t_"
// and 26 base32 characters). One that does not names nothing, and is not
// looked up.
func (id TokenID) Valid() bool { return randid.Valid("t", string(id)) }

// Scope is a permission an API token carries.
type Scope string

// Scopes an API token can carry.
const (
	ScopeAccountRead  Scope = "account:read"  // read one's account and sessions
	ScopeAccountWrite Scope = "account:write" // revoke sessions and tokens
	ScopeGrants       Scope = "grants"        // staff and admins: request, decide and use access grants
)

// Scopes lists every scope.
var Scopes = []Scope{ScopeAccountRead, ScopeAccountWrite, ScopeGrants}

// Valid reports whether s is a known scope.
func (s Scope) Valid() bool {
	for _, k := range Scopes {
		if s == k {
			return true
		}
	}
	return false
}

// APIToken lets a script act as its owner within its scopes, through
// "Authorization: Bearer <token>". Only the token's SHA-256 is stored.
type APIToken struct {
	ID         TokenID
	UserID     UserID
	Name       string
	Scopes     []Scope
	Hash       []byte
	CreatedAt  time.Time
	LastUsedAt time.Time // zero until first use
}

// Has reports whether the token carries scope s.
func (t *APIToken) Has(s Scope) bool {
	for _, k := range t.Scopes {
		if k == s {
			return true
		}
	}
	return false
}

// ScopeList renders scopes as a space-separated string, the stored form.
func ScopeList(scopes []Scope) string {
	parts := make([]string, len(scopes))
	for i, s := range scopes {
		parts[i] = string(s)
	}
	return strings.Join(parts, " ")
}

// ParseScopeList is the inverse of ScopeList.
func ParseScopeList(s string) []Scope {
	var out []Scope
	for _, f := range strings.Fields(s) {
		out = append(out, Scope(f))
	}
	return out
}
