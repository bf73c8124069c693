package web

import (
	"bytes"
	"io/fs"
	"path"
	"strings"
	"testing"
	"time"

	"hearth/internal/access"
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
	"hearth/internal/vault"
)

// templateCase is one page template with a filled value of its data.
// Slices are non-empty, so that range bodies run, and a page whose
// branches show different fields has a case for each.
type templateCase struct {
	page    string // the template, templates/<page>.html
	variant string
	data    pageData
}

// TestTemplatesRender executes every page template, for an anonymous
// visitor and for a signed-in user of each role, with data that reaches its
// fields. Execution is strict (render.go), so a field a template names and
// its page struct lacks fails here rather than rendering empty.
func TestTemplatesRender(t *testing.T) {
	t.Parallel()
	pages, err := parsePages()
	if err != nil {
		t.Fatal(err)
	}
	cases := templateCases()

	files, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	for _, c := range cases {
		covered[c.page] = true
		if pages[c.page] == nil {
			t.Errorf("templateCases has %q, which is no template", c.page)
		}
	}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name != "layout" && !covered[name] {
			t.Errorf("template %s has no case in templateCases: add a filled value of its page data", f)
		}
	}

	viewers := []struct {
		name string
		user *identity.User
	}{
		{"Anonymous", nil},
		{"Resident", testUser(identity.RoleResident)},
		{"Officer", testUser(identity.RoleAgencyOfficer)},
		{"Staff", testUser(identity.RoleStaff)},
		{"Admin", testUser(identity.RoleAdmin)},
	}
	for _, c := range cases {
		for _, v := range viewers {
			name := c.page + "/" + v.name
			if c.variant != "" {
				name = c.page + "/" + c.variant + "/" + v.name
			}
			t.Run(name, func(t *testing.T) {
				tmpl := pages[c.page]
				if tmpl == nil {
					t.Skip("no such template")
				}
				b := c.data.base()
				b.CSRF, b.User = "csrf-token", v.user
				var buf bytes.Buffer
				if err := tmpl.ExecuteTemplate(&buf, "layout", c.data); err != nil {
					t.Fatal(err)
				}
				out := buf.String()
				if !strings.Contains(out, "<h1>"+b.Title+"</h1>") {
					t.Errorf("the page lacks its title %q", b.Title)
				}
				if strings.Contains(out, "<no value>") {
					t.Errorf("the page shows <no value>:\n%s", out)
				}
			})
		}
	}
}

var testTime = time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)

func testUser(role identity.Role) *identity.User {
	return &identity.User{ID: "u1", Email: "ana@example.org", Role: role, TOTPEnabled: true}
}

func testHousehold() *household.Household {
	return &household.Household{ID: "h1", Name: "Rue des Lilas", Address: "3 rue des Lilas",
		Home: household.Location{Lat: 48.8566, Lng: 2.3522}, TimeZone: "Europe/Paris", RetentionDays: 30, CreatedAt: testTime}
}

func testAgency(verified bool, recipient string) *neighbors.Agency {
	a := &neighbors.Agency{ID: "ag1", Name: "Paris Police", Jurisdiction: "Paris", Kind: neighbors.AgencyPolice,
		Recipient: recipient, RegisteredAt: testTime}
	if verified {
		a.VerifiedAt = testTime.Add(time.Hour)
	}
	return a
}

func testRequest(resolved bool) *neighbors.Request {
	r := &neighbors.Request{ID: "rq1", Agency: "ag1", IncidentType: "Burglary", Title: "Break-in on rue des Lilas",
		Description: "Between 2 and 4 am.", CaseNumber: "2026-0042", Contact: "det. Martin, 01 23 45 67 89",
		WindowStart: testTime.Add(-2 * time.Hour), WindowEnd: testTime.Add(-time.Hour), SquareMiles: 0.1,
		PostedAt: testTime, PostedIndex: 7}
	if resolved {
		r.ResolvedAt, r.ResolvedIndex = testTime.Add(24*time.Hour), 9
	}
	return r
}

