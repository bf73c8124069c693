package web

import (
	"time"

	"hearth/internal/apperr"
	"hearth/internal/device"
	"hearth/internal/feed"
	"hearth/internal/geo"
	"hearth/internal/household"
	"hearth/internal/identity"
	"hearth/internal/legal"
	"hearth/internal/neighbors"
	"hearth/internal/notice"
	"hearth/internal/transparency"
)

// Every page's data is a struct, one per template, rather than a map: the
// compiler checks what each handler passes, and the template engine refuses
// a field the struct lacks instead of rendering it empty. templates_test.go
// renders every template with a filled value of its struct.

// pageBase is what the layout shows on every page. Each page's struct embeds
// it; render fills CSRF and User.
type pageBase struct {
	Title  string
	Error  string // a person's mistake, shown above the content
	Notice string // a confirmation, shown above the content
	CSRF   string
	User   *identity.User // the signed-in user; nil for anyone else
}

// base gives render the layout's part of any page's data.
func (b *pageBase) base() *pageBase { return b }

// pageData is the data of one page: a pointer to a struct that embeds
// pageBase.
type pageData interface{ base() *pageBase }

// ---- Signing up and in ----

// errorPage is the page of an error a handler returned.
type errorPage struct {
	pageBase
	Message string
	Code    apperr.Code
}

type homePage struct{ pageBase }

type signupPage struct {
	pageBase
	Email string // as typed, to fill the form again
}

// signupConfirmPage carries the e-mailed link's token into the form that uses it.
type signupConfirmPage struct {
	pageBase
	Token string
}

type loginPage struct {
	pageBase
	Email string // as typed, to fill the form again
}

type codePage struct{ pageBase }

type enrollPage struct {
	pageBase
	Enrollment identity.Enrollment
	Email      string
	Action     string // where the code is posted: sign-up or the account's authenticator change
}

type recoveryPage struct {
	pageBase
	Codes []string
}

// ---- Account ----

type accountPage struct {
	pageBase
	Account    *identity.User
	Current    identity.SessionID // this browser's session
	Sessions   []*identity.Session
	Tokens     []*identity.APIToken
	Scopes     []identity.Scope // what a new token may be given
	CodesLeft  int
	CanDisable bool // whether the role may turn two-factor sign-in off
	CanGrant   bool
	Notices    []*notice.Notice
}

type tokenPage struct {
	pageBase
	Token    string // the secret, shown once
	APIToken *identity.APIToken
}

type accessPage struct {
	pageBase
	History       historyView
	Key           string // the log's verifier key
	PublicURL     string
	CheckpointB64 string
}

type grantsPage struct {
	pageBase
	Grants  []apiGrant
	IsStaff bool
	IsAdmin bool
	Me      string // the viewer's pseudonym in the log
}

type grantAccountPage struct {
	pageBase
	Summary identity.Summary
	Grant   string
}

type keyPage struct {
	pageBase
	Recipient     string // "" until the member makes a key
	MinPassphrase int
}

// ---- Households ----

// householdFields is what the household form (partials/household-fields)
// needs: the household when editing one, nil when creating.
type householdFields struct {
	Household  *household.Household
	Retentions []int
}

type householdsPage struct {
	pageBase
	householdFields
	Households []*household.Household
}

type householdPage struct {
	pageBase
	householdFields
	Public        household.Location // the home as others see it
	Members       []memberRow
	IsOwner       bool
	Requests      []*neighbors.Request    // the agencies' requests that reached it
	Submissions   []*neighbors.Submission // what it shared with them
	OptedOut      bool
	InviteLink    string // set just after the owner makes an invitation
	InviteExpires time.Time
}

type joinPage struct {
	pageBase
	Token string
}

type devicesPage struct {
	pageBase
	Household      *household.Household
	Devices        []*device.Device
	Kinds          []device.Kind
	Events         []*device.Event
	DeviceNames    map[device.ID]string
	PairingCode    string // set just after a pairing starts
	PairingExpires time.Time
	Server         string // this server's URL, for the simulator's command line
}

type timelinePage struct {
	pageBase
	Household *household.Household
	Day       time.Time
	DayParam  string
	Prev      string
	Next      string
	IsToday   bool
	Zone      string
	Devices   []*device.Device
	Only      device.ID // the device shown alone; "" for all
	Days      []*deviceDay
	Truncated bool
	HasKey    bool
	Recipient string
	Location  *time.Location
}

// feedPage is the neighbours feed around Household, or else the choice of a
// household (Choose), or else the explanation that the feed needs one.
type feedPage struct {
	pageBase
	Choose      []*household.Household
	Household   *household.Household
	Households  []*household.Household
	Radius      string
	RadiusValue string
	Radii       []radiusOption
	Items       []feedItem
	FromStart   bool
	Newest      string
	Older       string // "" on the last page
	Categories  []categoryOption
	Category    feed.Category // as chosen, to select it again
	Text        string        // as typed, to fill the form again
	MaxText     int
	Clips       []clipOption
	HasKey      bool
	Recipient   string
}

// ---- Agencies and their requests ----

type agenciesPage struct {
	pageBase
	Verified []*neighbors.Agency
	Pending  []*neighbors.Agency // for administrators
	IsAdmin  bool
	Kinds    map[neighbors.AgencyKind]string
}

type agencyPage struct {
	pageBase
	Agency    *neighbors.Agency
	Requests  []*neighbors.Request
	IsAdmin   bool
	IsOfficer bool
	Kinds     map[neighbors.AgencyKind]string
}

type agenciesMinePage struct {
	pageBase
	Agencies  []*neighbors.Agency
	IsOfficer bool
	KindList  []neighbors.AgencyKind
	Kinds     map[neighbors.AgencyKind]string
	Form      agencyForm
}

type agencyKeyPage struct {
	pageBase
	Agency *neighbors.Agency
}

type requestNewPage struct {
	pageBase
	Agency   *neighbors.Agency
	Start    geo.Point // where the map opens
	MapTiles string
	MinArea  float64
	MaxArea  float64
	Form     requestForm
}

// requestPage is a request for assistance, with what the viewer may do with
// it (see addRequestAnswers).
type requestPage struct {
	pageBase
	Request           *neighbors.Request
	Agency            *neighbors.Agency
	AreaJSON          string
	IsOfficer         bool
	MapTiles          string
	Kinds             map[neighbors.AgencyKind]string
	Responses         int
	ResponsesShown    bool
	ResponseThreshold int
	// Set only for a resident the request reached:
	Reached         []reachedView
	Home            *household.Location // the viewer's own home, on the map for them only
	AgencyRecipient string
	MemberRecipient string
}

type receivedPage struct {
	pageBase
	Request  *neighbors.Request
	Received []*neighbors.Received
}

// ---- Legal demands, transparency, mail ----

type legalPage struct {
	pageBase
	Demands   []demandRow
	Limit     int
	Truncated bool
}

type legalNewPage struct {
	pageBase
	Form  legalForm
	Types []legal.Type
}

type legalDemandPage struct {
	pageBase
	Demand     demandRow
	Categories []legal.Category
	Outcomes   []legal.Outcome
}

type transparencyPage struct {
	pageBase
	Report  *transparency.Report
	Periods []transparency.Period
	Share   string // "—" when no demand was decided
}

type outboxPage struct {
	pageBase
	Mail []*notice.Mail
}
