package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"hearth/internal/household"
	"hearth/internal/identity"
	"hearth/internal/sqlstore/sqltest"
)

// The seeder runs on both stores and leaves what the benchmark lists: the
// sessions and clips it says, reachable with the token it prints.
func TestSeed(t *testing.T) {
	sqltest.ForEach(t, func(t *testing.T, url string) {
		ctx := context.Background()
		data := t.TempDir()
		var out, errs bytes.Buffer
		if err := run(ctx, []string{"--data", data, "--db", url, "--sessions", "3", "--clips", "4"}, &out, &errs); err != nil {
			t.Fatalf("run: %v\n%s", err, errs.String())
		}
		got := parseLines(t, out.String())
		for _, k := range []string{"HEARTH_USER", "HEARTH_TOKEN", "HEARTH_HOUSEHOLD", "HEARTH_DEVICE"} {
			if got[k] == "" {
				t.Fatalf("no %s in\n%s", k, out.String())
			}
		}
		if got["HEARTH_SESSIONS"] != "3" || got["HEARTH_CLIPS"] != "4" {
			t.Errorf("counts: %q", out.String())
		}

		svc, err := open(ctx, options{data: data, db: url})
		if err != nil {
			t.Fatal(err)
		}
		defer svc.close()
		_, u, err := svc.identity.AuthenticateToken(ctx, got["HEARTH_TOKEN"])
		if err != nil || string(u.ID) != got["HEARTH_USER"] {
			t.Fatalf("token: %v, %v", u, err)
		}
		sessions, err := svc.identity.ListSessions(ctx, identity.UserID(got["HEARTH_USER"]))
		if err != nil || len(sessions) != 3 {
			t.Errorf("sessions: %d, %v", len(sessions), err)
		}
		clips, err := svc.vault.List(ctx, u.ID, household.ID(got["HEARTH_HOUSEHOLD"]), time.Time{}, time.Time{}, 100)
		if err != nil || len(clips) != 4 {
			t.Fatalf("clips: %d, %v", len(clips), err)
		}
		// The blobs are where hearth serve looks for them by default.
		_, r, err := svc.vault.Open(ctx, u.ID, clips[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		n, err := io.Copy(io.Discard, r)
		r.Close()
		if err != nil || n != clips[0].Size {
			t.Errorf("clip content: %d bytes of %d, %v", n, clips[0].Size, err)
		}
	})
}

func TestSeed_DefaultStoreIsTheDataDirectorys(t *testing.T) {
	data := t.TempDir()
	o, err := parseOptions([]string{"--data", data}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if want := "sqlite:" + filepath.Join(data, "hearth.db"); o.db != want {
		t.Errorf("db %q, want %q", o.db, want)
	}
}

func TestSeed_RefusesBadCommandLines(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"--data", " "},
		{"--data", "d", "--sessions", "0"},
		{"--data", "d", "--clips", "-1"},
		{"--data", "d", "--clips", strconv.Itoa(maxCount + 1)},
		{"--data", "d", "extra"},
		{"--data", "d", "--sessions", "many"},
	} {
		if _, err := parseOptions(args, io.Discard); err == nil {
			t.Errorf("%q: accepted", args)
		}
	}
}

func parseLines(t *testing.T, s string) map[string]string {
	t.Helper()
	m := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			t.Fatalf("not KEY=value: %q", sc.Text())
		}
		m[k] = v
	}
	return m
}

// The script that uses the seeder parses, and refuses bad settings before
// building or starting anything.
func TestBenchScript(t *testing.T) {
	script := filepath.Join("..", "bench-api.sh")
	if out, err := exec.Command("bash", "-n", script).CombinedOutput(); err != nil {
		t.Fatalf("bash -n: %v\n%s", err, out)
	}
	for setting, want := range map[string]string{
		"BENCH_ROUNDS=0":          "BENCH_ROUNDS=0: use 1 to 99",
		"BENCH_CONNS=1":           "wrk needs at least one connection per thread",
		"BENCH_CONNS=many":        "many is not a connection count",
		"BENCH_CASES=feed:sqlite": "unknown case feed:sqlite",
		"BENCH_DURATION=soon":     "duration soon",
		"BENCH_PB_QUERY=a;b":      "BENCH_PB_QUERY",
	} {
		cmd := exec.Command("bash", script)
		cmd.Env = append(os.Environ(), setting)
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), want) {
			t.Errorf("%s: %v, %q; want an error saying %q", setting, err, out, want)
		}
	}
}
