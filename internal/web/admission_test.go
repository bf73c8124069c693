package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/prometheus/client_golang/prometheus"

	"hearth/internal/device"
	"hearth/internal/household"
	"hearth/internal/identity"
	"hearth/internal/sqlstore/sqltest"
	"hearth/internal/testkit"
	"hearth/internal/web"
)

// stalledIdentity holds every API token check until the test releases it:
// a database that stopped answering, as people's API requests meet it.
// Everything else (sessions, devices, health) goes straight through.
type stalledIdentity struct {
	web.Identity
	entered chan struct{} // one value per check that started waiting
	release chan struct{} // a value lets one check through; closed, every check
}

func stall(id web.Identity) *stalledIdentity {
	return &stalledIdentity{Identity: id, entered: make(chan struct{}, 10000), release: make(chan struct{})}
}

func (s *stalledIdentity) AuthenticateToken(ctx context.Context, token string) (*identity.APIToken, *identity.User, error) {
	s.entered <- struct{}{}
	select {
	case <-s.release:
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
	return s.Identity.AuthenticateToken(ctx, token)
}

// waitEntered waits until n checks are held.
func (s *stalledIdentity) waitEntered(t *testing.T, ctx context.Context, n int) {
	t.Helper()
	for range n {
		select {
		case <-s.entered:
		case <-ctx.Done():
			t.Fatal("requests never reached the store")
		}
	}
}

// answer is what a client got: a status and its Retry-After, or an error.
type answer struct {
	status     int
	retryAfter string
	body       string
	reused     bool // the request went on a kept-alive connection
	err        error
}

func send(ctx context.Context, c *http.Client, method, url, token string, body io.Reader) answer {
	var reused bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) { reused = i.Reused }})
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return answer{err: err}
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), body: string(b), reused: reused, err: err}
}

// refusedCount reads hearth_http_refused_total for lane from the server's metrics.
func refusedCount(t *testing.T, reg *prometheus.Registry, lane string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "hearth_http_refused_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "lane" && l.GetValue() == lane {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("no hearth_http_refused_total{lane=%q}", lane)
	return 0
}

// TestOverloadRefusedCleanly stalls the store under people's API requests
// until their lane and its queue are full, then checks that what comes next
// is refused at once with 503 and Retry-After (the store is still stalled
// when the answers arrive: that is what "at once" means here), that health
// and metrics still answer and a camera still uploads in its own lane, that
// queued requests are refused when their wait ends, and that the server
// serves again as soon as the store does.
// stalledEnv is a server with admission settings adm whose token checks
// block until the test releases them, and a resident with a home and a
// token to call it with.
type stalledEnv struct {
	*env
	stalled *stalledIdentity
	user    identity.UserID
	home    *household.Household
	token   string
}

func newStalledEnv(t *testing.T, dbURL string, adm web.Admission) stalledEnv {
	t.Helper()
	var se stalledEnv
	se.env = newEnvOpts(t, dbURL, envOptions{admission: adm, wrap: func(s *web.Services) {
		se.stalled = stall(s.Identity)
		s.Identity = se.stalled
	}})
	se.user, se.home = se.kit.Home(t, 48.85, 2.35)
	token, _, err := se.ids.CreateAPIToken(testkit.Deadline(t), se.user, "script", []identity.Scope{identity.ScopeAccountRead})
	if err != nil {
		t.Fatal(err)
	}
	se.token = token
	return se
}

