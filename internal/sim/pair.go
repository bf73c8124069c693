package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

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

// maxResponse bounds what is read of any answer from the server.
const maxResponse = 64 << 10

// Pair exchanges a pairing code at server (a base URL such as
// http://127.0.0.1:8080) for the device's credentials, with
// POST /api/v1/devices/pair. client nil means http.DefaultClient. The code
// works once: a second Pair with it fails. Errors carry the server's code
// and message: NotFound for an unknown, used or expired code, RateLimited
// after too many attempts; Invalid for a server that is not an http(s) URL;
// Unavailable when the server cannot be reached.
func Pair(ctx context.Context, client *http.Client, server, code string) (*Credentials, error) {
	const op = "sim.Pair"
	if client == nil {
		client = http.DefaultClient
	}
	base, err := baseURL(server)
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	body, err := json.Marshal(map[string]string{"code": code})
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/devices/pair", bytes.NewReader(body))
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	req.Header.Set("Content-Type", "application/json")
	var c Credentials
	if err := do(client, req, &c, http.StatusCreated); err != nil {
		return nil, withOp(op, err)
	}
	if err := c.check(); err != nil {
		return nil, apperr.Errorf(op, "the server's answer to pairing is incomplete: %v", err)
	}
	return &c, nil
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

// do sends req and decodes the JSON answer into out when the status is one
// of want. Any other answer becomes an *apperr.Error with the server's code
// and message when it sent Hearth's error shape.
func do(client *http.Client, req *http.Request, out any, want ...int) error {
	resp, err := client.Do(req)
	if err != nil {
		return &apperr.Error{Code: apperr.Unavailable, Message: "Cannot reach Hearth at " + req.URL.Host + ".", Err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return &apperr.Error{Code: apperr.Unavailable, Message: "The connection to Hearth broke.", Err: err}
	}
	if !slices.Contains(want, resp.StatusCode) {
		return responseError(req, resp, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return apperr.Errorf("sim.do", "%s %s: the answer is not the JSON expected: %v", req.Method, req.URL.Path, err)
	}
	return nil
}

// withOp names op as the operation of an error do made, rather than
// wrapping it: the error's text then says its code and message once.
func withOp(op string, err error) error {
	if e, ok := err.(*apperr.Error); ok && e.Op == "" {
		e.Op = op
		return e
	}
	return apperr.Wrap(op, err)
}

// responseError turns an unexpected answer into an error. The message is
// the server's own when it gave one: it is written to be shown.
func responseError(req *http.Request, resp *http.Response, body []byte) error {
	cause := fmt.Errorf("%s %s: %s", req.Method, req.URL.Path, resp.Status)
	var e struct {
		Error struct {
			Code    apperr.Code `json:"code"`
			Message string      `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error.Code != "" {
		return &apperr.Error{Code: e.Error.Code, Message: e.Error.Message, Err: cause}
	}
	code := apperr.Internal
	switch {
	case resp.StatusCode == http.StatusNotFound:
		code = apperr.NotFound // most likely not a Hearth server, or an older one
	case resp.StatusCode >= 500:
		code = apperr.Unavailable
	}
	return &apperr.Error{Code: code, Message: fmt.Sprintf("Hearth answered %s; is this a Hearth server?", resp.Status), Err: cause}
}
