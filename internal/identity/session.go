package identity

import (
	"time"

	"hearth/internal/randid"
)

// SessionID is the public identifier of a session, shown in the session list
// and used to revoke it. It is not the secret token.
type SessionID string

// Valid reports whether id has the shape of the identifier of a session ("s_"
// and 26 base32 characters). One that does not names nothing, and is not
// looked up.
func (id SessionID) Valid() bool { return randid.Valid("s", string(id)) }

// SessionStage says how far a sign-in has got.
type SessionStage string

// Session stages. Only a full session may do anything beyond finishing sign-in.
const (
	StageEnroll       SessionStage = "enroll"        // signed up, authenticator not yet confirmed
	StageSecondFactor SessionStage = "second_factor" // password accepted, code not yet given
	StageFull         SessionStage = "full"          // signed in
)

// Session is a browser sign-in. The token itself is never stored: only its
// SHA-256, so a leaked database cannot be replayed as cookies.
type Session struct {
	ID         SessionID
	TokenHash  []byte
	UserID     UserID
	Stage      SessionStage
	CreatedAt  time.Time
	LastSeenAt time.Time
	// ExpiresAt is the absolute end of the session, however active it is.
	ExpiresAt  time.Time
	UserAgent  string
	ClientAddr string
}

// Session lifetimes.
const (
	SessionIdleTimeout     = 30 * time.Minute
	SessionAbsoluteTimeout = 12 * time.Hour
	// PartialSessionTimeout bounds how long a half-finished sign-in stays usable.
	PartialSessionTimeout = 15 * time.Minute
)
