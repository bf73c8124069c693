package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"hearth/internal/clock"
	"hearth/internal/testkit"
)

// TestServeRefusesOverload runs the real service with one place for
// people's requests and one in the queue, and fills both with clients that
// send half a form and stop. The next request is refused at once with 503
// and Retry-After, health and the devices' lane still answer, the queued
// client is refused when its wait ends (on the injected clock) without the
// server waiting for the rest of its body, and once the stuck client goes
// away the service serves again.
func TestServeRefusesOverload(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	cfg := Config{Data: t.TempDir(), HTTP: "127.0.0.1:0", MQTT: "127.0.0.1:0", LogLevel: "warn",
		MaxRequests: 1, MaxDeviceRequests: 1, MaxQueued: 1, QueueWait: time.Second}
	m := openMain(t, cfg, clk)
	t.Cleanup(func() { m.Close() })
	ctx := testkit.Deadline(t)
	// Each periodic job keeps one timer on the clock (once its run due at
	// start is done); the clock stands still, so they stay where they are.
	timers := len(jobRuns(t, m))
	if err := clk.WaitTimers(ctx, timers); err != nil {
		t.Fatal(err)
	}

	// Two clients start a sign-in form and never finish it: one holds the
	// place (the handler waits for the body), the other waits in the queue.
	stuck := make([]net.Conn, 2)
	answers := make(chan *http.Response, 2)
	for i := range stuck {
		c, err := net.Dial("tcp", m.listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		stuck[i] = c
		if _, err := io.WriteString(c, "POST /login HTTP/1.1\r\nHost: hearth.test\r\n"+
			"Cookie: hearth_csrf="+strings.Repeat("c", 43)+"\r\n"+ // so the form check reads the body for its token
			"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nemail="); err != nil {
			t.Fatal(err)
		}
		go func() {
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				return // the held client's connection, closed below
			}
			resp.Body.Close()
			answers <- resp
		}()
	}
	if err := clk.WaitTimers(ctx, timers+1); err != nil {
		t.Fatal("no request queued:", err, clk.Timers(), grepLines(metrics(t, m), "hearth_http"))
	}

	get := func(path string) *http.Response {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, "GET", m.URL()+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := get("/api/v1/me"); resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("beyond the queue: %d Retry-After %q, want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if resp := get("/healthz"); resp.StatusCode != http.StatusOK {
		t.Errorf("health while overloaded: %d, want 200", resp.StatusCode)
	}
	if resp := get("/api/v1/device/recipients"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("devices' lane while people's is full: %d, want 401 (served, no credential)", resp.StatusCode)
	}

	clk.Advance(time.Second)
	select {
	case resp := <-answers:
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || !resp.Close {
			t.Errorf("queued client: %d Retry-After %q close %v, want 503 with Retry-After, closing the connection",
				resp.StatusCode, resp.Header.Get("Retry-After"), resp.Close)
		}
	case <-ctx.Done():
		t.Fatal("the queued client was never answered", clk.Timers(), grepLines(metrics(t, m), "hearth_http"))
	}

	for _, c := range stuck {
		c.Close()
	}
	// The next request takes the place, or waits in the queue (whose clock
	// stands still) until the held request ends on its client's departure.
	if resp := get("/api/v1/me"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("after the stuck clients left: %d, want 401 (served, no token)", resp.StatusCode)
	}
	if body := metrics(t, m); !strings.Contains(body, `hearth_http_refused_total{lane="people"} 2`) {
		t.Errorf("metrics lack two refusals in people's lane:\n%s", grepLines(body, "hearth_http_refused"))
	}
}

func metrics(t *testing.T, m *Main) string {
	t.Helper()
	resp, err := http.Get(m.URL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
