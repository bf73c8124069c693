package vault_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/google/go-cmp/cmp"

	"hearth/internal/apperr"
	"hearth/internal/household"
	"hearth/internal/identity"
	"hearth/internal/vault"
)

func TestPutOpen_MembersDecrypt(t *testing.T) {
	t.Parallel()
	forEachEnv(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		plaintext := []byte("frame 1 " + marker + " frame 2")
		ct := e.encrypt(t, plaintext, e.ana, e.bob)
		up := e.upload()
		c, created, err := e.svc.Put(ctx, up, bytes.NewReader(ct), 1<<20)
		if err != nil || !created {
			t.Fatalf("Put = %v, %v, %v", c, created, err)
		}
		sum := sha256.Sum256(ct)
		want := &vault.Clip{ID: c.ID, Household: e.ha, Device: e.cam, Kind: vault.KindVideo,
			Start: up.Start, End: up.End, Size: int64(len(ct)), HeaderSize: c.HeaderSize,
			ContentHash: hex.EncodeToString(sum[:]), CreatedAt: t0}
		if diff := cmp.Diff(want, c); diff != "" {
			t.Errorf("Put clip (-want +got):\n%s", diff)
		}
		if !strings.HasPrefix(string(c.ID), "c_") || len(c.ID) != 28 {
			t.Errorf("clip id %q, want c_ and 26 base32 characters", c.ID)
		}
		if hdr, _ := age.ExtractHeader(bytes.NewReader(ct)); int64(len(hdr)) != c.HeaderSize {
			t.Errorf("HeaderSize = %d, want %d", c.HeaderSize, len(hdr))
		}
		for _, u := range []identity.UserID{e.ana, e.bob} {
			got, rc, err := e.svc.Open(ctx, u, c.ID)
			if err != nil {
				t.Fatalf("Open as %s: %v", u, err)
			}
			if diff := cmp.Diff(c, got); diff != "" {
				t.Errorf("Open clip (-want +got):\n%s", diff)
			}
			stored := readAll(t, rc)
			if !bytes.Equal(stored, ct) {
				t.Errorf("Open as %s returned %d bytes that differ from the upload", u, len(stored))
			}
			if pt := decrypt(t, bytes.NewReader(stored), e.ids[u]); !bytes.Equal(pt, plaintext) {
				t.Errorf("%s decrypted %q, want %q", u, pt, plaintext)
			}
		}
		// Listing shows it to members.
		list, err := e.svc.List(ctx, e.bob, e.ha, time.Time{}, time.Time{}, 0)
		if err != nil || len(list) != 1 || list[0].ID != c.ID {
			t.Errorf("List = %v, %v", list, err)
		}
		// Nothing at rest holds the plaintext: neither blobs nor the database.
		if n := scanForMarker(t, e.dir); n == 0 || (e.sqlite && n < 2) {
			t.Errorf("scanned %d files; the blob and the database should be among them", n)
		}
	})
}

func TestPut_Idempotent(t *testing.T) {
	t.Parallel()
	forEachEnv(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		ct := e.encrypt(t, []byte("same"), e.ana)
		first, created, err := e.svc.Put(ctx, e.upload(), bytes.NewReader(ct), 1<<20)
		if err != nil || !created {
			t.Fatalf("first Put = %v, %v", created, err)
		}
		e.clock.Advance(time.Minute)
		again, created, err := e.svc.Put(ctx, e.upload(), bytes.NewReader(ct), 1<<20)
		if err != nil || created {
			t.Fatalf("second Put = %v, %v; want the existing clip, false", created, err)
		}
		if diff := cmp.Diff(first, again); diff != "" {
			t.Errorf("second Put returned another clip (-first +second):\n%s", diff)
		}
		if keys := e.blobKeys(t); len(keys) != 1 {
			t.Errorf("blobs after two identical uploads: %v, want one", keys)
		}
		if files := e.blobFiles(t); len(files) != 1 {
			t.Errorf("files in the blob directory: %v, want one", files)
		}
		// Other bytes are another clip.
		if _, created, err := e.svc.Put(ctx, e.upload(), bytes.NewReader(e.encrypt(t, []byte("same"), e.ana)), 1<<20); err != nil || !created {
			t.Errorf("Put of a new encryption = %v, %v; want a new clip", created, err)
		}
	})
}

