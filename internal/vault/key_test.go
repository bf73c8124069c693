package vault_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/google/go-cmp/cmp"

	"hearth/internal/apperr"
	"hearth/internal/vault"
)

const passphrase = "correct horse battery staple"

func TestMemberKey_RoundTrip(t *testing.T) {
	t.Parallel()
	forEachEnv(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		id, recipient, wrapped, err := vault.NewMemberKey(passphrase, vault.WithWorkFactor(10))
		if err != nil {
			t.Fatal(err)
		}
		if recipient != id.Recipient().String() {
			t.Errorf("recipient %s is not the identity's %s", recipient, id.Recipient())
		}
		if bytes.Contains(wrapped, []byte("AGE-SECRET-KEY-")) {
			t.Fatal("the wrapped identity holds the identity in the clear")
		}
		if err := e.svc.SetKey(ctx, e.ana, recipient, wrapped); err != nil {
			t.Fatalf("SetKey: %v", err)
		}
		gotR, gotW, err := e.svc.Key(ctx, e.ana)
		if err != nil || gotR != recipient || !bytes.Equal(gotW, wrapped) {
			t.Fatalf("Key = %s, %d bytes, %v", gotR, len(gotW), err)
		}
		// Another browser unlocks it with the passphrase alone.
		unlocked, err := vault.UnlockMemberKey(gotW, passphrase)
		if err != nil {
			t.Fatalf("UnlockMemberKey: %v", err)
		}
		if unlocked.String() != id.String() {
			t.Error("UnlockMemberKey returned another identity")
		}
		// And it decrypts a clip made for the recipient.
		r, _ := age.ParseX25519Recipient(gotR)
		var buf bytes.Buffer
		w, _ := age.Encrypt(&buf, r)
		w.Write([]byte(marker))
		w.Close()
		if pt := decrypt(t, &buf, unlocked); string(pt) != marker {
			t.Errorf("decrypted %q", pt)
		}
		_, err = vault.UnlockMemberKey(gotW, "wrong passphrase, long enough")
		wantCode(t, "UnlockMemberKey(wrong passphrase)", err, apperr.Invalid)
		_, err = vault.UnlockMemberKey([]byte(id.String()), passphrase)
		wantCode(t, "UnlockMemberKey(plaintext)", err, apperr.Invalid)

		// Own key only: others have none until they set one.
		_, _, err = e.svc.Key(ctx, e.bob)
		wantCode(t, "Key(no key)", err, apperr.NotFound)

		// Recipients lists members with keys, skipping those without.
		if err := e.svc.SetKey(ctx, e.eve, e.recipient(e.eve).String(), mustWrap(t, e.ids[e.eve], passphrase)); err != nil {
			t.Fatal(err)
		}
		got, err := e.svc.Recipients(ctx, e.ha)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{recipient}, got); diff != "" {
			t.Errorf("Recipients(ha) (-want +got):\n%s", diff)
		}
		_, err = e.svc.Recipients(ctx, "h_none")
		wantCode(t, "Recipients(unknown household)", err, apperr.NotFound)
		wantCode(t, "SetKey(unknown user)", e.svc.SetKey(ctx, "u_none", recipient, wrapped), apperr.NotFound)
	})
}

func TestSetKey_Validation(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := newEnv(t, "sqlite:"+dir+"/hearth.db", dir)
	id := e.ids[e.ana]
	recipient := id.Recipient().String()
	good := mustWrap(t, id, passphrase)

	toX25519 := e.encrypt(t, []byte(id.String()), e.ana)
	weak := func() []byte {
		r, _ := age.NewScryptRecipient(passphrase)
		r.SetWorkFactor(9) // below the test floor of 10
		var buf bytes.Buffer
		w, _ := age.Encrypt(&buf, r)
		w.Write([]byte(id.String()))
		w.Close()
		return buf.Bytes()
	}()
	hdr, _ := age.ExtractHeader(bytes.NewReader(good))
	huge := append(bytes.Clone(good), bytes.Repeat([]byte{0}, vault.MaxKeySize)...)

	for _, tc := range []struct {
		name      string
		recipient string
		wrapped   []byte
		code      apperr.Code
	}{
		{"OK", recipient, good, ""},
		{"ErrRecipient", "age1xyz", good, apperr.Invalid},
		{"ErrRecipientIsIdentity", id.String(), good, apperr.Invalid},
		{"ErrRecipientUpperCase", strings.ToUpper(recipient), good, apperr.Invalid},
		{"ErrPlaintextIdentity", recipient, []byte(id.String() + "\n"), apperr.Invalid},
		{"ErrPlaintextKeygenFile", recipient, []byte("# public key: " + recipient + "\n" + id.String() + "\n"), apperr.Invalid},
		{"ErrNotScrypt", recipient, toX25519, apperr.Invalid},
		{"ErrWeakScrypt", recipient, weak, apperr.Invalid},
		{"ErrHeaderOnly", recipient, hdr, apperr.Invalid},
		{"ErrTooLarge", recipient, huge, apperr.Invalid},
		{"ErrEmpty", recipient, nil, apperr.Invalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, "SetKey", e.svc.SetKey(context.Background(), e.ana, tc.recipient, tc.wrapped), tc.code)
		})
	}
}

func TestNewMemberKey_Passphrase(t *testing.T) {
	t.Parallel()
	_, _, _, err := vault.NewMemberKey("short", vault.WithWorkFactor(10))
	wantCode(t, "NewMemberKey(short passphrase)", err, apperr.Invalid)
}

// TestNewMemberKey_DefaultWorkFactor checks that without the option the
// key uses age's default cost, which the production floor accepts.
func TestNewMemberKey_DefaultWorkFactor(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("scrypt at full cost takes about a second")
	}
	_, _, wrapped, err := vault.NewMemberKey(passphrase)
	if err != nil {
		t.Fatal(err)
	}
	hdr, err := age.ExtractHeader(bytes.NewReader(wrapped))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(hdr, []byte("-> scrypt ")) || !bytes.Contains(hdr, []byte(" 18\n")) {
		t.Errorf("header %q is not scrypt with work factor 18", hdr)
	}
}