// testSubmissions has one submission in each state a resident sees.
func testSubmissions() []*neighbors.Submission {
	return []*neighbors.Submission{
		{ID: "s1", Request: "rq1", Clips: []vault.ClipID{"c1"}, Note: "call me", SubmittedAt: testTime, SubmittedIndex: 10},
		{ID: "s2", Request: "rq1", Clips: []vault.ClipID{"c1", "c2"}, SubmittedAt: testTime, SubmittedIndex: 11, OpenedAt: testTime.Add(time.Hour)},
		{ID: "s3", Request: "rq1", Clips: []vault.ClipID{"c2"}, SubmittedAt: testTime, SubmittedIndex: 12, WithdrawnAt: testTime.Add(time.Hour)},
	}
}

func testClip() *vault.Clip {
	return &vault.Clip{ID: "c1", Household: "h1", Device: "d1", Kind: vault.KindVideo,
		Start: testTime.Add(-90 * time.Minute), End: testTime.Add(-89 * time.Minute), Size: 3 << 20}
}

func testDevices() []*device.Device {
	return []*device.Device{
		{ID: "d1", Household: "h1", Kind: device.KindCamera, Name: "Front door", PairedAt: testTime, LastSeenAt: testTime, Online: true},
		{ID: "d2", Household: "h1", Kind: device.KindCamera, Name: "Garden", PairedAt: testTime},
		{ID: "d3", Household: "h1", Kind: device.KindCamera, Name: "Old", PairedAt: testTime, RevokedAt: testTime},
	}
}

func testDemandRow(decided bool) demandRow {
	d := &legal.Demand{ID: "dm1", Type: legal.SearchWarrant, Agency: "Paris Police", Jurisdiction: "FR", Scope: "clips of 1 March",
		ReceivedAt: testTime, Account: "u1", DelayOrder: "TGI-12", DelayUntil: testTime.AddDate(0, 1, 0),
		RecordedAt: testTime, RecordedIndex: 3, Outcome: legal.Pending}
	if decided {
		d.Outcome, d.Produced, d.Note = legal.Partial, []legal.Category{legal.Metadata, legal.Ciphertext}, "sent on a disc"
		d.DecidedAt, d.DecidedIndex, d.NotifiedAt, d.NotifiedIndex = testTime, 4, testTime, 5
		d.OwnerConsent = true
	}
	return demandRow{Demand: d, Email: "ana@example.org", ReceivedOn: "2026-03-01", DelayDate: "2026-04-01",
		Notice: "told once decided", Allowed: d.Type.Allowed(d.OwnerConsent)}
}

func testRequestPage(variant string) *requestPage {
	p := &requestPage{
		pageBase: pageBase{Title: "Break-in on rue des Lilas"}, Request: testRequest(variant == "Resolved"),
		Agency: testAgency(true, "age1agency"), AreaJSON: `{"circle":{"center":{"lat":48.85,"lng":2.35},"radius_m":200}}`,
		IsOfficer: true, MapTiles: "https://tile.example.org/{z}/{x}/{y}.png", Kinds: kindLabels,
		Responses: 6, ResponsesShown: variant != "CountWithheld", ResponseThreshold: neighbors.PublicResponseThreshold,
		Reached: []reachedView{{Household: testHousehold(), Clips: []*vault.Clip{testClip()}, Shared: testSubmissions()}},
		Home:    &household.Location{Lat: 48.8566, Lng: 2.3522}, AgencyRecipient: "age1agency", MemberRecipient: "age1member",
	}
	switch variant {
	case "NoAgencyKey":
		p.AgencyRecipient = ""
	case "NoMemberKey":
		p.MemberRecipient = ""
	case "NoClips":
		p.Reached[0].Clips = nil
	case "NotReached":
		p.IsOfficer, p.Reached, p.Home, p.AgencyRecipient, p.MemberRecipient = false, nil, nil, "", ""
	}
	return p
}