func TestPut_SizeLimit(t *testing.T) {
	t.Parallel()
	forEachEnv(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		ct := e.encrypt(t, bytes.Repeat([]byte("v"), 200_000), e.ana)
		for _, max := range []int64{int64(len(ct)) - 1, 100, 10} { // past the payload, inside the header, inside the intro
			_, _, err := e.svc.Put(ctx, e.upload(), bytes.NewReader(ct), max)
			wantCode(t, "Put over the limit", err, apperr.Invalid)
		}
		if files := e.blobFiles(t); len(files) != 0 {
			t.Errorf("files left behind by refused uploads: %v", files)
		}
		if list, _ := e.svc.List(ctx, e.ana, e.ha, time.Time{}, time.Time{}, 0); len(list) != 0 {
			t.Errorf("clips recorded for refused uploads: %d", len(list))
		}
		// Exactly at the limit is fine.
		if _, _, err := e.svc.Put(ctx, e.upload(), bytes.NewReader(ct), int64(len(ct))); err != nil {
			t.Errorf("Put of exactly maxBytes: %v", err)
		}
	})
}

func TestPut_RefusesNonAge(t *testing.T) {
	t.Parallel()
	forEachEnv(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		scrypt, _ := age.NewScryptRecipient("a passphrase, not a member key")
		scrypt.SetWorkFactor(10)
		var pw bytes.Buffer
		w, _ := age.Encrypt(&pw, scrypt)
		w.Write([]byte(marker))
		w.Close()
		good := e.encrypt(t, []byte(marker), e.ana)
		// A well-formed but wrong MAC: another valid base64 character in
		// its first position (flipping a bit could leave the alphabet).
		badMAC := bytes.Clone(good)
		at := bytes.Index(badMAC, []byte("--- ")) + 4
		if badMAC[at] == 'A' {
			badMAC[at] = 'B'
		} else {
			badMAC[at] = 'A'
		}
		for name, body := range map[string][]byte{
			"Plaintext":      []byte(marker + " raw video"),
			"Empty":          nil,
			"IntroOnly":      []byte("age-encryption.org/v1\n"),
			"IntroGarbage":   []byte("age-encryption.org/v1\n" + marker),
			"Armored":        []byte("-----BEGIN AGE ENCRYPTED FILE-----\n"),
			"Passphrase":     pw.Bytes(),
			"HeaderTooLarge": append([]byte("age-encryption.org/v1\n-> X25519 "), bytes.Repeat([]byte("A"), 70_000)...),
		} {
			t.Run(name, func(t *testing.T) {
				_, _, err := e.svc.Put(ctx, e.upload(), bytes.NewReader(body), 1<<20)
				wantCode(t, "Put", err, apperr.Invalid)
			})
		}
		if files := e.blobFiles(t); len(files) != 0 {
			t.Errorf("files stored for refused content: %v", files)
		}
		// The server cannot check the MAC (it has no file key): a damaged
		// header is stored, and fails only for the reader.
		if _, _, err := e.svc.Put(ctx, e.upload(), bytes.NewReader(badMAC), 1<<20); err != nil {
			t.Errorf("Put of a header with a bad MAC: %v", err)
		}
	})
}

