package client

import (
	"context"
	"io"
	"net/http"
	"time"
)

// Identifiers of agencies and what passes between them and households.
type (
	// AgencyID names an agency (ag_…).
	AgencyID string
	// RequestID names a request for assistance.
	RequestID string
	// SubmissionID names a household's answer to a request.
	SubmissionID string
)

// Agency is a public-safety agency enrolled in Hearth.
type Agency struct {
	ID           AgencyID   `json:"id"`
	Name         string     `json:"name"`
	Jurisdiction string     `json:"jurisdiction"`
	Kind         string     `json:"kind"`
	Recipient    string     `json:"recipient,omitempty"` // the age key shared footage is encrypted for
	RegisteredAt time.Time  `json:"registered_at"`
	Verified     bool       `json:"verified"`
	VerifiedAt   *time.Time `json:"verified_at,omitempty"`
}

// Point is a position in WGS84 degrees.
type Point struct {
	Lat float64 `json:"lat"`
	Lng float64 `json:"lng"`
}

// Circle is a disc of RadiusM metres around Center.
type Circle struct {
	Center  Point   `json:"center"`
	RadiusM float64 `json:"radius_m"`
}

// Area is where a request asks about: a circle or a simple polygon
// (exactly one is set), its corners in order, not closed.
type Area struct {
	Circle  *Circle `json:"circle,omitempty"`
	Polygon []Point `json:"polygon,omitempty"`
}

// Request is a request for assistance as the public sees it; the officer
// who posted it is not part of it.
type Request struct {
	ID            RequestID  `json:"id"`
	Agency        AgencyID   `json:"agency"`
	IncidentType  string     `json:"incident_type"`
	Title         string     `json:"title"`
	Description   string     `json:"description"`
	CaseNumber    string     `json:"case_number"`
	Contact       string     `json:"contact"`
	WindowStart   time.Time  `json:"window_start"`
	WindowEnd     time.Time  `json:"window_end"`
	Area          Area       `json:"area"`
	SquareMiles   float64    `json:"square_miles"`
	PostedAt      time.Time  `json:"posted_at"`
	PostedIndex   uint64     `json:"posted_index"` // in the transparency log
	Status        string     `json:"status"`       // open or resolved
	ResolvedAt    *time.Time `json:"resolved_at,omitempty"`
	ResolvedIndex *uint64    `json:"resolved_index,omitempty"`
}

// NewRequest is what an officer posts.
type NewRequest struct {
	IncidentType           string    `json:"incident_type"`
	Title                  string    `json:"title"`
	Description            string    `json:"description"`
	CaseNumber             string    `json:"case_number"`
	Contact                string    `json:"contact"`
	WindowStart            time.Time `json:"window_start"`
	WindowEnd              time.Time `json:"window_end"`
	Area                   Area      `json:"area"`
	NotAboutLawfulActivity bool      `json:"not_about_lawful_activity"`
}

// Agencies lists the verified agencies (an admin sees every one); it needs
// no authentication.
func (c *Client) Agencies(ctx context.Context) ([]Agency, error) {
	var out struct {
		Agencies []Agency `json:"agencies"`
	}
	err := c.get(ctx, "/api/v1/agencies", nil, &out)
	return out.Agencies, err
}

// Agency returns an agency and every request it posted, newest first; it
// needs no authentication.
func (c *Client) Agency(ctx context.Context, id AgencyID) (*Agency, []Request, error) {
	var out struct {
		Agency
		Requests []Request `json:"requests"`
	}
	if err := c.get(ctx, apiPath("/api/v1/agencies/", string(id)), nil, &out); err != nil {
		return nil, nil, err
	}
	return &out.Agency, out.Requests, nil
}