func TestOverloadRefusedCleanly(t *testing.T) {
	t.Parallel()
	sqltest.ForEach(t, func(t *testing.T, dbURL string) {
		adm := web.Admission{InProgress: 2, DeviceInProgress: 1, Queue: 2, QueueWait: 300 * time.Millisecond, RetryAfter: 3 * time.Second}
		se := newStalledEnv(t, dbURL, adm)
		e, stalled, user, hh, token := se.env, se.stalled, se.user, se.home, se.token
		ctx := testkit.Deadline(t)
		cam, camSecret := e.kit.Device(t, user, hh.ID, device.KindCamera, "Porch")
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
		t.Cleanup(client.CloseIdleConnections)
		me := func() answer { return send(ctx, client, "GET", e.srv.URL+"/api/v1/me", token, nil) }

		// Two requests run, stalled in the store; two more wait in the queue.
		timersBefore := e.clock.Timers()
		running, queued := make(chan answer, 2), make(chan answer, 2)
		for range 2 {
			go func() { running <- me() }()
		}
		stalled.waitEntered(t, ctx, 2)
		for range 2 {
			go func() { queued <- me() }()
		}
		if err := e.clock.WaitTimers(ctx, timersBefore+2); err != nil {
			t.Fatal("requests never queued:", err)
		}

		t.Run("APIRefusedAtOnce", func(t *testing.T) {
			a := me()
			if a.err != nil || a.status != http.StatusServiceUnavailable || a.retryAfter != "3" {
				t.Fatalf("got %d Retry-After %q (%v), want 503 with Retry-After 3\n%s", a.status, a.retryAfter, a.err, a.body)
			}
			var body struct {
				Error struct{ Code, Message string }
			}
			if err := json.Unmarshal([]byte(a.body), &body); err != nil || body.Error.Code != "unavailable" || !strings.Contains(body.Error.Message, "busy") {
				t.Errorf("body %q: want an unavailable error saying the service is busy", a.body)
			}
		})
		t.Run("PageRefusedAtOnce", func(t *testing.T) {
			a := send(ctx, client, "GET", e.srv.URL+"/login", "", nil)
			if a.err != nil || a.status != http.StatusServiceUnavailable || a.retryAfter != "3" {
				t.Fatalf("got %d Retry-After %q (%v), want 503 with Retry-After 3", a.status, a.retryAfter, a.err)
			}
			if !strings.Contains(a.body, "<html") || !strings.Contains(a.body, "busy") {
				t.Errorf("want the error page saying the service is busy, got\n%s", a.body)
			}
		})
		t.Run("HealthAndMetricsAnswer", func(t *testing.T) {
			for _, path := range []string{"/healthz", "/metrics"} {
				if a := send(ctx, client, "GET", e.srv.URL+path, "", nil); a.err != nil || a.status != http.StatusOK {
					t.Errorf("%s: %d (%v), want 200", path, a.status, a.err)
				}
			}
		})
		t.Run("CameraUploads", func(t *testing.T) {
			id, _ := age.GenerateX25519Identity()
			var clip bytes.Buffer
			w, _ := age.Encrypt(&clip, id.Recipient())
			w.Write([]byte("GIF89a a clip"))
			w.Close()
			at := e.clock.Now().Add(-time.Minute).UTC()
			url := fmt.Sprintf("%s/api/v1/device/clips?kind=video&start=%s&end=%s", e.srv.URL, at.Format(time.RFC3339), at.Add(10*time.Second).Format(time.RFC3339))
			req, _ := http.NewRequestWithContext(ctx, "POST", url, &clip)
			req.SetBasicAuth(string(cam.ID), camSecret)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				t.Fatalf("upload while people's lane is full: %d\n%s", resp.StatusCode, body)
			}
		})

		// The queued requests' wait ends: they are refused, not left hanging.
		e.clock.Advance(adm.QueueWait)
		for range 2 {
			if a := <-queued; a.err != nil || a.status != http.StatusServiceUnavailable || a.retryAfter != "3" {
				t.Errorf("queued request: %d Retry-After %q (%v), want 503 with Retry-After 3", a.status, a.retryAfter, a.err)
			}
		}
		if got := refusedCount(t, e.registry, "people"); got != 4 {
			t.Errorf("refused in people's lane: %v, want 4 (one API call, one page, two timed out)", got)
		}
		if got := refusedCount(t, e.registry, "devices"); got != 0 {
			t.Errorf("refused in devices' lane: %v, want 0", got)
		}

		// The store answers again: so does the server, with nothing to restart.
		close(stalled.release)
		for range 2 {
			if a := <-running; a.err != nil || a.status != http.StatusOK {
				t.Errorf("stalled request once released: %d (%v), want 200\n%s", a.status, a.err, a.body)
			}
		}
		for range 5 {
			if a := me(); a.err != nil || a.status != http.StatusOK {
				t.Fatalf("after recovery: %d (%v), want 200\n%s", a.status, a.err, a.body)
			}
		}
	})
}

