package main

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"hearth/internal/identity"
	"hearth/internal/vault"
)

// browserLogIn signs in with e-mail and password (demo accounts have no
// second step) and waits for the signed-in page.
func browserLogIn(base, email, password string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		return chromedp.Do(ctx,
			chromedp.Navigate(base+"/login"),
			chromedp.SendKeys(chromedp.ID("email"), email),
			chromedp.SendKeys(chromedp.ID("password"), password),
			chromedp.Click(chromedp.ID("login")),
			waitVisible(chromedp.ID("logout")),
		)
	})
}

// clearInput empties a form field.
func clearInput(id string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](`(() => { document.getElementById(`+strconv.Quote(id)+`).value = ""; return true; })()`)(ctx, tg)
		return err
	})
}

// TestBrowserUnlocksKeyAndPlaysClip signs in as a demo member, unlocks the
// member's key with the passphrase, and plays a clip: the browser downloads
// the ciphertext and decrypts it with the bundled age implementation.
func TestBrowserUnlocksKeyAndPlaysClip(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t)
	m, st, _ := startTestDemo(t)
	ana, _ := m.Identity.LookUp(context.Background(), st.Members[0].Email)
	clips := listClips(t, m, ana, st, 1)
	// The timeline shows one day in the household's zone; open the day of
	// the newest clip, which is not today just after midnight there.
	paris, err := time.LoadLocation("Europe/Paris") // the demo household's zone
	if err != nil {
		t.Fatal(err)
	}
	timeline := m.URL() + "/households/" + string(st.Household) + "/timeline?day=" + clips[0].Start.In(paris).Format("2006-01-02")

	err = chromedp.Do(ctx,
		chromedp.EmulateViewport(360, 740),
		browserLogIn(m.URL(), st.Members[0].Email, st.Members[0].Password),
		chromedp.Navigate(timeline),
		waitVisible(chromedp.CSS("li.clip button.play")),
		waitVisible(chromedp.CSS("#unlock-form[data-ready]")),
		// A wrong passphrase is refused, with a message.
		chromedp.SendKeys(chromedp.ID("unlock-pass"), "not my passphrase"),
		chromedp.Click(chromedp.ID("unlock")),
		waitVisible(chromedp.CSS("#vault-status.error")),
		clearInput("unlock-pass"),
		chromedp.SendKeys(chromedp.ID("unlock-pass"), st.Members[0].Passphrase),
		chromedp.Click(chromedp.ID("unlock")),
		waitVisible(chromedp.ID("unlocked-section")),
		chromedp.Click(chromedp.CSS("li.clip button.play")),
		waitVisible(chromedp.CSS(`li.clip[data-played="true"] img.clip-media`)),
		fitsWidth(t, "timeline"),
	)
	if err != nil {
		t.Fatalf("unlock and play: %v", err)
	}
	// The picture decoded: the browser made an image of the decrypted GIF.
	size, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`(() => {
		const img = document.querySelector('li.clip[data-played="true"] img.clip-media');
		return [img.naturalWidth, img.naturalHeight];
	})()`))
	if err != nil || len(size) != 2 || size[0] == 0 || size[1] == 0 {
		t.Fatalf("played clip size %v, %v", size, err)
	}
	// The unlocked key stays in the tab: another page plays without asking again.
	err = chromedp.Do(ctx,
		chromedp.Navigate(timeline),
		waitVisible(chromedp.ID("unlocked-section")),
		chromedp.Click(chromedp.CSS("li.clip button.play")),
		waitVisible(chromedp.CSS(`li.clip[data-played="true"] img.clip-media`)),
		chromedp.Click(chromedp.ID("lock")),
		waitVisible(chromedp.ID("unlock-form")),
	)
	if err != nil {
		t.Fatalf("second page: %v", err)
	}
}

// TestBrowserMakesKey makes a member's key in the browser. The server
// receives a recipient and a passphrase-wrapped identity that the Go side
// (and so "age -d") unlocks with the same passphrase; the passphrase is never
// sent.
func TestBrowserMakesKey(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t)
	m := startMain(t, "")
	bg := context.Background()
	const email, password, passphrase = "cleo@example.org", "cleo's long password", "cleo's key passphrase"
	u, en, _, err := m.Identity.CreateUser(bg, email, identity.RoleResident, password)
	if err != nil {
		t.Fatal(err)
	}
	code, err := identity.TOTPCode(en.Secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx,
		chromedp.EmulateViewport(360, 740),
		chromedp.Navigate(m.URL()+"/login"),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("login")),
		waitVisible(chromedp.ID("verify")),
		chromedp.SendKeys(chromedp.ID("code"), code),
		chromedp.Click(chromedp.ID("verify")),
		waitVisible(chromedp.ID("key-link")),
		chromedp.Click(chromedp.ID("key-link")),
		waitVisible(chromedp.CSS("#create-form[data-ready]")),
		fitsWidth(t, "key"),
		// Two different passphrases are refused before anything is sent.
		chromedp.SendKeys(chromedp.ID("create-pass"), passphrase),
		chromedp.SendKeys(chromedp.ID("create-confirm"), passphrase+"!"),
		chromedp.Click(chromedp.ID("create-key")),
		waitVisible(chromedp.CSS("#vault-status.error")),
		clearInput("create-confirm"),
		chromedp.SendKeys(chromedp.ID("create-confirm"), passphrase),
		chromedp.Click(chromedp.ID("create-key")),
	)
	// The page reloads once the key is stored; wait for what only the new
	// page shows. A query begun on the old page fails when the reload takes
	// its nodes away, so it is asked again, on the new page, until the
	// browser's deadline.
	for err == nil {
		err = chromedp.Do(ctx, chromedp.WaitReady(chromedp.ID("recipient")), waitVisible(chromedp.ID("download-identity")))
		if err == nil || !lostToNavigation(err) {
			break
		}
		err = nil
	}
	if err != nil {
		t.Fatalf("make a key: %v", err)
	}
	recipient, wrapped, err := m.Vault.Key(bg, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(wrapped), passphrase) || strings.Contains(string(wrapped), "AGE-SECRET-KEY") {
		t.Fatal("the server received the passphrase or the plain identity")
	}
	id, err := vault.UnlockMemberKey(wrapped, passphrase)
	if err != nil {
		t.Fatal(err)
	}
	if id.Recipient().String() != recipient {
		t.Fatalf("the identity is for %s; the recipient is %s", id.Recipient(), recipient)
	}
	shown, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("recipient")))
	if err != nil || shown != recipient {
		t.Fatalf("page shows %q, %v", shown, err)
	}
}
