package vault_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hearth/internal/identity"
	"hearth/internal/randid"
	"hearth/internal/vault"
)

// TestSweepOrphans: blobs no clip references are deleted once older than
// the grace period, by the blob's modification time against the service's
// clock; referenced blobs, young orphans and keys that are not clip blobs
// stay.
func TestSweepOrphans(t *testing.T) {
	t.Parallel()
	forEachEnv(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		cfg := testConfig()
		cfg.PurgeBatch = 2 // several batches, across households
		svc := vault.NewService(vault.Deps{Store: e.store, Blobs: e.blobs, Households: e.hh, Clock: e.clock, Config: cfg})

		kept := e.put(t, e.encrypt(t, []byte("kept"), e.ana))
		up := e.upload()
		up.Household = e.hb
		keptB, _, err := svc.Put(ctx, up, bytes.NewReader(e.encrypt(t, []byte("kept b"), e.eve)), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		newKey := func(hh string) string {
			id, err := randid.New(rand.Reader, "c")
			if err != nil {
				t.Fatal(err)
			}
			return "clips/" + hh + "/" + id + ".age"
		}
		keyOf := func(hh string, c *vault.Clip) string { return "clips/" + hh + "/" + string(c.ID) + ".age" }
		var (
			oldA, oldB, oldC = newKey(string(e.ha)), newKey(string(e.hb)), newKey(string(e.ha))
			misfiled         = keyOf(string(e.hb), kept) // kept's id, but not its household
			young            = newKey(string(e.ha))
			foreign          = "clips/" + string(e.ha) + "/notes.txt"
		)
		for _, k := range []string{oldA, oldB, oldC, misfiled, young, foreign} {
			if _, err := e.blobs.Put(ctx, k, bytes.NewReader([]byte("partial upload"))); err != nil {
				t.Fatal(err)
			}
		}
		// Modification times as the clock sees them: two hours ago for
		// everything but the young orphan, written ten minutes ago.
		for _, k := range []string{oldA, oldB, oldC, misfiled, foreign, keyOf(string(e.ha), kept), keyOf(string(e.hb), keptB), young} {
			at := e.clock.Now().Add(-2 * time.Hour)
			if k == young {
				at = e.clock.Now().Add(-10 * time.Minute)
			}
			if err := os.Chtimes(filepath.Join(e.dir, "blobs", filepath.FromSlash(k)), at, at); err != nil {
				t.Fatal(err)
			}
		}

		if n, err := svc.SweepOrphans(ctx); n != 4 || err != nil {
			t.Fatalf("SweepOrphans = %d, %v; want 4", n, err)
		}
		want := []string{keyOf(string(e.ha), kept), keyOf(string(e.hb), keptB), young, foreign}
		sort.Strings(want)
		if diff := cmp.Diff(want, e.blobKeys(t)); diff != "" {
			t.Errorf("blobs after the sweep (-want +got):\n%s", diff)
		}
		for c, user := range map[*vault.Clip]identity.UserID{kept: e.ana, keptB: e.eve} {
			if _, rc, err := svc.Open(ctx, user, c.ID); err != nil {
				t.Errorf("Open(%s) after the sweep: %v", c.ID, err)
			} else {
				rc.Close()
			}
		}

		// An hour later the young orphan is past the grace period too.
		e.clock.Advance(time.Hour)
		if n, err := svc.SweepOrphans(ctx); n != 1 || err != nil {
			t.Fatalf("second SweepOrphans = %d, %v; want 1", n, err)
		}
		want = []string{keyOf(string(e.ha), kept), keyOf(string(e.hb), keptB), foreign}
		sort.Strings(want)
		if diff := cmp.Diff(want, e.blobKeys(t)); diff != "" {
			t.Errorf("blobs after the second sweep (-want +got):\n%s", diff)
		}
	})
}