// PostRequest posts a request for assistance for a verified agency (its
// officers, account:write). Invalid with the rule it breaks (window, area,
// case number, contact, attestation).
func (c *Client) PostRequest(ctx context.Context, agency AgencyID, r NewRequest) (*Request, error) {
	var out Request
	if err := c.write(ctx, http.MethodPost, apiPath("/api/v1/agencies/", string(agency), "/requests"), r, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Request returns a request; it needs no authentication.
func (c *Client) Request(ctx context.Context, id RequestID) (*Request, error) {
	var out Request
	if err := c.get(ctx, apiPath("/api/v1/requests/", string(id)), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ResolveRequest marks a request resolved (the agency's officers).
// Conflict if it is resolved already.
func (c *Client) ResolveRequest(ctx context.Context, id RequestID) (*Request, error) {
	var out Request
	if err := c.write(ctx, http.MethodPost, apiPath("/api/v1/requests/", string(id), "/resolve"), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// HouseholdRequests lists the requests that reached a household, newest
// first (members, account:read).
func (c *Client) HouseholdRequests(ctx context.Context, hh HouseholdID) ([]Request, error) {
	var out struct {
		Requests []Request `json:"requests"`
	}
	err := c.get(ctx, apiPath("/api/v1/households/", string(hh), "/requests"), nil, &out)
	return out.Requests, err
}

// SetRequestsOptOut sets whether a household receives agencies' requests
// (owners, account:write). An opted-out household is never reached and
// never counted.
func (c *Client) SetRequestsOptOut(ctx context.Context, hh HouseholdID, optOut bool) error {
	return c.write(ctx, http.MethodPut, apiPath("/api/v1/households/", string(hh), "/requests-opt-out"), map[string]bool{"opt_out": optOut}, nil)
}

// Submission is a household's answer to a request.
type Submission struct {
	ID          SubmissionID `json:"id"`
	Request     RequestID    `json:"request_id"`
	Household   HouseholdID  `json:"household_id"`
	Clips       []ClipID     `json:"clips"`
	Note        string       `json:"note"`
	Commitment  string       `json:"commitment"`
	LogIndex    uint64       `json:"log_index"`
	SubmittedAt time.Time    `json:"submitted_at"`
	Opened      bool         `json:"opened"`
	WithdrawnAt *time.Time   `json:"withdrawn_at"`
}

// NewSubmission is what a member shares with a request's agency.
type NewSubmission struct {
	Household HouseholdID `json:"household_id"`
	Clips     []ClipID    `json:"clips"`
	Note      string      `json:"note"`
}

// Submit answers a request with some of a household's clips (a member of
// a household the request reached, account:write). Each clip must overlap
// the request's window and already carry a wrap for the agency's key
// (AddWrap). NotFound for a household the request did not reach; Conflict
// when it is resolved or the agency has no key.
func (c *Client) Submit(ctx context.Context, id RequestID, s NewSubmission) (*Submission, error) {
	var out Submission
	if err := c.write(ctx, http.MethodPost, apiPath("/api/v1/requests/", string(id), "/submissions"), s, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// HouseholdSubmissions lists what a household shared, withdrawn answers
// too (members, account:read).
func (c *Client) HouseholdSubmissions(ctx context.Context, hh HouseholdID) ([]Submission, error) {
	var out struct {
		Submissions []Submission `json:"submissions"`
	}
	err := c.get(ctx, apiPath("/api/v1/households/", string(hh), "/submissions"), nil, &out)
	return out.Submissions, err
}

// Withdraw takes an answer back (members of its household) until the
// agency opens it; Conflict after.
func (c *Client) Withdraw(ctx context.Context, id SubmissionID) (*Submission, error) {
	var out Submission
	if err := c.write(ctx, http.MethodPost, apiPath("/api/v1/submissions/", string(id), "/withdraw"), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Received is an answer as the agency sees it: no household, person or
// device.
type Received struct {
	ID          SubmissionID   `json:"id"`
	Note        string         `json:"note"`
	SubmittedAt time.Time      `json:"submitted_at"`
	Opened      bool           `json:"opened"`
	Clips       []ReceivedClip `json:"clips"`
}

// ReceivedClip is a clip of a Received answer; Gone when its household
// deleted it or let it expire.
type ReceivedClip struct {
	ID    ClipID     `json:"id"`
	Kind  string     `json:"kind,omitempty"`
	Start *time.Time `json:"start,omitempty"`
	End   *time.Time `json:"end,omitempty"`
	Size  int64      `json:"size"`
	Gone  bool       `json:"gone"`
}

// ReceivedSubmissions lists what residents shared with a request (the
// agency's officers, account:read); Forbidden for anyone else.
func (c *Client) ReceivedSubmissions(ctx context.Context, id RequestID) ([]Received, error) {
	var out struct {
		Submissions []Received `json:"submissions"`
	}
	err := c.get(ctx, apiPath("/api/v1/requests/", string(id), "/submissions"), nil, &out)
	return out.Submissions, err
}

// ReceivedClipContent opens a shared clip as an age file for the agency's
// key (the agency's officers). The read is in the transparency log before
// a byte is sent. The caller closes it, as for ClipContent.
func (c *Client) ReceivedClipContent(ctx context.Context, id SubmissionID, clip ClipID) (io.ReadCloser, error) {
	return c.open(ctx, apiPath("/api/v1/submissions/", string(id), "/clips/", string(clip), "/content"))
}