func TestPut_Rules(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := newEnv(t, "sqlite:"+dir+"/hearth.db", dir)
	ct := e.encrypt(t, []byte("x"), e.ana)
	now := e.clock.Now()
	for _, tc := range []struct {
		name string
		edit func(*vault.Upload)
		code apperr.Code
	}{
		{"OK", func(*vault.Upload) {}, ""},
		{"OKInstant", func(u *vault.Upload) { u.Start = u.End }, ""},
		{"OKSmallSkew", func(u *vault.Upload) { u.End = now.Add(4 * time.Minute) }, ""},
		{"ErrEndBeforeStart", func(u *vault.Upload) { u.Start = u.End.Add(time.Second) }, apperr.Invalid},
		{"ErrEndInFuture", func(u *vault.Upload) { u.End = now.Add(6 * time.Minute) }, apperr.Invalid},
		{"ErrNoStart", func(u *vault.Upload) { u.Start = time.Time{} }, apperr.Invalid},
		{"ErrKind", func(u *vault.Upload) { u.Kind = "hologram" }, apperr.Invalid},
		{"ErrUnknownHousehold", func(u *vault.Upload) { u.Household = "h_none" }, apperr.NotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up := e.upload()
			tc.edit(&up)
			// Fresh ciphertext each time, so idempotency never hides a rule.
			ct = e.encrypt(t, []byte(tc.name), e.ana)
			_, _, err := e.svc.Put(context.Background(), up, bytes.NewReader(ct), 1<<20)
			wantCode(t, "Put", err, tc.code)
		})
	}
	if keys := e.blobKeys(t); len(keys) != 3 {
		t.Errorf("blobs = %v, want the 3 accepted uploads only", keys)
	}
}

func TestList_Window(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := newEnv(t, "sqlite:"+dir+"/hearth.db", dir)
	ctx := context.Background()
	var ids []vault.ClipID
	for i := range 3 {
		ids = append(ids, e.put(t, e.encrypt(t, []byte{byte(i)}, e.ana)).ID)
		e.clock.Advance(time.Hour)
	}
	got, err := e.svc.List(ctx, e.ana, e.ha, t0.Add(30*time.Minute), time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]vault.ClipID{ids[2], ids[1]}, clipIDs(got)); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
	if got, _ := e.svc.List(ctx, e.ana, e.ha, time.Time{}, time.Time{}, 1); len(got) != 1 || got[0].ID != ids[2] {
		t.Errorf("List with limit 1 = %v", clipIDs(got))
	}
	_, err = e.svc.List(ctx, e.ana, e.ha, t0.Add(time.Hour), t0, 0)
	wantCode(t, "List(from after to)", err, apperr.Invalid)
}

func clipIDs(cs []*vault.Clip) []vault.ClipID {
	out := []vault.ClipID{}
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

func TestDelete(t *testing.T) {
	t.Parallel()
	forEachEnv(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.put(t, e.encrypt(t, []byte("x"), e.ana))
		if err := e.svc.AddWrap(ctx, e.ana, c.ID, e.recipient(e.carol).String(),
			rewrap(t, e, c, e.ana, e.carol)); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Delete(ctx, e.bob, c.ID); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if keys := e.blobKeys(t); len(keys) != 0 {
			t.Errorf("blobs after Delete: %v", keys)
		}
		_, _, err := e.svc.Open(ctx, e.ana, c.ID)
		wantCode(t, "Open(deleted)", err, apperr.NotFound)
		_, err = e.svc.OpenFor(ctx, c.ID, e.recipient(e.carol).String())
		wantCode(t, "OpenFor(deleted)", err, apperr.NotFound)
		wantCode(t, "Delete(again)", e.svc.Delete(ctx, e.ana, c.ID), apperr.NotFound)
	})
}

