package access

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"time"

	"hearth/internal/identity"
	"hearth/internal/translog"
)

// Subject names whose data is read: "user:<id>" now, "household:<id>" later.
type Subject string

// UserSubject is the subject for an account's own data.
func UserSubject(id identity.UserID) Subject { return Subject("user:" + string(id)) }

// ObjectKind is the kind of data read.
type ObjectKind string

// Kinds of data reads go through the gate for.
const (
	ObjectAccountMetadata ObjectKind = "account.metadata"
	// A clip's ciphertext, opened by an agency the owner submitted it to.
	ObjectClip ObjectKind = "media.clip"
	// An account's e-mail address, read by staff.
	ObjectEmailAddress ObjectKind = "account.email"
	// The e-mail Hearth wrote to a person (address, subject and text), read
	// by an administrator in the outbox.
	ObjectMail ObjectKind = "notice.mail"
)

// Purpose is why data is read.
type Purpose string

// Purposes.
const (
	PurposeSupport              Purpose = "support"
	PurposeRequestForAssistance Purpose = "request_for_assistance"
	PurposeLegalDemand          Purpose = "legal_demand"  // handling a legal demand about the person
	PurposeMailDelivery         Purpose = "mail_delivery" // seeing that e-mail reaches people
)

// LegalBasis is what allows the read.
type LegalBasis string

// Legal bases.
const (
	BasisAccessGrant LegalBasis = "access_grant"
	BasisConsent     LegalBasis = "consent" // the owner chose to share
	// The operator must answer a legal demand it received.
	BasisLegalObligation LegalBasis = "legal_obligation"
	// Running the service the person signed up for: delivering its e-mail.
	BasisServiceOperation LegalBasis = "service_operation"
)

// Log entry types this package writes; docs/log.md describes their bodies.
const (
	EntryRead           translog.EntryType = "access.read"
	EntryGrantRequested translog.EntryType = "access.grant.requested"
	EntryGrantApproved  translog.EntryType = "access.grant.approved"
	EntryGrantDenied    translog.EntryType = "access.grant.denied"
)

// Actor is who reads.
type Actor struct {
	ID   identity.UserID
	Role identity.Role
}

// Log is what the package needs of the transparency log.
type Log interface {
	// Append durably adds the entry and returns its index.
	Append(ctx context.Context, e translog.Entry) (uint64, error)
	// Checkpoint returns the latest published, verified checkpoint.
	Checkpoint(ctx context.Context) (translog.Checkpoint, error)
	// ReadEntry returns the canonical bytes of an entry.
	ReadEntry(ctx context.Context, index uint64) ([]byte, error)
	// InclusionProofs proves entries in the tree of the given size;
	// proofs[i] proves indices[i].
	InclusionProofs(ctx context.Context, indices []uint64, size uint64) ([][][]byte, error)
}

// Pseudonyms turns identities into what the public log may show: subjects as
// keyed commitments nobody without the key can link to a person, actors as
// stable pseudonymous ids.
type Pseudonyms struct {
	subjectKey []byte
	actorKey   []byte
}

// NewPseudonyms returns Pseudonyms keyed by two secret keys of at least 32 bytes.
func NewPseudonyms(subjectKey, actorKey []byte) *Pseudonyms {
	return &Pseudonyms{subjectKey: subjectKey, actorKey: actorKey}
}

// Commitment returns the hex HMAC-SHA256 of the subject under the server key.
func (p *Pseudonyms) Commitment(s Subject) string {
	m := hmac.New(sha256.New, p.subjectKey)
	m.Write([]byte("subject:" + string(s)))
	return hex.EncodeToString(m.Sum(nil))
}

var pseudonymEncoding = base32.NewEncoding("0123456789ABCDEFGHJKMNPQRSTVWXYZ").WithPadding(base32.NoPadding)

// Actor returns a stable pseudonymous id for an actor, prefixed by the first
// letter of the role's public name: S-… for staff, A-… admins, R-… reviewers,
// G-… agency officers, U-… anyone else.
func (p *Pseudonyms) Actor(a Actor) string {
	m := hmac.New(sha256.New, p.actorKey)
	m.Write([]byte("actor:" + string(a.ID)))
	return rolePrefix(a.Role) + "-" + pseudonymEncoding.EncodeToString(m.Sum(nil))[:10]
}

func rolePrefix(r identity.Role) string {
	switch r {
	case identity.RoleStaff:
		return "S"
	case identity.RoleAdmin:
		return "A"
	case identity.RoleReviewer:
		return "R"
	case identity.RoleAgencyOfficer:
		return "G"
	}
	return "U" // any other account; never the first letter, which could collide
}

// Event is one gated read, as kept for the subject's "who accessed my data".
type Event struct {
	ID         string
	Subject    Subject
	LogIndex   uint64
	Actor      string // pseudonym
	ActorRole  identity.Role
	Object     ObjectKind
	Purpose    Purpose
	LegalBasis LegalBasis
	Grant      GrantID
	Time       time.Time
}