// TestManyConnectionsAnsweredOrRefused opens 2,000 keep-alive connections
// at once against a stalled store: each request is answered 200 or refused
// 503 with Retry-After, none is reset or left hanging, and the connections
// of refused requests stay open for the next request.
func TestManyConnectionsAnsweredOrRefused(t *testing.T) {
	t.Parallel()
	const clients, inProgress, queue = 2000, 8, 32
	se := newStalledEnv(t, sqltest.SQLite(t), web.Admission{InProgress: inProgress, Queue: queue, QueueWait: time.Second})
	e, stalled, token := se.env, se.stalled, se.token
	ctx := testkit.Deadline(t)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	t.Cleanup(client.CloseIdleConnections)
	round := func() chan answer {
		out := make(chan answer, clients)
		var start sync.WaitGroup
		start.Add(1)
		for range clients {
			go func() {
				start.Wait()
				out <- send(ctx, client, "GET", e.srv.URL+"/api/v1/me", token, nil)
			}()
		}
		start.Done()
		return out
	}
	check := func(a answer) {
		t.Helper()
		switch {
		case a.err != nil:
			t.Fatalf("request failed: %v", a.err)
		case a.status == http.StatusOK:
		case a.status == http.StatusServiceUnavailable && a.retryAfter != "":
		default:
			t.Fatalf("got %d Retry-After %q, want 200, or 503 with Retry-After\n%s", a.status, a.retryAfter, a.body)
		}
	}

	// With the store stalled, all but the running and queued requests are
	// refused while it still is.
	first := round()
	for range clients - inProgress - queue {
		a := <-first
		check(a)
		if a.status != http.StatusServiceUnavailable {
			t.Fatalf("got %d while the store is stalled, want 503", a.status)
		}
	}
	close(stalled.release)
	for range inProgress + queue {
		if a := <-first; a.err != nil || a.status != http.StatusOK {
			t.Fatalf("admitted request: %d (%v), want 200\n%s", a.status, a.err, a.body)
		}
	}

	// Once it answers, every connection carries a next request.
	second, reused := round(), 0
	for range clients {
		a := <-second
		check(a)
		if a.reused {
			reused++
		}
	}
	if reused < clients*9/10 {
		t.Errorf("%d of %d second requests went on a kept-alive connection, want nearly all", reused, clients)
	}
}

// TestQueueWaitsWhileLaneMoves checks that a queued request is not refused
// when its wait ends if the lane has moved meanwhile: a slow but working
// store is served in turn, not refused.
func TestQueueWaitsWhileLaneMoves(t *testing.T) {
	t.Parallel()
	adm := web.Admission{InProgress: 1, Queue: 2, QueueWait: 300 * time.Millisecond}
	se := newStalledEnv(t, sqltest.SQLite(t), adm)
	e, stalled, token := se.env, se.stalled, se.token
	ctx := testkit.Deadline(t)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	t.Cleanup(client.CloseIdleConnections)
	answers := make(chan answer, 3)
	me := func() { answers <- send(ctx, client, "GET", e.srv.URL+"/api/v1/me", token, nil) }

	timersBefore := e.clock.Timers()
	go me()
	stalled.waitEntered(t, ctx, 1)
	go me()
	go me()
	if err := e.clock.WaitTimers(ctx, timersBefore+2); err != nil {
		t.Fatal("requests never queued:", err)
	}
	stalled.release <- struct{}{} // the first finishes; the second runs
	stalled.waitEntered(t, ctx, 1)
	e.clock.Advance(adm.QueueWait) // the third's wait ends, in a lane that moved
	stalled.release <- struct{}{}
	stalled.waitEntered(t, ctx, 1)
	stalled.release <- struct{}{}
	for range 3 {
		if a := <-answers; a.err != nil || a.status != http.StatusOK {
			t.Errorf("got %d (%v), want 200: the lane kept moving\n%s", a.status, a.err, a.body)
		}
	}
	if got := refusedCount(t, e.registry, "people"); got != 0 {
		t.Errorf("refused: %v, want 0", got)
	}
}