func TestPurgeExpired(t *testing.T) {
	t.Parallel()
	forEachEnv(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		day := 24 * time.Hour
		old := e.put(t, e.encrypt(t, []byte("old"), e.ana)) // ends at t0
		e.clock.Advance(10 * day)
		recent := e.put(t, e.encrypt(t, []byte("recent"), e.ana)) // ends at t0+10d
		up := e.upload()
		up.Household = e.hb // 7-day retention
		other, _, err := e.svc.Put(ctx, up, bytes.NewReader(e.encrypt(t, []byte("b"), e.eve)), 1<<20)
		if err != nil {
			t.Fatal(err)
		}

		// At t0+10d nothing is due: ha keeps 30 days, and hb's clip is new.
		if n, err := e.svc.PurgeExpired(ctx); n != 0 || err != nil {
			t.Fatalf("PurgeExpired at day 10 = %d, %v; want 0", n, err)
		}
		// At t0+30d+1s the first ha clip is due; hb's ended 20 days ago, due too.
		e.clock.Set(t0.Add(30*day + time.Second))
		// A blob already gone (a crash between blob and row) does not stop the purge.
		if err := e.blobs.Delete(ctx, "clips/"+string(e.ha)+"/"+string(old.ID)+".age"); err != nil {
			t.Fatal(err)
		}
		if n, err := e.svc.PurgeExpired(ctx); n != 2 || err != nil {
			t.Fatalf("PurgeExpired at day 30 = %d, %v; want 2", n, err)
		}
		for _, c := range []*vault.Clip{old, other} {
			_, _, err := e.svc.Open(ctx, e.ana, c.ID)
			wantCode(t, "Open(purged "+string(c.ID)+")", err, apperr.NotFound)
		}
		if _, rc, err := e.svc.Open(ctx, e.ana, recent.ID); err != nil {
			t.Errorf("Open(kept clip): %v", err)
		} else {
			rc.Close()
		}
		if diff := cmp.Diff([]string{"clips/" + string(e.ha) + "/" + string(recent.ID) + ".age"}, e.blobKeys(t)); diff != "" {
			t.Errorf("blobs after purge (-want +got):\n%s", diff)
		}
		if n, err := e.svc.PurgeExpired(ctx); n != 0 || err != nil {
			t.Errorf("second PurgeExpired = %d, %v; want 0", n, err)
		}
	})
}

// TestPurgeExpired_Batches purges more clips than one batch holds.
func TestPurgeExpired_Batches(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := newEnv(t, "sqlite:"+dir+"/hearth.db", dir)
	cfg := testConfig()
	cfg.PurgeBatch = 2
	svc := vault.NewService(vault.Deps{Store: e.store, Blobs: e.blobs, Households: e.hh, Clock: e.clock, Config: cfg})
	for i := range 5 {
		e.put(t, e.encrypt(t, []byte{byte(i)}, e.ana))
	}
	e.clock.Advance(31 * 24 * time.Hour)
	if n, err := svc.PurgeExpired(context.Background()); n != 5 || err != nil {
		t.Errorf("PurgeExpired = %d, %v; want 5", n, err)
	}
	if keys := e.blobKeys(t); len(keys) != 0 {
		t.Errorf("blobs left: %v", keys)
	}
}

// staleStore is a Store whose DeleteClip reports NotFound without deleting,
// as a lagging replica might: the clip keeps being listed.
type staleStore struct {
	vault.Store
	lists int
}

func (s *staleStore) DeleteClip(context.Context, vault.ClipID) error {
	return apperr.E("test.DeleteClip", apperr.NotFound, "No such clip.")
}

func (s *staleStore) ListClipsEndedBefore(ctx context.Context, hh household.ID, t time.Time, limit int) ([]*vault.Clip, error) {
	if s.lists++; s.lists > 10 {
		return nil, errors.New("PurgeExpired keeps listing the same clips")
	}
	return s.Store.ListClipsEndedBefore(ctx, hh, t, limit)
}

// TestPurgeExpired_NoProgressStops: a batch in which nothing could be
// deleted ends the household's purge instead of looping on it.
func TestPurgeExpired_NoProgressStops(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := newEnv(t, "sqlite:"+dir+"/hearth.db", dir)
	e.put(t, e.encrypt(t, []byte("x"), e.ana))
	e.clock.Advance(31 * 24 * time.Hour)
	svc := vault.NewService(vault.Deps{Store: &staleStore{Store: e.store}, Blobs: e.blobs, Households: e.hh, Clock: e.clock, Config: testConfig()})
	if n, err := svc.PurgeExpired(context.Background()); n != 0 || err != nil {
		t.Errorf("PurgeExpired = %d, %v; want 0, nil", n, err)
	}
}