func testFeedPage(variant string) *feedPage {
	h := testHousehold()
	post := &feed.Post{ID: "p1", Household: "h1", Author: "u1", Category: feed.CategorySafety, Text: "Loose dog\r\non the corner", PostedAt: testTime}
	clipPost := &feed.Post{ID: "p2", Household: "h2", Category: feed.CategoryCrime, Text: "Parcel thief", PostedAt: testTime,
		Clip: "c9", PostKey: "AGE-SECRET-KEY-1POST", ClipLogIndex: 21}
	return &feedPage{
		pageBase: pageBase{Title: "Neighbours near " + h.Name}, Household: h, Households: []*household.Household{h, testHousehold()},
		Radius: "1 km", RadiusValue: "1000",
		Radii: []radiusOption{{Value: "500", Label: "500 m"}, {Value: "1000", Label: "1 km", Selected: true}},
		Items: []feedItem{
			{Post: post, Lines: []string{"Loose dog", "on the corner"}, Distance: "less than 1 km away", When: "Sun 1 Mar 09:30", Mine: true},
			{Post: clipPost, Lines: []string{"Parcel thief"}, Distance: "about 2 km away", When: "Sun 1 Mar 09:00", Mine: true},
			{Request: testRequest(true), Agency: "Paris Police", Distance: "your home is in its area", When: "Sun 1 Mar 08:00", Window: "07:30 to 08:30"},
		},
		FromStart: variant == "FromStart", Newest: "/feed?household=h1", Older: "/feed?household=h1&cursor=x",
		Categories: []categoryOption{{Value: feed.CategoryCrime, Label: "Crime"}, {Value: feed.CategorySafety, Label: "Safety", Selected: true}},
		Category:   feed.CategorySafety, Text: "half-typed", MaxText: feed.MaxTextLength,
		Clips:  []clipOption{{ID: "c1", Label: "Front door, Sun 1 Mar 08:00"}},
		HasKey: variant != "NoKey", Recipient: "age1member",
	}
}

