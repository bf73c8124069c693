package web

import (
	"context"
	"io"
	"time"

	"hearth/internal/access"
	"hearth/internal/device"
	"hearth/internal/feed"
	"hearth/internal/household"
	"hearth/internal/identity"
	"hearth/internal/legal"
	"hearth/internal/neighbors"
	"hearth/internal/notice"
	"hearth/internal/transparency"
	"hearth/internal/vault"
)

// The web depends on what it calls of each service, declared here, and not
// on the services themselves: a handler test wires only what it needs, and
// cmd/hearth passes the real services, which satisfy these unchanged. Each
// method's outcomes are documented on the service that implements it.

// Identity is what the web calls of accounts, sign-in, second factors, sessions and API tokens (*identity.Service).
type Identity interface {
	Authenticate(ctx context.Context, token string) (*identity.Session, *identity.User, error)
	AuthenticateToken(ctx context.Context, token string) (*identity.APIToken, *identity.User, error)
	BeginAuthenticatorChange(ctx context.Context, sess *identity.Session, password string, c identity.ClientInfo) (identity.Enrollment, error)
	ChangePassword(ctx context.Context, sess *identity.Session, current, next string, c identity.ClientInfo) error
	ConfirmAuthenticatorChange(ctx context.Context, sess *identity.Session, code string, c identity.ClientInfo) ([]string, error)
	ConfirmEnrollment(ctx context.Context, sess *identity.Session, code string, c identity.ClientInfo) ([]string, identity.Grant, error)
	ConfirmSignUp(ctx context.Context, token string, c identity.ClientInfo) (*identity.User, identity.Grant, error)
	DisableSecondFactor(ctx context.Context, sess *identity.Session, password string, c identity.ClientInfo) error
	Emails(ctx context.Context, reader identity.Actor, purpose identity.Purpose, ids []identity.UserID) (map[identity.UserID]string, error)
	IssueAPIToken(ctx context.Context, sess *identity.Session, name string, scopes []identity.Scope) (string, *identity.APIToken, error)
	ListAPITokens(ctx context.Context, user identity.UserID) ([]*identity.APIToken, error)
	ListSessions(ctx context.Context, user identity.UserID) ([]*identity.Session, error)
	LogIn(ctx context.Context, email, password string, c identity.ClientInfo) (identity.Grant, error)
	LogOut(ctx context.Context, sess *identity.Session) error
	PendingEnrollment(ctx context.Context, sess *identity.Session) (identity.Enrollment, error)
	RecoveryCodesLeft(ctx context.Context, user identity.UserID) (int, error)
	RegenerateRecoveryCodes(ctx context.Context, sess *identity.Session, password string, c identity.ClientInfo) ([]string, error)
	RevokeAPIToken(ctx context.Context, user identity.UserID, id identity.TokenID) error
	RevokeSession(ctx context.Context, user identity.UserID, id identity.SessionID) error
	SignUp(ctx context.Context, email, password string, c identity.ClientInfo) error
	VerifySecondFactor(ctx context.Context, sess *identity.Session, code string, c identity.ClientInfo) (identity.Grant, error)
}

// Access is what the web calls of access grants and the owner's access history (*access.Service).
type Access interface {
	DecideGrant(ctx context.Context, admin access.Actor, id access.GrantID, approve bool) (*access.Grant, error)
	History(ctx context.Context, user identity.UserID) (access.History, error)
	ListGrants(ctx context.Context, a access.Actor) ([]*access.Grant, error)
	Pseudonym(a access.Actor) string
	ReadAccountMetadata(ctx context.Context, staff access.Actor, id access.GrantID) (identity.Summary, error)
	RequestGrant(ctx context.Context, staff access.Actor, subjectEmail, reason string, d time.Duration) (*access.Grant, error)
	StateOf(g *access.Grant) access.GrantStatus
}

// Notices is what the web calls of in-app notices and the e-mail outbox (*notice.Service).
type Notices interface {
	List(ctx context.Context, user identity.UserID) ([]*notice.Notice, error)
	MarkRead(ctx context.Context, user identity.UserID) error
	Outbox(ctx context.Context, admin identity.Actor) ([]*notice.Mail, error)
}

// Households is what the web calls of households and their members (*household.Service).
type Households interface {
	Create(ctx context.Context, owner identity.UserID, n household.NewHousehold) (*household.Household, error)
	Get(ctx context.Context, user identity.UserID, id household.ID) (*household.Household, error)
	Invite(ctx context.Context, owner identity.UserID, id household.ID) (token string, expires time.Time, err error)
	Join(ctx context.Context, user identity.UserID, token string) (*household.Household, error)
	Leave(ctx context.Context, user identity.UserID, id household.ID) error
	ListForUser(ctx context.Context, user identity.UserID) ([]*household.Household, error)
	Members(ctx context.Context, user identity.UserID, id household.ID) ([]*household.Member, error)
	RemoveMember(ctx context.Context, owner identity.UserID, id household.ID, member identity.UserID) error
	Update(ctx context.Context, user identity.UserID, id household.ID, n household.NewHousehold) (*household.Household, error)
}

// Devices is what the web calls of devices: pairing, listing, events, revocation (*device.Service).
type Devices interface {
	Authenticate(ctx context.Context, id device.ID, secret string) (*device.Device, error)
	Events(ctx context.Context, user identity.UserID, hh household.ID, from, to time.Time, limit int) ([]*device.Event, error)
	Get(ctx context.Context, user identity.UserID, id device.ID) (*device.Device, error)
	List(ctx context.Context, user identity.UserID, hh household.ID) ([]*device.Device, error)
	Pair(ctx context.Context, code string) (*device.Device, string, error)
	Recent(ctx context.Context, user identity.UserID, hh household.ID, d time.Duration, limit int) ([]*device.Event, error)
	Rename(ctx context.Context, user identity.UserID, id device.ID, name string) error
	Revoke(ctx context.Context, user identity.UserID, id device.ID) error
	StartPairing(ctx context.Context, user identity.UserID, hh household.ID, kind device.Kind, name string) (code string, expires time.Time, err error)
}

