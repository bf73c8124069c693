package client_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"hearth/client"
	"hearth/internal/apperr"
)

// stub serves h and returns a client of it with the options.
func stub(t *testing.T, h http.HandlerFunc, opts ...client.Option) *client.Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := client.New(srv.URL, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// blocking is a handler that, once entered, waits for the test to release
// it (or for the client to go away); it writes first, if anything.
type blocking struct {
	first   string
	entered chan struct{}
	release chan struct{}
}

func newBlocking(first string) *blocking {
	return &blocking{first: first, entered: make(chan struct{}, 1), release: make(chan struct{})}
}

func (b *blocking) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if b.first != "" {
		io.WriteString(w, b.first)
		w.(http.Flusher).Flush()
	}
	b.entered <- struct{}{}
	select {
	case <-b.release:
	case <-r.Context().Done():
	}
}

func TestTimeout(t *testing.T) {
	t.Run("Call", func(t *testing.T) {
		b := newBlocking("")
		defer close(b.release)
		c := stub(t, b.ServeHTTP, client.WithToken("hrt_x"), client.WithTimeout(50*time.Millisecond))
		_, err := c.Me(context.Background())
		if !errors.Is(err, context.DeadlineExceeded) || client.CodeOf(err) != "" {
			t.Fatalf("a call the server does not answer: %v", err)
		}
	})
	t.Run("Context", func(t *testing.T) {
		b := newBlocking("")
		defer close(b.release)
		c := stub(t, b.ServeHTTP, client.WithToken("hrt_x"))
		ctx, cancel := context.WithCancel(context.Background())
		go func() { <-b.entered; cancel() }()
		if _, err := c.Me(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("a call whose context ends: %v", err)
		}
	})
	t.Run("StalledDownload", func(t *testing.T) {
		b := newBlocking("age-encryption.org/v1\n")
		defer close(b.release)
		c := stub(t, b.ServeHTTP, client.WithToken("hrt_x"), client.WithTimeout(50*time.Millisecond))
		body, err := c.ClipContent(context.Background(), "c_1")
		if err != nil {
			t.Fatal(err)
		}
		defer body.Close()
		got, err := io.ReadAll(body)
		if string(got) != "age-encryption.org/v1\n" || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("a download that stalls: %q %v", got, err)
		}
	})
	t.Run("StalledUpload", func(t *testing.T) {
		// The server takes the clip, then never answers.
		b := newBlocking("")
		defer close(b.release)
		c := stub(t, b.ServeHTTP, client.WithDevice("d_1", "hdc_x"), client.WithTimeout(50*time.Millisecond))
		_, _, err := c.UploadClip(context.Background(), client.ClipUpload{Kind: "video"}, strings.NewReader("age-encryption.org/v1\n"))
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("an upload the server does not answer: %v", err)
		}
	})
	t.Run("StalledEncoder", func(t *testing.T) {
		// The clip stops coming: the upload ends, and so does the encoder.
		c := stub(t, func(w http.ResponseWriter, r *http.Request) { io.Copy(io.Discard, r.Body) },
			client.WithDevice("d_1", "hdc_x"), client.WithTimeout(50*time.Millisecond))
		pr, pw := io.Pipe()
		go pw.Write([]byte("age-encryption.org/v1\n")) // and then nothing
		_, _, err := c.UploadClip(context.Background(), client.ClipUpload{Kind: "video"}, pr)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("an upload whose body stalls: %v", err)
		}
		if _, err := pw.Write([]byte("more, once the encoder is ready")); !errors.Is(err, io.ErrClosedPipe) {
			t.Fatalf("the encoder writes on after the upload ended: %v", err)
		}
	})
}

func TestErrors(t *testing.T) {
	c := stub(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/me":
			w.WriteHeader(http.StatusConflict)
			io.WriteString(w, `{"error":{"code":"conflict","message":"Already there."}}`)
		case "/api/v1/tokens":
			w.WriteHeader(http.StatusBadGateway)
			io.WriteString(w, "<html>proxy error</html>")
		case "/api/v1/sessions":
			io.WriteString(w, `{"sessions":[`)
		}
	}, client.WithToken("hrt_x"))
	ctx := context.Background()

	_, err := c.Me(ctx)
	var e *client.Error
	if !errors.As(err, &e) || *e != (client.Error{Status: 409, Code: client.Conflict, Message: "Already there."}) {
		t.Fatalf("an API error: %#v", err)
	}
	if !client.IsCode(err, apperr.Conflict) || client.IsCode(err, client.NotFound) || !errors.Is(err, &client.Error{Code: client.Conflict}) ||
		errors.Is(err, &client.Error{Code: client.Conflict, Status: 400}) || err.Error() != "conflict: Already there." {
		t.Fatalf("testing the code of %v", err)
	}
	_, err = c.Tokens(ctx)
	if !client.IsCode(err, client.Unavailable) || !strings.Contains(err.Error(), "502 Bad Gateway") {
		t.Fatalf("an answer not in the API's form: %v", err)
	}
	if _, err = c.Sessions(ctx); err == nil || client.CodeOf(err) != "" {
		t.Fatalf("a broken answer: %v", err)
	}
}