// templateCases is the data every page template is rendered with.
func templateCases() []templateCase {
	h := testHousehold()
	other := &household.Household{ID: "h2", Name: "Villa Rose", Address: "5 rue des Lilas", TimeZone: "UTC", RetentionDays: 7}
	sessions := []*identity.Session{
		{ID: "s1", Stage: identity.StageFull, CreatedAt: testTime, LastSeenAt: testTime, UserAgent: "Firefox", ClientAddr: "192.0.2.1"},
		{ID: "s2", Stage: identity.StageSecondFactor, CreatedAt: testTime, LastSeenAt: testTime, UserAgent: "curl", ClientAddr: "192.0.2.2"},
	}
	tokens := []*identity.APIToken{{ID: "t1", Name: "backup script", Scopes: []identity.Scope{identity.ScopeAccountRead}, CreatedAt: testTime}}
	notices := []*notice.Notice{{ID: "n1", Text: "Staff asked to read your account.", CreatedAt: testTime},
		{ID: "n2", Text: "Read already.", CreatedAt: testTime, ReadAt: testTime}}
	account := func(totp bool) *accountPage {
		u := testUser(identity.RoleResident)
		u.TOTPEnabled = totp
		return &accountPage{pageBase: pageBase{Title: "Your account", Notice: "Your password was changed.", Error: "Wrong password."},
			Account: u, Current: "s1", Sessions: sessions, Tokens: tokens, Scopes: identity.Scopes, CodesLeft: 8,
			CanDisable: true, CanGrant: true, Notices: notices}
	}
	expires := testTime.Add(2 * time.Hour)
	grants := []apiGrant{
		{ID: "g1", Staff: "staff-abc", Subject: "u2", Object: access.ObjectAccountMetadata, Reason: "Locked out of the account", Hours: 2, Status: "pending", RequestedAt: testTime},
		{ID: "g2", Staff: "staff-abc", Subject: "u2", Object: access.ObjectAccountMetadata, Reason: "Locked out of the account", Hours: 2, Status: "approved", RequestedAt: testTime, ExpiresAt: &expires},
	}
	grantsPageOf := func(staff, admin bool) *grantsPage {
		return &grantsPage{pageBase: pageBase{Title: "Access grants"}, Grants: grants, IsStaff: staff, IsAdmin: admin, Me: "staff-abc"}
	}
	history := func(entries bool) historyView {
		v := historyView{Commitment: "c0ffee", Checkpoint: "hearth\n12\nabc=\n", TreeSize: 12, Entries: []historyRow{}}
		if entries {
			v.Entries = []historyRow{
				{Time: testTime, Actor: "staff-abc", ActorRole: identity.RoleStaff, Object: access.ObjectAccountMetadata,
					Purpose: access.PurposeSupport, LegalBasis: access.BasisAccessGrant, Grant: "g2", LogIndex: 11,
					InCheckpoint: true, Entry: "ZW50cnk=", Proof: []string{"aGFzaDE=", "aGFzaDI="}},
				{Time: testTime, Actor: "staff-abc", ActorRole: identity.RoleStaff, Object: access.ObjectAccountMetadata,
					Purpose: access.PurposeSupport, LegalBasis: access.BasisAccessGrant, LogIndex: 13, Entry: "ZW50cnk=", Proof: []string{}},
			}
		}
		return v
	}
	members := []memberRow{
		{UserID: "u1", Email: "ana@example.org", Role: household.RoleOwner, Joined: testTime, IsMe: true},
		{UserID: "u2", Email: "ben@example.org", Role: household.RoleMember, Joined: testTime},
	}
	householdPageOf := func(owner, optedOut bool) *householdPage {
		return &householdPage{pageBase: pageBase{Title: h.Name},
			householdFields: householdFields{Household: h, Retentions: household.RetentionDays},
			Public:          household.PublicLocation(h.Home), Members: members, IsOwner: owner,
			Requests: []*neighbors.Request{testRequest(false), testRequest(true)}, Submissions: testSubmissions(),
			OptedOut: optedOut, InviteLink: "https://hearth.example.org/join/tok", InviteExpires: testTime}
	}
	devices := testDevices()
	events := []*device.Event{{ID: "e1", Device: "d1", Household: "h1", Type: device.EventMotion, At: testTime, Data: map[string]any{"zone": "porch"}}}
	timeline := func(hasKey, today bool) *timelinePage {
		return &timelinePage{pageBase: pageBase{Title: "Timeline · " + h.Name}, Household: h, Day: testTime,
			DayParam: "2026-03-01", Prev: "2026-02-28", Next: "2026-03-02", IsToday: today, Zone: "Europe/Paris",
			Devices: devices, Only: "d1",
			Days: []*deviceDay{
				{Device: devices[0], Items: []timelineItem{{At: testTime, Clip: testClip()}, {At: testTime, Event: events[0]}}},
				{Device: devices[1]},
			},
			Truncated: true, HasKey: hasKey, Recipient: "age1member", Location: time.UTC}
	}
	agencies := []*neighbors.Agency{testAgency(true, "age1agency"), testAgency(false, "")}
	report := &transparency.Report{Period: transparency.Period{Year: 2026, Half: 1}, GeneratedAt: testTime,
		Demands: []transparency.DemandFigures{{Type: legal.Subpoena, Received: 3, Rejected: 1, Partial: 1, Full: 1}},
		Totals:  transparency.DemandFigures{Received: 3, Rejected: 1, Partial: 1, Full: 1}, EmergencyDisclosures: 1,
		Requests: []transparency.AgencyRequests{{Agency: "ag1", Name: "Paris Police", Requests: 4}}, RequestsTotal: 4,
		ClipsShared: 9, AgenciesEnrolled: 2, AgenciesVerified: 1}
	periods := []transparency.Period{{Year: 2025, Half: 2}, {Year: 2026, Half: 1}}

	return []templateCase{
		{page: "error", data: &errorPage{pageBase: pageBase{Title: "Error"}, Message: "There is no such page.", Code: apperr.NotFound}},
		{page: "home", data: &homePage{pageBase{Title: "Welcome"}}},
		{page: "signup", data: &signupPage{pageBase: pageBase{Title: "Sign up", Error: "The password is too short."}, Email: "ana@example.org"}},
		{page: "signup_sent", data: &signupPage{pageBase: pageBase{Title: "Check your e-mail"}, Email: "ana@example.org"}},
		{page: "signup_confirm", data: &signupConfirmPage{pageBase: pageBase{Title: "Confirm your e-mail address"}, Token: "t0k3n"}},
		{page: "login", data: &loginPage{pageBase: pageBase{Title: "Sign in", Error: "Wrong e-mail or password."}, Email: "ana@example.org"}},
		{page: "code", data: &codePage{pageBase{Title: "Enter your code", Error: "Wrong code."}}},
		{page: "enroll", data: &enrollPage{pageBase: pageBase{Title: "Set up two-factor sign-in"},
			Enrollment: identity.Enrollment{Secret: "JBSWY3DPEHPK3PXP", URI: "otpauth://totp/Hearth:ana@example.org?secret=JBSWY3DPEHPK3PXP&issuer=Hearth"},
			Email:      "ana@example.org", Action: "/signup/enroll"}},
		{page: "recovery", data: &recoveryPage{pageBase: pageBase{Title: "Your recovery codes"}, Codes: []string{"aaaa-bbbb", "cccc-dddd"}}},
		{page: "account", variant: "TwoFactorOn", data: account(true)},
		{page: "account", variant: "TwoFactorOff", data: account(false)},
		{page: "token", data: &tokenPage{pageBase: pageBase{Title: "New API token"}, Token: "hearth_secret", APIToken: tokens[0]}},
		{page: "access", variant: "Entries", data: &accessPage{pageBase: pageBase{Title: "Who accessed my data"}, History: history(true),
			Key: "hearth+abcd+key", PublicURL: "https://hearth.example.org", CheckpointB64: "aGVhcnRo"}},
		{page: "access", variant: "NoEntries", data: &accessPage{pageBase: pageBase{Title: "Who accessed my data"}, History: history(false),
			Key: "hearth+abcd+key", PublicURL: "https://hearth.example.org", CheckpointB64: "aGVhcnRo"}},
		{page: "grants", variant: "Staff", data: grantsPageOf(true, false)},
		{page: "grants", variant: "Admin", data: grantsPageOf(false, true)},
		{page: "grants", variant: "None", data: &grantsPage{pageBase: pageBase{Title: "Access grants"}, Me: "staff-abc"}},
		{page: "grant_account", data: &grantAccountPage{pageBase: pageBase{Title: "Account metadata"},
			Summary: identity.Summary{ID: "u2", Email: "ben@example.org", Role: identity.RoleResident, Status: "active", TwoFactor: true,
				CreatedAt: testTime, PasswordChangedAt: testTime, Sessions: 2, APITokens: 1}, Grant: "g2"}},
		{page: "key", variant: "NoKey", data: &keyPage{pageBase: pageBase{Title: "Your vault key"}, MinPassphrase: vault.MinPassphraseLength}},
		{page: "key", variant: "Key", data: &keyPage{pageBase: pageBase{Title: "Your vault key"}, Recipient: "age1member", MinPassphrase: vault.MinPassphraseLength}},

		{page: "households", data: &householdsPage{pageBase: pageBase{Title: "Households"},
			householdFields: householdFields{Retentions: household.RetentionDays}, Households: []*household.Household{h, other}}},
		{page: "households", variant: "None", data: &householdsPage{pageBase: pageBase{Title: "Households"},
			householdFields: householdFields{Retentions: household.RetentionDays}}},
		{page: "household", variant: "Owner", data: householdPageOf(true, false)},
		{page: "household", variant: "OwnerOptedOut", data: householdPageOf(true, true)},
		{page: "household", variant: "Member", data: householdPageOf(false, false)},
		{page: "household", variant: "Nothing", data: &householdPage{pageBase: pageBase{Title: h.Name},
			householdFields: householdFields{Household: h, Retentions: household.RetentionDays}, Members: members, IsOwner: true}},
		{page: "join", data: &joinPage{pageBase: pageBase{Title: "Join a household"}, Token: "tok"}},
		{page: "devices", data: &devicesPage{pageBase: pageBase{Title: "Devices · " + h.Name}, Household: h, Devices: devices,
			Kinds: device.Kinds, Events: events, DeviceNames: map[device.ID]string{"d1": "Front door"},
			PairingCode: "123456", PairingExpires: testTime, Server: "https://hearth.example.org"}},
		{page: "devices", variant: "None", data: &devicesPage{pageBase: pageBase{Title: "Devices · " + h.Name}, Household: h, Kinds: device.Kinds}},
		{page: "timeline", variant: "Key", data: timeline(true, false)},
		{page: "timeline", variant: "NoKeyToday", data: timeline(false, true)},
		{page: "timeline", variant: "NoDevices", data: &timelinePage{pageBase: pageBase{Title: "Timeline · " + h.Name}, Household: h,
			DayParam: "2026-03-01", Prev: "2026-02-28", Next: "2026-03-02", Zone: "UTC", Location: time.UTC}},
		{page: "feed", data: testFeedPage("")},
		{page: "feed", variant: "FromStart", data: testFeedPage("FromStart")},
		{page: "feed", variant: "NoKey", data: testFeedPage("NoKey")},
		{page: "feed", variant: "Choose", data: &feedPage{pageBase: pageBase{Title: "Neighbours"}, Choose: []*household.Household{h, other}}},
		{page: "feed", variant: "NoHousehold", data: &feedPage{pageBase: pageBase{Title: "Neighbours"}}},

		{page: "agencies", data: &agenciesPage{pageBase: pageBase{Title: "Agencies"}, Verified: agencies[:1], Pending: agencies[1:], IsAdmin: true, Kinds: kindLabels}},
		{page: "agencies", variant: "None", data: &agenciesPage{pageBase: pageBase{Title: "Agencies"}, IsAdmin: true, Kinds: kindLabels}},
		{page: "agency", variant: "Verified", data: &agencyPage{pageBase: pageBase{Title: "Paris Police"}, Agency: agencies[0],
			Requests: []*neighbors.Request{testRequest(false), testRequest(true)}, IsOfficer: true, Kinds: kindLabels}},
		{page: "agency", variant: "Pending", data: &agencyPage{pageBase: pageBase{Title: "Paris Police"}, Agency: agencies[1],
			IsAdmin: true, IsOfficer: true, Kinds: kindLabels}},
		{page: "agencies_mine", data: &agenciesMinePage{pageBase: pageBase{Title: "Your agencies"}, Agencies: agencies, IsOfficer: true,
			KindList: neighbors.AgencyKinds, Kinds: kindLabels, Form: agencyForm{Name: "Fire Brigade", Jurisdiction: "Paris", Kind: "fire"}}},
		{page: "agencies_mine", variant: "None", data: &agenciesMinePage{pageBase: pageBase{Title: "Your agencies"}, IsOfficer: true,
			KindList: neighbors.AgencyKinds, Kinds: kindLabels}},
		{page: "agencies_mine", variant: "NotOfficer", data: &agenciesMinePage{pageBase: pageBase{Title: "Your agencies"}, Kinds: kindLabels}},
		{page: "agency_key", variant: "Key", data: &agencyKeyPage{pageBase: pageBase{Title: "The key of Paris Police"}, Agency: agencies[0]}},
		{page: "agency_key", variant: "NoKey", data: &agencyKeyPage{pageBase: pageBase{Title: "The key of Paris Police"}, Agency: agencies[1]}},
		{page: "request_new", data: &requestNewPage{pageBase: pageBase{Title: "New request for assistance"}, Agency: agencies[0],
			Start: geo.Point{Lat: 48.85, Lng: 2.35}, MapTiles: "https://tile.example.org/{z}/{x}/{y}.png",
			MinArea: neighbors.MinAreaSquareMiles, MaxArea: neighbors.MaxAreaSquareMiles,
			Form: requestForm{IncidentType: "Burglary", Title: "Break-in", Description: "At night", CaseNumber: "42", Contact: "det. Martin",
				WindowStart: "2026-03-01T02:00:00Z", WindowEnd: "2026-03-01T04:00:00Z", WindowStartLocal: "2026-03-01T02:00", WindowEndLocal: "2026-03-01T04:00",
				CenterLat: "48.85", CenterLng: "2.35", RadiusM: "200", TypedLat: "48.85", TypedLng: "2.35", TypedRadius: "200", Attest: true}}},
		{page: "request", data: testRequestPage("")},
		{page: "request", variant: "Resolved", data: testRequestPage("Resolved")},
		{page: "request", variant: "CountWithheld", data: testRequestPage("CountWithheld")},
		{page: "request", variant: "NoAgencyKey", data: testRequestPage("NoAgencyKey")},
		{page: "request", variant: "NoMemberKey", data: testRequestPage("NoMemberKey")},
		{page: "request", variant: "NoClips", data: testRequestPage("NoClips")},
		{page: "request", variant: "NotReached", data: testRequestPage("NotReached")},
		{page: "received", data: &receivedPage{pageBase: pageBase{Title: "Footage received: Break-in"}, Request: testRequest(false),
			Received: []*neighbors.Received{{ID: "s1", Request: "rq1", Note: "call me", SubmittedAt: testTime, OpenedAt: testTime,
				Clips: []neighbors.ReceivedClip{{ID: "c1", Kind: vault.KindVideo, Start: testTime, End: testTime.Add(time.Minute), Size: 1 << 20}, {ID: "c2", Gone: true}}}}}},
		{page: "received", variant: "None", data: &receivedPage{pageBase: pageBase{Title: "Footage received: Break-in"}, Request: testRequest(false)}},

		{page: "legal", data: &legalPage{pageBase: pageBase{Title: "Legal demands"}, Demands: []demandRow{testDemandRow(false), testDemandRow(true)},
			Limit: legal.ListLimit, Truncated: true}},
		{page: "legal", variant: "None", data: &legalPage{pageBase: pageBase{Title: "Legal demands"}, Limit: legal.ListLimit}},
		{page: "legal_new", data: &legalNewPage{pageBase: pageBase{Title: "Record a legal demand"}, Types: legal.Types,
			Form: legalForm{Type: "subpoena", Agency: "Paris Police", Jurisdiction: "FR", Scope: "account data", ReceivedOn: "2026-03-01",
				Email: "ana@example.org", DelayOrder: "TGI-12", DelayUntil: "2026-04-01", OwnerConsent: true}}},
		{page: "legal_demand", variant: "Pending", data: &legalDemandPage{pageBase: pageBase{Title: "Search warrant from Paris Police"},
			Demand: testDemandRow(false), Categories: legal.Categories, Outcomes: legal.Outcomes}},
		{page: "legal_demand", variant: "Decided", data: &legalDemandPage{pageBase: pageBase{Title: "Search warrant from Paris Police"},
			Demand: testDemandRow(true), Categories: legal.Categories, Outcomes: legal.Outcomes}},
		{page: "transparency", data: &transparencyPage{pageBase: pageBase{Title: "Transparency report"}, Report: report, Periods: periods, Share: "67%"}},
		{page: "transparency", variant: "NoRequests", data: &transparencyPage{pageBase: pageBase{Title: "Transparency report"},
			Report: &transparency.Report{Period: periods[1], Complete: true}, Periods: periods, Share: "—"}},
		{page: "outbox", data: &outboxPage{pageBase: pageBase{Title: "Outbox"}, Mail: []*notice.Mail{
			{ID: "m1", To: "ana@example.org", Subject: "A request", Body: "Hello", CreatedAt: testTime, SentAt: testTime},
			{ID: "m2", To: "ben@example.org", Subject: "A request", Body: "Hello", CreatedAt: testTime, Attempts: 2, LastError: "connection refused"},
			{ID: "m3", To: "cy@example.org", Subject: "A request", Body: "Hello", CreatedAt: testTime},
		}}},
		{page: "outbox", variant: "None", data: &outboxPage{pageBase: pageBase{Title: "Outbox"}}},
	}
}
