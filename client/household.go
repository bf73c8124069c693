package client

import (
	"context"
	"encoding/base64"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Identifiers of a household and what it keeps.
type (
	// HouseholdID names a household (h_…).
	HouseholdID string
	// DeviceID names a device (d_…).
	DeviceID string
	// ClipID names a clip (c_…).
	ClipID string
)

// Device is one of a household's devices.
type Device struct {
	ID         DeviceID   `json:"id"`
	Kind       string     `json:"kind"` // camera, doorbell, sensor, …
	Name       string     `json:"name"`
	Online     bool       `json:"online"`
	PairedAt   time.Time  `json:"paired_at"`
	LastSeenAt *time.Time `json:"last_seen_at"` // nil: never seen
	Revoked    bool       `json:"revoked"`
}

// Devices lists a household's devices by name (members, account:read).
// NotFound for a household the account is not a member of.
func (c *Client) Devices(ctx context.Context, hh HouseholdID) ([]Device, error) {
	var out struct {
		Devices []Device `json:"devices"`
	}
	err := c.get(ctx, apiPath("/api/v1/households/", string(hh), "/devices"), nil, &out)
	return out.Devices, err
}

// Clip is a recording a device uploaded, encrypted on the device.
type Clip struct {
	ID          ClipID      `json:"id"`
	Household   HouseholdID `json:"household_id"`
	Device      DeviceID    `json:"device_id"`
	Kind        string      `json:"kind"` // video, audio, snapshot
	Start       time.Time   `json:"start"`
	End         time.Time   `json:"end"`
	Size        int64       `json:"size"` // of the ciphertext, in bytes
	ContentHash string      `json:"content_hash"`
}

// ClipQuery chooses clips by when they started: From inclusive, To
// exclusive; a zero time leaves that side open.
type ClipQuery struct {
	From, To time.Time
	Limit    int // 1 to MaxClipPage; 0: the server's default (100)
}

// MaxClipPage is the most clips the API lists at once.
const MaxClipPage = 1000

func (q ClipQuery) values() url.Values {
	v := url.Values{}
	if !q.From.IsZero() {
		v.Set("from", q.From.UTC().Format(time.RFC3339Nano))
	}
	if !q.To.IsZero() {
		v.Set("to", q.To.UTC().Format(time.RFC3339Nano))
	}
	if q.Limit != 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	return v
}

// Clips lists one page of a household's clips: the latest-starting Limit
// of those the query chooses, latest first (members, account:read).
// NotFound for a household the account is not a member of; Invalid for a
// limit out of range.
func (c *Client) Clips(ctx context.Context, hh HouseholdID, q ClipQuery) ([]Clip, error) {
	var out struct {
		Clips []Clip `json:"clips"`
	}
	err := c.get(ctx, apiPath("/api/v1/households/", string(hh), "/clips"), q.values(), &out)
	return out.Clips, err
}

// AllClips yields every clip the query chooses, latest first, asking for
// pages of q.Limit (0: MaxClipPage) at a time. The API pages by start time:
// each page ends where the previous one did, and the clips that started
// at that very instant are asked for again (with a page as much larger)
// and skipped. Only when more than MaxClipPage clips share one start can
// some of them be left out. It stops at the first error, which it yields.
func (c *Client) AllClips(ctx context.Context, hh HouseholdID, q ClipQuery) iter.Seq2[Clip, error] {
	size := q.Limit
	if size == 0 {
		size = MaxClipPage
	}
	q.Limit = size
	return func(yield func(Clip, error) bool) {
		var last time.Time        // the start the previous page ended at
		seen := map[ClipID]bool{} // the clips yielded that started then
		for {
			page, err := c.Clips(ctx, hh, q)
			if err != nil {
				yield(Clip{}, err)
				return
			}
			fresh := 0
			for _, cl := range page {
				if seen[cl.ID] {
					continue
				}
				fresh++
				if !yield(cl, nil) {
					return
				}
			}
			if len(page) < q.Limit || fresh == 0 {
				return
			}
			oldest := page[len(page)-1].Start
			if !oldest.Equal(last) {
				last, seen = oldest, map[ClipID]bool{}
			}
			for _, cl := range page {
				if cl.Start.Equal(oldest) {
					seen[cl.ID] = true
				}
			}
			q.To = oldest.Add(time.Microsecond)
			q.Limit = min(size+len(seen), MaxClipPage)
		}
	}
}

// ClipContent opens a clip's age ciphertext (members, account:read), with
// the header for the account's own key when a member made one (AddWrap).
// It decrypts with the member's age identity. The caller closes it; the
// read fails if it stalls for the client's timeout or passes
// MaxContentBytes. NotFound for a clip of another household.
func (c *Client) ClipContent(ctx context.Context, id ClipID) (io.ReadCloser, error) {
	return c.open(ctx, apiPath("/api/v1/clips/", string(id), "/content"))
}

// DeleteClip deletes a clip (members, account:write).
func (c *Client) DeleteClip(ctx context.Context, id ClipID) error {
	return c.write(ctx, http.MethodDelete, apiPath("/api/v1/clips/", string(id)), nil, nil)
}

// AddWrap stores an age header, made by a member from the clip's own
// header with their identity, that gives recipient (age1…) the clip's key
// (members, account:write). From then on ClipContent serves it to the
// member whose key recipient is. Invalid for a header that is not one.
func (c *Client) AddWrap(ctx context.Context, id ClipID, recipient string, header []byte) error {
	body := map[string]string{"recipient": recipient, "header": base64.StdEncoding.EncodeToString(header)}
	return c.write(ctx, http.MethodPut, apiPath("/api/v1/clips/", string(id), "/wraps"), body, nil)
}

// Key is a member's vault key as the server keeps it: the public recipient
// and the identity encrypted under the member's passphrase, which the
// server never sees.
type Key struct {
	Recipient       string `json:"recipient"`        // age1…
	WrappedIdentity []byte `json:"wrapped_identity"` // a passphrase-encrypted age file
}

// Key returns the account's vault key (account:read); NotFound if it has
// none yet.
func (c *Client) Key(ctx context.Context) (*Key, error) {
	var k Key
	if err := c.get(ctx, "/api/v1/me/key", nil, &k); err != nil {
		return nil, err
	}
	return &k, nil
}

// SetKey sets or replaces the account's vault key (account:write). Invalid
// when the wrapped identity is not a passphrase-encrypted age file of the
// work factor a browser can unlock.
func (c *Client) SetKey(ctx context.Context, k Key) error {
	return c.write(ctx, http.MethodPut, "/api/v1/me/key", k, nil)
}
