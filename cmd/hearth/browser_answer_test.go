package main

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserResidentAnswersRequest walks the demo's request through in a
// real browser: a member of the demo home opens the request that reached
// it, picks a clip from the window and shares it (the browser wraps the
// clip's key for the agency's key); the officer then loads the agency's
// key file and the browser decrypts the clip; the member sees it opened.
func TestBrowserResidentAnswersRequest(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t)
	m, st, _ := startTestDemo(t)
	n := st.Neighbourhood
	if n == nil {
		t.Fatal("the demo has no neighbourhood")
	}
	ana := st.Members[0]
	anaID, err := m.Identity.LookUp(context.Background(), ana.Email)
	if err != nil {
		t.Fatal(err)
	}
	request := m.URL() + "/requests/" + string(n.Request)

	err = chromedp.Do(ctx,
		chromedp.EmulateViewport(360, 740),
		browserLogIn(m.URL(), ana.Email, ana.Password),
		chromedp.Navigate(request),
		waitVisible(chromedp.CSS("form.submit-form")),
		// Nothing chosen: a message, nothing sent.
		chromedp.Click(chromedp.CSS("button.share-clips")),
		waitVisible(chromedp.CSS(".submit-status.error")),
		chromedp.Click(chromedp.CSS(`form.submit-form input[name="clip"]`)),
		chromedp.SendKeys(chromedp.CSS(`form.submit-form textarea[name="note"]`), "The car is in the first seconds."),
		chromedp.SendKeys(chromedp.CSS(`form.submit-form input[name="passphrase"]`), ana.Passphrase),
		chromedp.Click(chromedp.CSS("button.share-clips")),
		waitVisible(chromedp.CSS("li.submission button.withdraw")),
		fitsWidth(t, "request"),
	)
	if err != nil {
		t.Fatalf("answer the request: %v", err)
	}
	subs, err := m.Neighbors.HouseholdSubmissions(context.Background(), anaID, st.Household)
	if err != nil || len(subs) != 1 || len(subs[0].Clips) != 1 || subs[0].Note != "The car is in the first seconds." {
		t.Fatalf("submissions after sharing: %+v, %v", subs, err)
	}

	// The officer opens it with the agency's key, in the browser.
	err = chromedp.Do(ctx,
		chromedp.Navigate(m.URL()+"/account"),
		waitVisible(chromedp.ID("logout")),
		chromedp.Click(chromedp.ID("logout")),
		waitVisible(chromedp.CSS(`header a[href="/login"]`)),
		browserLogInWith(t, m.URL(), n.Officer.Email, n.Officer.Password, n.Officer.TOTP),
		chromedp.Navigate(request+"/submissions"),
		waitVisible(chromedp.CSS("li.received-clip button.open-clip")),
		chromedp.SetUploadFiles(chromedp.ID("agency-key-file"), []string{n.AgencyKey}),
		chromedp.WaitEnabled(chromedp.CSS("li.received-clip button.open-clip")),
		chromedp.Click(chromedp.CSS("li.received-clip button.open-clip")),
		waitVisible(chromedp.CSS(`li.received-clip[data-shown="true"] img.clip-media`)),
	)
	if err != nil {
		t.Fatalf("the officer opens the submission: %v", err)
	}
	size, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`(() => {
		const img = document.querySelector('li.received-clip[data-shown="true"] img.clip-media');
		return [img.naturalWidth, img.naturalHeight];
	})()`))
	if err != nil || len(size) != 2 || size[0] == 0 || size[1] == 0 {
		t.Fatalf("decrypted clip size %v, %v", size, err)
	}
	subs, err = m.Neighbors.HouseholdSubmissions(context.Background(), anaID, st.Household)
	if err != nil || len(subs) != 1 || !subs[0].Opened() {
		t.Fatalf("the submission is not marked opened: %+v, %v", subs, err)
	}
}