func TestResponseLimit(t *testing.T) {
	big := `{"tokens":[{"name":"` + strings.Repeat("x", 200) + `"}]}`
	c := stub(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, big) },
		client.WithToken("hrt_x"), client.WithMaxResponseBytes(int64(len(big)-1)))
	if _, err := c.Tokens(context.Background()); !errors.Is(err, client.ErrResponseTooLarge) {
		t.Fatalf("an answer past the limit: %v", err)
	}
	c = stub(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, big) },
		client.WithToken("hrt_x"), client.WithMaxResponseBytes(int64(len(big))))
	if list, err := c.Tokens(context.Background()); err != nil || len(list) != 1 {
		t.Fatalf("an answer at the limit: %v %v", list, err)
	}
}

func TestRequests(t *testing.T) {
	var got *http.Request
	h := func(w http.ResponseWriter, r *http.Request) {
		got = r
		io.WriteString(w, `{}`)
	}
	ctx := context.Background()
	t.Run("Token", func(t *testing.T) {
		c := stub(t, h, client.WithToken(" hrt_secret\n"))
		if _, err := c.Clips(ctx, "h_1/../../tokens", client.ClipQuery{Limit: 3}); err != nil {
			t.Fatal(err)
		}
		if got.Header.Get("Authorization") != "Bearer hrt_secret" || got.URL.EscapedPath() != "/api/v1/households/h_1%2F..%2F..%2Ftokens/clips" || got.URL.RawQuery != "limit=3" {
			t.Fatalf("sent %s %s?%s with %q", got.Method, got.URL.EscapedPath(), got.URL.RawQuery, got.Header.Get("Authorization"))
		}
	})
	t.Run("Device", func(t *testing.T) {
		c := stub(t, h, client.WithDevice("d_1", "hdc_secret"))
		if _, err := c.Recipients(ctx); err != nil {
			t.Fatal(err)
		}
		if id, secret, ok := got.BasicAuth(); !ok || id != "d_1" || secret != "hdc_secret" {
			t.Fatalf("device authentication %q", got.Header.Get("Authorization"))
		}
	})
	t.Run("ErrDotID", func(t *testing.T) {
		got = nil
		c := stub(t, h, client.WithToken("hrt_x"))
		for _, id := range []client.ClipID{"", ".", ".."} {
			if _, err := c.ClipContent(ctx, id); err == nil || got != nil {
				t.Fatalf("clip id %q was sent", id)
			}
		}
	})
}

func TestNew(t *testing.T) {
	for _, tc := range []struct {
		name string
		url  string
		opts []client.Option
	}{
		{"ErrScheme", "ftp://hearth.example.org", nil},
		{"ErrNoHost", "https://", nil},
		{"ErrQuery", "https://hearth.example.org/?x=1", nil},
		{"ErrTokenAndDevice", "https://hearth.example.org", []client.Option{client.WithToken("hrt_x"), client.WithDevice("d_1", "hdc_x")}},
		{"ErrNoCredential", "https://hearth.example.org", []client.Option{client.WithDevice("d_1", "")}},
		{"ErrTimeout", "https://hearth.example.org", []client.Option{client.WithTimeout(0)}},
		{"ErrLimit", "https://hearth.example.org", []client.Option{client.WithMaxResponseBytes(-1)}},
		{"ErrNilHTTPClient", "https://hearth.example.org", []client.Option{client.WithHTTPClient(nil)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := client.New(tc.url, tc.opts...); err == nil {
				t.Fatal("accepted")
			}
		})
	}
	c, err := client.New("https://hearth.example.org/prefix/")
	if err != nil || c.BaseURL() != "https://hearth.example.org/prefix" {
		t.Fatalf("%v %v", c, err)
	}
}

// TestDocExample keeps the example of docs/api.md the one that compiles
// here (Example, in example_test.go).
func TestDocExample(t *testing.T) {
	doc, err := os.ReadFile("../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(doc), "## Go client")
	_, code, _ := strings.Cut(section, "```go\n")
	code, _, _ = strings.Cut(code, "```")
	_, docBody, ok1 := strings.Cut(code, "import (")
	_, exBody, ok2 := strings.Cut(string(example), "import (")
	docBody = strings.Replace(docBody, "func main() {", "func Example() {", 1)
	if !ok1 || !ok2 || docBody != exBody {
		t.Fatalf("the example in docs/api.md differs from Example:\n%s\nwant:\n%s", docBody, exBody)
	}
}

// TestLogKey reads a log's key from under the log's own URL, refuses an
// answer too large to be a key, and reports a missing one as NotFound.
func TestLogKey(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /log/key", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hearth.test+1234abcd+AQID\n")
	})
	mux.HandleFunc("GET /huge/key", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, strings.Repeat("k", 5000))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	key, err := client.LogKey(t.Context(), srv.URL+"/log/")
	if err != nil || key != "hearth.test+1234abcd+AQID" {
		t.Fatalf("LogKey = %q, %v", key, err)
	}
	if _, err := client.LogKey(t.Context(), srv.URL+"/huge"); !errors.Is(err, client.ErrResponseTooLarge) {
		t.Errorf("a 5000-byte key: %v, want ErrResponseTooLarge", err)
	}
	if _, err := client.LogKey(t.Context(), srv.URL+"/nothing/"); !client.IsCode(err, client.NotFound) {
		t.Errorf("no key there: %v, want not found", err)
	}
}
