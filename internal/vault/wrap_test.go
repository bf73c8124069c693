package vault_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/google/go-cmp/cmp"

	"hearth/internal/apperr"
	"hearth/internal/identity"
	"hearth/internal/vault"
)

// rewrap is what a member's client does to share clip c: fetch its header,
// open the file key with the member's identity, wrap it for the recipient.
func rewrap(t testing.TB, e *env, c *vault.Clip, member, to identity.UserID) []byte {
	t.Helper()
	_, rc, err := e.svc.Open(context.Background(), member, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	hdr, err := age.ExtractHeader(rc)
	if err != nil {
		t.Fatal(err)
	}
	h, err := vault.Rewrap(hdr, e.ids[member], e.recipient(to))
	if err != nil {
		t.Fatalf("Rewrap: %v", err)
	}
	return h
}

func TestRewrap_ShareWithoutReupload(t *testing.T) {
	t.Parallel()
	forEachEnv(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		plaintext := []byte("porch at night " + marker)
		c := e.put(t, e.encrypt(t, plaintext, e.ana, e.bob))
		blobsBefore := e.blobKeys(t)
		carol := e.recipient(e.carol).String()

		// The agency (carol) cannot read the clip as stored.
		_, rc, _ := e.svc.Open(ctx, e.ana, c.ID)
		stored := readAll(t, rc)
		if _, err := age.Decrypt(bytes.NewReader(stored), e.ids[e.carol]); err == nil {
			t.Fatal("a non-recipient decrypted the stored clip")
		}

		if err := e.svc.AddWrap(ctx, e.bob, c.ID, carol, rewrap(t, e, c, e.bob, e.carol)); err != nil {
			t.Fatalf("AddWrap: %v", err)
		}
		rc2, err := e.svc.OpenFor(ctx, c.ID, carol)
		if err != nil {
			t.Fatalf("OpenFor: %v", err)
		}
		served := readAll(t, rc2)
		if pt := decrypt(t, bytes.NewReader(served), e.ids[e.carol]); !bytes.Equal(pt, plaintext) {
			t.Errorf("carol decrypted %q, want %q", pt, plaintext)
		}
		// The payload served is the original one, byte for byte.
		if !bytes.Equal(served[len(served)-int(c.Size-c.HeaderSize):], stored[c.HeaderSize:]) {
			t.Error("OpenFor served a payload other than the stored one")
		}
		// Members cannot read carol's version; carol's header names no member.
		if _, err := age.Decrypt(bytes.NewReader(served), e.ids[e.ana]); err == nil {
			t.Error("a member decrypted the version made for carol")
		}
		if diff := cmp.Diff(blobsBefore, e.blobKeys(t)); diff != "" {
			t.Errorf("sharing changed the blobs (-before +after):\n%s", diff)
		}
		ws, err := e.svc.ListWraps(ctx, e.ana, c.ID)
		if err != nil || len(ws) != 1 || ws[0].Recipient != carol || ws[0].CreatedBy != e.bob {
			t.Errorf("ListWraps = %v, %v", ws, err)
		}

		if err := e.svc.RemoveWrap(ctx, e.ana, c.ID, carol); err != nil {
			t.Fatalf("RemoveWrap: %v", err)
		}
		_, err = e.svc.OpenFor(ctx, c.ID, carol)
		wantCode(t, "OpenFor after RemoveWrap", err, apperr.NotFound)
		wantCode(t, "RemoveWrap(again)", e.svc.RemoveWrap(ctx, e.ana, c.ID, carol), apperr.NotFound)
	})
}