// Vault is what the web calls of encrypted clips and members' keys (*vault.Service).
type Vault interface {
	AddWrap(ctx context.Context, user identity.UserID, id vault.ClipID, recipient string, header []byte) error
	Delete(ctx context.Context, user identity.UserID, id vault.ClipID) error
	Key(ctx context.Context, user identity.UserID) (string, []byte, error)
	List(ctx context.Context, user identity.UserID, hh household.ID, from, to time.Time, limit int) ([]*vault.Clip, error)
	OpenForMember(ctx context.Context, user identity.UserID, id vault.ClipID) (*vault.Clip, io.ReadCloser, error)
	Put(ctx context.Context, up vault.Upload, r io.Reader, maxBytes int64) (*vault.Clip, bool, error)
	Recipients(ctx context.Context, hh household.ID) ([]string, error)
	SetKey(ctx context.Context, user identity.UserID, recipient string, wrappedIdentity []byte) error
}

// Neighbors is what the web calls of agencies, requests for assistance and submissions (*neighbors.Service).
type Neighbors interface {
	Agencies(ctx context.Context, viewer neighbors.Actor) ([]*neighbors.Agency, error)
	Agency(ctx context.Context, viewer neighbors.Actor, id neighbors.AgencyID) (*neighbors.Agency, error)
	AgencyRequests(ctx context.Context, agency neighbors.AgencyID) ([]*neighbors.Request, error)
	DeliveredRequests(ctx context.Context, user identity.UserID, hh household.ID) ([]*neighbors.Request, error)
	HouseholdSubmissions(ctx context.Context, user identity.UserID, hh household.ID) ([]*neighbors.Submission, error)
	OfficerAgencies(ctx context.Context, officer neighbors.Actor) ([]*neighbors.Agency, error)
	OfficerAgency(ctx context.Context, officer neighbors.Actor, id neighbors.AgencyID) (*neighbors.Agency, error)
	OpenReceived(ctx context.Context, officer neighbors.Actor, id neighbors.SubmissionID, clip vault.ClipID) (io.ReadCloser, error)
	OptedOut(ctx context.Context, user identity.UserID, hh household.ID) (bool, error)
	PostRequest(ctx context.Context, officer neighbors.Actor, agency neighbors.AgencyID, n neighbors.NewRequest) (*neighbors.Request, error)
	PostingAgency(ctx context.Context, officer neighbors.Actor, id neighbors.AgencyID) (*neighbors.Agency, error)
	PublicResponses(ctx context.Context, id neighbors.RequestID) (int, bool, error)
	Reached(ctx context.Context, user identity.UserID, id neighbors.RequestID, hh household.ID) (bool, error)
	Received(ctx context.Context, officer neighbors.Actor, id neighbors.RequestID) ([]*neighbors.Received, error)
	RegisterAgency(ctx context.Context, officer neighbors.Actor, n neighbors.NewAgency) (*neighbors.Agency, error)
	Request(ctx context.Context, id neighbors.RequestID) (*neighbors.Request, error)
	RequestAnswers(ctx context.Context, user identity.UserID, id neighbors.RequestID, hh household.ID) ([]*neighbors.Submission, error)
	ResolveRequest(ctx context.Context, officer neighbors.Actor, id neighbors.RequestID) (*neighbors.Request, error)
	Serves(ctx context.Context, viewer neighbors.Actor, id neighbors.AgencyID) (bool, error)
	SetAgencyRecipient(ctx context.Context, officer neighbors.Actor, id neighbors.AgencyID, recipient string) error
	SetOptOut(ctx context.Context, user identity.UserID, hh household.ID, optOut bool) error
	Submit(ctx context.Context, user identity.UserID, id neighbors.RequestID, n neighbors.NewSubmission) (*neighbors.Submission, error)
	VerifyAgency(ctx context.Context, admin neighbors.Actor, id neighbors.AgencyID) (*neighbors.Agency, error)
	Withdraw(ctx context.Context, user identity.UserID, id neighbors.SubmissionID) (*neighbors.Submission, error)
}

// Feed is what the web calls of the neighbours feed (*feed.Service).
type Feed interface {
	Clip(ctx context.Context, user identity.UserID, id feed.PostID) (*feed.Post, io.ReadCloser, error)
	Delete(ctx context.Context, user identity.UserID, id feed.PostID) error
	Feed(ctx context.Context, user identity.UserID, hh household.ID, radiusMeters float64, cursor string, limit int) (*feed.FeedPage, error)
	Post(ctx context.Context, user identity.UserID, hh household.ID, n feed.NewPost) (*feed.Post, error)
}

// Legal is what the web calls of legal demands (*legal.Service).
type Legal interface {
	AddressReadable(d *legal.Demand) bool
	CheckActor(a legal.Actor) error
	Decide(ctx context.Context, a legal.Actor, id legal.DemandID, dec legal.Decision) (*legal.Demand, error)
	Demand(ctx context.Context, a legal.Actor, id legal.DemandID) (*legal.Demand, error)
	Demands(ctx context.Context, a legal.Actor) ([]*legal.Demand, error)
	Record(ctx context.Context, a legal.Actor, n legal.NewDemand) (*legal.Demand, error)
}

// Report is what the web calls of the transparency report (*transparency.Service).
type Report interface {
	Current() transparency.Period
	Periods(ctx context.Context) ([]transparency.Period, error)
	Report(ctx context.Context, p transparency.Period) (*transparency.Report, error)
}
