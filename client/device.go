package client

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"time"
)

// Pairing is what a device gets for its pairing code: who it is, its
// credential (shown this once) and where its MQTT broker is.
type Pairing struct {
	DeviceID      DeviceID    `json:"device_id"`
	HouseholdID   HouseholdID `json:"household_id"`
	Kind          string      `json:"kind"`
	Name          string      `json:"name"` // as the member named it
	Credential    string      `json:"credential"`
	MQTTURL       string      `json:"mqtt_url"`
	EventsTopic   string      `json:"events_topic"`
	CommandsTopic string      `json:"commands_topic"`
}

// Pair exchanges a one-time pairing code for a device's credential; it
// needs no authentication. NotFound for an unknown, used or expired code;
// RateLimited after too many attempts from the client's address.
func (c *Client) Pair(ctx context.Context, code string) (*Pairing, error) {
	var p Pairing
	if err := c.write(ctx, http.MethodPost, "/api/v1/devices/pair", map[string]string{"code": code}, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// Recipients returns whom the device encrypts its clips to: the age
// recipient of every member of its household who has a key (WithDevice).
// Unauthenticated when the credential is refused (the device was revoked).
func (c *Client) Recipients(ctx context.Context) ([]string, error) {
	var out struct {
		Recipients []string `json:"recipients"`
	}
	err := c.get(ctx, "/api/v1/device/recipients", nil, &out)
	return out.Recipients, err
}

// ClipUpload describes a clip a device uploads.
type ClipUpload struct {
	Kind       string // video, audio or snapshot
	Start, End time.Time
}

// UploadClip streams a clip's age ciphertext, read from body as it is
// made, to the device's household (WithDevice). created is false when the
// server had the same bytes already and returns that clip. The upload
// fails if it stalls for the client's timeout; a body that is an io.Closer
// is then closed, so that a producer blocked on it (a pipe) is released. Invalid for a body that is
// not an age file, a kind or times out of bounds; Unauthenticated when the
// credential is refused.
func (c *Client) UploadClip(ctx context.Context, u ClipUpload, body io.Reader) (clip *Clip, created bool, err error) {
	q := url.Values{"kind": {u.Kind}, "start": {u.Start.UTC().Format(time.RFC3339)}, "end": {u.End.UTC().Format(time.RFC3339)}}
	r := request{method: http.MethodPost, path: "/api/v1/device/clips", query: q, body: body, contentType: "application/octet-stream"}
	resp, done, err := c.stream(ctx, r)
	if err != nil {
		return nil, false, err
	}
	defer done()
	var out Clip
	if err := c.decode(resp, r, &out); err != nil {
		return nil, false, err
	}
	if out.ID == "" {
		return nil, false, errors.New("POST /api/v1/device/clips: the answer has no clip id")
	}
	return &out, resp.StatusCode == http.StatusCreated, nil
}