// TestOpenForMember_LateMember: a member who joins after a clip was recorded
// reads it through the wrap another member made for their key.
func TestOpenForMember_LateMember(t *testing.T) {
	t.Parallel()
	forEachEnv(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		plaintext := []byte("before dan moved in")
		c := e.put(t, e.encrypt(t, plaintext, e.ana))
		e.kit.Member(t, e.ana, e.ha, e.dan)
		// Ana's version before dan has a key or a wrap.
		_, rc, err := e.svc.OpenForMember(ctx, e.dan, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := age.Decrypt(bytes.NewReader(readAll(t, rc)), e.ids[e.dan]); err == nil {
			t.Fatal("dan decrypted a clip never wrapped for him")
		}
		danKey, danRecipient := e.ids[e.dan], e.recipient(e.dan).String()
		if err := e.svc.SetKey(ctx, e.dan, danRecipient, mustWrap(t, danKey, "dan's long passphrase")); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.AddWrap(ctx, e.ana, c.ID, danRecipient, rewrap(t, e, c, e.ana, e.dan)); err != nil {
			t.Fatal(err)
		}
		_, rc, err = e.svc.OpenForMember(ctx, e.dan, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if pt := decrypt(t, rc, danKey); !bytes.Equal(pt, plaintext) {
			t.Errorf("dan decrypted %q", pt)
		}
		rc.Close()
		// Ana, with no wrap of her own, still gets the original.
		_, rc, _ = e.svc.OpenForMember(ctx, e.ana, c.ID)
		if pt := decrypt(t, rc, e.ids[e.ana]); !bytes.Equal(pt, plaintext) {
			t.Errorf("ana decrypted %q", pt)
		}
		rc.Close()
	})
}

// mustWrap encrypts an existing identity under passphrase, as NewMemberKey
// does for a fresh one.
func mustWrap(t testing.TB, id *age.X25519Identity, passphrase string) []byte {
	t.Helper()
	r, err := age.NewScryptRecipient(passphrase)
	if err != nil {
		t.Fatal(err)
	}
	r.SetWorkFactor(10)
	var buf bytes.Buffer
	w, _ := age.Encrypt(&buf, r)
	w.Write([]byte(id.String() + "\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestAddWrap_Validation(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := newEnv(t, "sqlite:"+dir+"/hearth.db", dir)
	ctx := context.Background()
	c := e.put(t, e.encrypt(t, []byte("x"), e.ana))
	good := rewrap(t, e, c, e.ana, e.carol)
	carol := e.recipient(e.carol).String()
	scryptHeader, _ := age.ExtractHeader(bytes.NewReader(mustWrap(t, e.ids[e.carol], "passphrase")))
	twoStanzas, _ := age.ExtractHeader(bytes.NewReader(e.encrypt(t, nil, e.carol, e.dan)))
	for _, tc := range []struct {
		name      string
		recipient string
		header    []byte
		code      apperr.Code
	}{
		{"OK", carol, good, ""},
		{"OKTwoX25519Stanzas", carol, twoStanzas, ""},
		{"ErrRecipient", "age1notakey", good, apperr.Invalid},
		{"ErrRecipientUpperCase", strings.ToUpper(carol), good, apperr.Invalid},
		{"ErrRecipientIdentity", e.ids[e.carol].String(), good, apperr.Invalid},
		{"ErrNotAge", carol, []byte("hello"), apperr.Invalid},
		{"ErrTrailingData", carol, append(bytes.Clone(good), "payload"...), apperr.Invalid},
		{"ErrScrypt", carol, scryptHeader, apperr.Invalid},
		{"ErrTooLarge", carol, bigHeader(t, e), apperr.Invalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, "AddWrap", e.svc.AddWrap(ctx, e.ana, c.ID, tc.recipient, tc.header), tc.code)
		})
	}
}

// bigHeader is a valid X25519 header longer than MaxWrapSize.
func bigHeader(t testing.TB, e *env) []byte {
	var rs []age.Recipient
	for range 60 {
		id, _ := age.GenerateX25519Identity()
		rs = append(rs, id.Recipient())
	}
	var buf bytes.Buffer
	w, _ := age.Encrypt(&buf, rs...)
	w.Close()
	h, err := age.ExtractHeader(&buf)
	if err != nil || len(h) <= vault.MaxWrapSize {
		t.Fatalf("big header: %d bytes, %v", len(h), err)
	}
	return h
}

// TestIsolation: to a member of another household, a clip is exactly as
// absent as one that does not exist — the same code and message everywhere.
func TestIsolation(t *testing.T) {
	t.Parallel()
	forEachEnv(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.put(t, e.encrypt(t, []byte(marker), e.ana))
		carol := e.recipient(e.carol).String()
		hdr := rewrap(t, e, c, e.ana, e.carol)
		if err := e.svc.AddWrap(ctx, e.ana, c.ID, carol, hdr); err != nil {
			t.Fatal(err)
		}
		probes := map[string]func(id vault.ClipID) error{
			"Open": func(id vault.ClipID) error { _, _, err := e.svc.Open(ctx, e.eve, id); return err },
			"OpenForMember": func(id vault.ClipID) error {
				_, _, err := e.svc.OpenForMember(ctx, e.eve, id)
				return err
			},
			"Delete": func(id vault.ClipID) error { return e.svc.Delete(ctx, e.eve, id) },
			"AddWrap": func(id vault.ClipID) error {
				return e.svc.AddWrap(ctx, e.eve, id, e.recipient(e.eve).String(), hdr)
			},
			"RemoveWrap": func(id vault.ClipID) error { return e.svc.RemoveWrap(ctx, e.eve, id, carol) },
			"ListWraps":  func(id vault.ClipID) error { _, err := e.svc.ListWraps(ctx, e.eve, id); return err },
		}
		for name, probe := range probes {
			t.Run(name, func(t *testing.T) {
				errReal, errNone := probe(c.ID), probe("c_aaaaaaaaaaaaaaaaaaaaaaaaaa")
				wantCode(t, name+"(other household's clip)", errReal, apperr.NotFound)
				if apperr.MessageOf(errReal) != apperr.MessageOf(errNone) || apperr.CodeOf(errReal) != apperr.CodeOf(errNone) {
					t.Errorf("%s: %q for a hidden clip, %q for no clip", name, apperr.MessageOf(errReal), apperr.MessageOf(errNone))
				}
			})
		}
		_, errReal := e.svc.List(ctx, e.eve, e.ha, c.Start, c.End, 0)
		_, errNone := e.svc.List(ctx, e.eve, "h_none", c.Start, c.End, 0)
		wantCode(t, "List(other household)", errReal, apperr.NotFound)
		if apperr.MessageOf(errReal) != apperr.MessageOf(errNone) {
			t.Errorf("List: %q for another household, %q for none", apperr.MessageOf(errReal), apperr.MessageOf(errNone))
		}
		// Eve's own household shows nothing of it either.
		if list, err := e.svc.List(ctx, e.eve, e.hb, c.Start, c.End.Add(1), 0); err != nil || len(list) != 0 {
			t.Errorf("List(hb) = %v, %v", clipIDs(list), err)
		}
		// And the clip and its wrap are untouched.
		if _, rc, err := e.svc.Open(ctx, e.ana, c.ID); err != nil {
			t.Errorf("Open by its member after the probes: %v", err)
		} else {
			rc.Close()
		}
		if rc, err := e.svc.OpenFor(ctx, c.ID, carol); err != nil {
			t.Errorf("OpenFor after the probes: %v", err)
		} else {
			rc.Close()
		}
	})
}
