package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
)

// Defaults of a Client, each changed by an Option.
const (
	// DefaultTimeout bounds a call: a JSON call must be answered within it,
	// and a clip upload or download must not stall for longer.
	DefaultTimeout = 30 * time.Second
	// DefaultMaxResponseBytes is the most of a JSON answer that is read; a
	// larger answer is refused with ErrResponseTooLarge.
	DefaultMaxResponseBytes = 8 << 20
	// MaxContentBytes is the most of a clip's ciphertext that is read: the
	// largest clip Hearth takes (512 MiB) and room for its header.
	MaxContentBytes = 512<<20 + 1<<20
)

// maxErrorBytes is the most of an error answer that is read.
const maxErrorBytes = 64 << 10

// ErrResponseTooLarge is returned, wrapped, for an answer larger than the
// client reads (WithMaxResponseBytes, MaxContentBytes).
var ErrResponseTooLarge = errors.New("the answer is larger than this client reads")

// Client calls one Hearth server's JSON API as one party. Its methods are
// safe for concurrent use.
type Client struct {
	base        string // scheme://host[/prefix], no trailing slash
	http        *http.Client
	timeout     time.Duration
	maxResponse int64
	token       string
	device      DeviceID
	credential  string
}

// Option sets up a Client in New.
type Option func(*Client)

// WithToken makes the client act for the owner of an API token (hrt_…),
// within the token's scopes; it is sent as "Authorization: Bearer".
func WithToken(token string) Option {
	return func(c *Client) { c.token = strings.TrimSpace(token) }
}

// WithDevice makes the client act as a paired device, with the id and
// credential it got when it paired (Pair); they are sent as HTTP Basic
// authentication, as the device endpoints take them.
func WithDevice(id DeviceID, credential string) Option {
	return func(c *Client) { c.device, c.credential = id, credential }
}

// WithHTTPClient sends the requests through hc (its transport, TLS
// settings, proxy), instead of http.DefaultClient. The client's own
// timeout applies on top of any hc has.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) { c.http = hc }
}

// WithTimeout replaces DefaultTimeout.
func WithTimeout(d time.Duration) Option {
	return func(c *Client) { c.timeout = d }
}

// WithMaxResponseBytes replaces DefaultMaxResponseBytes.
func WithMaxResponseBytes(n int64) Option {
	return func(c *Client) { c.maxResponse = n }
}

// New returns a client of the Hearth server at baseURL, an http(s) URL such
// as https://hearth.example.org. It refuses a URL that is not one, both a
// token and a device (a request is made by one party), a timeout or
// response limit that is not positive, and a nil HTTP client.
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("client: %q is not an http(s) URL such as https://hearth.example.org", baseURL)
	}
	c := &Client{
		base: strings.TrimSuffix(u.String(), "/"), http: http.DefaultClient,
		timeout: DefaultTimeout, maxResponse: DefaultMaxResponseBytes,
	}
	for _, o := range opts {
		o(c)
	}
	switch {
	case c.token != "" && c.device != "":
		return nil, errors.New("client: give a token or a device, not both")
	case c.device != "" && c.credential == "":
		return nil, errors.New("client: the device has no credential")
	case c.timeout <= 0:
		return nil, errors.New("client: the timeout must be positive")
	case c.maxResponse <= 0:
		return nil, errors.New("client: the response limit must be positive")
	case c.http == nil:
		return nil, errors.New("client: the HTTP client is nil")
	}
	return c, nil
}

// BaseURL returns the server's URL, without a trailing slash.
func (c *Client) BaseURL() string { return c.base }

// request is one call of the API.
type request struct {
	method      string
	path        string // escaped, from apiPath
	query       url.Values
	body        io.Reader
	contentType string
}

// apiPath joins the parts of a path, escaping each id (the odd ones), so
// that no id can reach another endpoint.
func apiPath(parts ...string) string {
	var b strings.Builder
	for i, p := range parts {
		if i%2 == 1 {
			p = url.PathEscape(p)
		}
		b.WriteString(p)
	}
	return b.String()
}

// jsonBody returns a request body of v.
func jsonBody(v any) (io.Reader, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("client: encode the request: %w", err)
	}
	return bytes.NewReader(b), nil
}

// send makes the request and returns the response for a 2xx status; any
// other answer becomes an *Error. The caller closes the body.
func (c *Client) send(ctx context.Context, r request) (*http.Response, error) {
	// An empty or dot id would make a path the server redirects elsewhere.
	if path.Clean(r.path) != r.path {
		return nil, fmt.Errorf("client: %s is not a path of the API: an id is empty or a dot", r.path)
	}
	u := c.base + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, r.body)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	switch {
	case c.token != "":
		req.Header.Set("Authorization", "Bearer "+c.token)
	case c.device != "":
		req.SetBasicAuth(string(c.device), c.credential)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp, nil
	}
	defer resp.Body.Close()
	return nil, errorOf(resp)
}

// errorOf reads an error answer.
func errorOf(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBytes))
	var body struct {
		Error struct {
			Code    Code   `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(b, &body) == nil && body.Error.Code != "" {
		return &Error{Status: resp.StatusCode, Code: body.Error.Code, Message: body.Error.Message}
	}
	return &Error{Status: resp.StatusCode, Code: statusCode(resp.StatusCode),
		Message: fmt.Sprintf("The server answered %s, not in the API's error form: is this a Hearth server?", resp.Status)}
}

// call makes a request within the client's timeout and decodes its JSON
// answer into out (nil: the answer is discarded). It returns the status.
func (c *Client) call(ctx context.Context, r request, out any) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	resp, err := c.send(ctx, r)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	return resp.StatusCode, c.decode(resp, r, out)
}

// decode reads a JSON answer of at most the client's limit into out.
func (c *Client) decode(resp *http.Response, r request, out any) error {
	b, err := io.ReadAll(io.LimitReader(resp.Body, c.maxResponse+1))
	if err != nil {
		return fmt.Errorf("%s %s: read the answer: %w", r.method, r.path, err)
	}
	if int64(len(b)) > c.maxResponse {
		return fmt.Errorf("%s %s: %w (%d bytes)", r.method, r.path, ErrResponseTooLarge, c.maxResponse)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return nil
	}
	if raw, ok := out.(*[]byte); ok { // a resource that is not JSON, as read
		*raw = b
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: the answer is not the JSON expected: %w", r.method, r.path, err)
	}
	return nil
}

// get is call for a GET of path.
func (c *Client) get(ctx context.Context, path string, query url.Values, out any) error {
	_, err := c.call(ctx, request{method: http.MethodGet, path: path, query: query}, out)
	return err
}

// write is call for a method with a JSON body (in nil: none).
func (c *Client) write(ctx context.Context, method, path string, in, out any) error {
	r := request{method: method, path: path}
	if in != nil {
		body, err := jsonBody(in)
		if err != nil {
			return err
		}
		r.body, r.contentType = body, "application/json"
	}
	_, err := c.call(ctx, r, out)
	return err
}
