package sim

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"hearth/client"
	"hearth/internal/apperr"
)

// Credentials is what a device gets when it pairs: who it is, how it proves
// it, and where to connect. The credential is shown once by the server;
// whoever keeps Credentials must keep them private.
type Credentials struct {
	DeviceID    string `json:"device_id"`
	Credential  string `json:"credential"`
	MQTTURL     string `json:"mqtt_url"`
	Kind        string `json:"kind"`
	HouseholdID string `json:"household_id"`
	Name        string `json:"name"` // as the member named it when asking for the code
}

// check reports the first field a device cannot work without.
func (c *Credentials) check() error {
	for _, f := range []struct{ name, v string }{
		{"device_id", c.DeviceID}, {"credential", c.Credential}, {"mqtt_url", c.MQTTURL}, {"kind", c.Kind},
	} {
		if f.v == "" {
			return fmt.Errorf("no %s", f.name)
		}
	}
	return nil
}

// Pair exchanges a pairing code at server (a base URL such as
// http://127.0.0.1:8080) for the device's credentials, with
// POST /api/v1/devices/pair. hc nil means http.DefaultClient. The code
// works once: a second Pair with it fails. Errors carry the server's code
// and message: NotFound for an unknown, used or expired code, RateLimited
// after too many attempts; Invalid for a server that is not an http(s) URL;
// Unavailable when the server cannot be reached.
func Pair(ctx context.Context, hc *http.Client, server, code string) (*Credentials, error) {
	const op = "sim.Pair"
	api, err := newAPI(server, hc)
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	p, err := api.Pair(ctx, code)
	if err != nil {
		return nil, apiError(op, api, err)
	}
	c := Credentials{DeviceID: string(p.DeviceID), Credential: p.Credential, MQTTURL: p.MQTTURL,
		Kind: p.Kind, HouseholdID: string(p.HouseholdID), Name: p.Name}
	if err := c.check(); err != nil {
		return nil, apperr.Errorf(op, "the server's answer to pairing is incomplete: %v", err)
	}
	return &c, nil
}

// requestTimeout bounds each call of the API, and how long a clip upload
// may go without progress.
const requestTimeout = 30 * time.Second

// newAPI returns a client of the API at server, acting as the device when
// opts say so.
func newAPI(server string, hc *http.Client, opts ...client.Option) (*client.Client, error) {
	if _, err := baseURL(server); err != nil {
		return nil, err
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	return client.New(server, append([]client.Option{client.WithHTTPClient(hc), client.WithTimeout(requestTimeout)}, opts...)...)
}

// baseURL checks that server is an http(s) URL and returns it without a
// trailing slash.
func baseURL(server string) (string, error) {
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", apperr.E("sim.baseURL", apperr.Invalid, fmt.Sprintf("%q is not an http(s) URL such as http://127.0.0.1:8080.", server))
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

// apiError turns a failed call of the API into an *apperr.Error: the
// server's code and message when it answered, Unavailable when it could
// not be reached or its answer broke off.
func apiError(op string, api *client.Client, err error) error {
	var e *client.Error
	if errors.As(err, &e) {
		return &apperr.Error{Op: op, Code: e.Code, Message: e.Message, Err: err}
	}
	return &apperr.Error{Op: op, Code: apperr.Unavailable, Message: "Cannot reach Hearth at " + api.BaseURL() + ".", Err: err}
}
