package web_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"hearth/internal/device"
	"hearth/internal/feed"
	"hearth/internal/geo"
	"hearth/internal/household"
	"hearth/internal/identity"
	"hearth/internal/neighbors"
	"hearth/internal/sqlstore/sqltest"
	"hearth/internal/vault"
)

// feedEnv is env under the name the feed tests use.
type feedEnv struct{ *env }

func newFeedEnv(t *testing.T, dbURL string) *feedEnv {
	t.Helper()
	return &feedEnv{newEnv(t, dbURL)}
}

var paris = geo.Point{Lat: 48.8566, Lng: 2.3522}

// north returns the point metres north of p.
func north(p geo.Point, metres float64) geo.Point {
	return geo.Point{Lat: p.Lat + metres/geo.EarthRadiusMeters*180/math.Pi, Lng: p.Lng}
}

// resident signs up in the browser and makes a household at p.
func (e *feedEnv) resident(t *testing.T, email string, p geo.Point) (*browser, identity.UserID, *household.Household) {
	t.Helper()
	b := e.browser(t)
	e.signUp(b, email)
	id, err := e.ids.LookUp(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	h, err := e.households.Create(context.Background(), id, household.NewHousehold{Name: "Home of " + email,
		Home: household.Location{Lat: p.Lat, Lng: p.Lng}, TimeZone: "Europe/Paris", RetentionDays: 30})
	if err != nil {
		t.Fatal(err)
	}
	return b, id, h
}

// token makes an API token for the user.
func (e *feedEnv) token(t *testing.T, user identity.UserID) string {
	t.Helper()
	tok, _, err := e.ids.CreateAPIToken(context.Background(), user, "test", []identity.Scope{identity.ScopeAccountRead, identity.ScopeAccountWrite})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

var postIDRE = regexp.MustCompile(`#(p_[a-z2-7]+)$`)

// TestFeedPages walks the feed pages as residents do: post, read near and
// far, page back, delete.
func TestFeedPages(t *testing.T) {
	t.Parallel()
	e := newFeedEnv(t, sqltest.SQLite(t))
	ctx := context.Background()
	ana, anaID, home := e.resident(t, "ana@example.org", paris)
	bob, _, _ := e.resident(t, "bob@example.org", north(paris, 1500))
	cy, _, _ := e.resident(t, "cy@example.org", north(paris, 5000))
	dee := e.browser(t)
	e.signUp(dee, "dee@example.org")

	// No household: the page says why the feed needs one.
	if p := dee.get("/feed"); p.status != 200 || !strings.Contains(p.body, `id="feed-no-household"`) || !strings.Contains(p.body, `href="/households"`) {
		t.Fatalf("feed without a household: %d\n%s", p.status, p.body)
	}
	// Ana posts; the form works without any script.
	p := ana.get("/feed")
	if p.status != 200 || !strings.Contains(p.body, `id="post-form"`) || !strings.Contains(p.body, `<option value="2000" selected>2 km</option>`) {
		t.Fatalf("feed page: %d\n%s", p.status, p.body)
	}
	form := url.Values{"csrf_token": {csrfRE.FindStringSubmatch(p.body)[1]}, "household": {string(home.ID)},
		"category": {"lost_pet"}, "text": {"Our cat Tigrou is missing.\nGrey, with a red collar."}}
	p = ana.post("/feed/posts", form)
	m := postIDRE.FindStringSubmatch(p.location)
	if p.status != http.StatusSeeOther || m == nil || !strings.HasPrefix(p.location, "/feed?household="+string(home.ID)) {
		t.Fatalf("post: %d %s\n%s", p.status, p.location, p.body)
	}
	postID := m[1]
	p = ana.get("/feed?household=" + string(home.ID))
	for _, want := range []string{"Lost pet", "Our cat Tigrou is missing.<br>Grey, with a red collar.", "less than 1 km away", "Sun 1 Mar 11:0", `class="link delete-post"`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("Ana's feed lacks %q", want)
		}
	}
	// Bob, 1.5 km away, sees it at 2 km; Cy, 5 km away, only at 10 km.
	// Posts are placed at the household's public location, not the home.
	pub := household.PublicLocation(household.Location{Lat: paris.Lat, Lng: paris.Lng})
	away := fmt.Sprintf("about %.0f km away", math.Round(geo.DistanceMeters(north(paris, 1500), geo.Point{Lat: pub.Lat, Lng: pub.Lng})/1000))
	if p := bob.get("/feed"); !strings.Contains(p.body, "Our cat Tigrou") || !strings.Contains(p.body, away) || strings.Contains(p.body, "delete-post") {
		t.Errorf("Bob's feed:\n%s", p.body)
	}
	if p := cy.get("/feed"); strings.Contains(p.body, "Tigrou") || !strings.Contains(p.body, `id="feed-empty"`) {
		t.Errorf("Cy sees a post 5 km away at 2 km")
	}
	if p := cy.get("/feed?radius_m=10000"); !strings.Contains(p.body, "Tigrou") || !strings.Contains(p.body, `<option value="10000" selected>10 km</option>`) {
		t.Errorf("Cy does not see the post at 10 km")
	}
	// Bad input and other households' feeds are refused.
	for path, want := range map[string]int{
		"/feed?radius_m=750":                   http.StatusBadRequest,
		"/feed?radius_m=far":                   http.StatusBadRequest,
		"/feed?cursor=garbage!":                http.StatusBadRequest,
		"/feed?household=" + string(home.ID):   http.StatusNotFound, // Cy is not a member
		"/feed?household=h_nosuchhousehold000": http.StatusNotFound,
	} {
		if p := cy.get(path); p.status != want {
			t.Errorf("%s: %d, want %d", path, p.status, want)
		}
	}
	// A broken post comes back with the reason and what was typed.
	form.Set("text", "   ")
	form.Set("category", "fire")
	p = ana.post("/feed/posts", form)
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "Write what your neighbours should know") || !strings.Contains(p.body, `<option value="fire" selected>`) {
		t.Errorf("empty post: %d\n%s", p.status, p.body)
	}
	// Only the author deletes.
	del := url.Values{"csrf_token": {bob.form("/feed")}, "household": {string(home.ID)}}
	if p := bob.post("/feed/posts/"+postID+"/delete", del); p.status != http.StatusForbidden {
		t.Errorf("Bob deletes Ana's post: %d", p.status)
	}
	del.Set("csrf_token", ana.form("/feed"))
	if p := ana.post("/feed/posts/"+postID+"/delete", del); p.status != http.StatusSeeOther || p.location != "/feed?household="+string(home.ID) {
		t.Errorf("Ana deletes her post: %d %s", p.status, p.location)
	}
	if p := bob.get("/feed"); strings.Contains(p.body, "Tigrou") {
		t.Error("a deleted post is still shown")
	}

	// Several households: a chooser.
	second, err := e.households.Create(ctx, anaID, household.NewHousehold{Name: "Country house", Home: household.Location{Lat: 45, Lng: 5},
		TimeZone: "Europe/Paris", RetentionDays: 30})
	if err != nil {
		t.Fatal(err)
	}
	if p := ana.get("/feed"); !strings.Contains(p.body, `id="feed-households"`) || !strings.Contains(p.body, "/feed?household="+string(second.ID)) {
		t.Errorf("no chooser for two households:\n%s", p.body)
	}
}

// TestFeedPagingAndRequests: the page shows agencies' requests among the
// posts and pages back with an "Older" link.
func TestFeedPagingAndRequests(t *testing.T) {
	t.Parallel()
	e := newFeedEnv(t, sqltest.SQLite(t))
	ctx := context.Background()
	ana, anaID, home := e.resident(t, "ana@example.org", paris)
	for i := range feed.DefaultPageSize {
		if _, err := e.feed.Post(ctx, anaID, home.ID, feed.NewPost{Category: feed.CategorySafety, Text: fmt.Sprintf("alert number %d.", i)}); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(10 * time.Second)
	}
	officer, _, _, err := e.ids.CreateUser(ctx, "officer@example.org", identity.RoleAgencyOfficer, "a long officer passphrase")
	if err != nil {
		t.Fatal(err)
	}
	admin, _, _, err := e.ids.CreateUser(ctx, "admin@example.org", identity.RoleAdmin, "a long admin passphrase")
	if err != nil {
		t.Fatal(err)
	}
	ag, err := e.neighbors.RegisterAgency(ctx, neighbors.Actor{ID: officer.ID, Role: officer.Role}, neighbors.NewAgency{Name: "Paris Police", Jurisdiction: "Paris", Kind: neighbors.AgencyPolice})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.neighbors.VerifyAgency(ctx, neighbors.Actor{ID: admin.ID, Role: admin.Role}, ag.ID); err != nil {
		t.Fatal(err)
	}
	end := e.clock.Now().Add(-time.Hour)
	req, err := e.neighbors.PostRequest(ctx, neighbors.Actor{ID: officer.ID, Role: officer.Role}, ag.ID, neighbors.NewRequest{
		IncidentType: "burglary", Title: "Break-in on rue de Rivoli", Description: "Footage of the street, please.",
		CaseNumber: "PP-1", Contact: "Det. Martin", WindowStart: end.Add(-2 * time.Hour), WindowEnd: end,
		Area: geo.Area{Circle: &geo.Circle{Center: north(paris, 400), RadiusMeters: 300}}, NotAboutLawfulActivity: true})
	if err != nil {
		t.Fatal(err)
	}

	p := ana.get("/feed")
	first := strings.Index(p.body, `<li class="request" id="`+string(req.ID)+`">`)
	if first < 0 || first > strings.Index(p.body, `<li class="post"`) {
		t.Fatalf("the request is not first, newest:\n%s", p.body)
	}
	for _, want := range []string{"Paris Police", `href="/requests/` + string(req.ID) + `"`, "Break-in on rue de Rivoli", "less than 1 km away", "burglary · footage from"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the request line lacks %q", want)
		}
	}
	if strings.Count(p.body, `<li class="post"`) != feed.DefaultPageSize-1 || strings.Contains(p.body, "alert number 0.") {
		t.Errorf("%d posts on the first page", strings.Count(p.body, `<li class="post"`))
	}
	older := regexp.MustCompile(`href="([^"]+)" id="older"`).FindStringSubmatch(p.body)
	if older == nil {
		t.Fatal("no link to older items")
	}
	p = ana.get(strings.ReplaceAll(older[1], "&amp;", "&"))
	if p.status != 200 || strings.Count(p.body, `<li class="post"`) != 1 || !strings.Contains(p.body, "alert number 0.") || strings.Contains(p.body, `id="older"`) {
		t.Errorf("the older page: %d\n%s", p.status, p.body)
	}
}

// TestFeedAPI posts, reads and deletes through the JSON API, and shares a
// clip the way the browser does: the neighbour decrypts it with the key in
// the feed, someone far away cannot fetch it.
func TestFeedAPI(t *testing.T) {
	t.Parallel()
	sqltest.ForEach(t, func(t *testing.T, dbURL string) { testFeedAPI(t, newFeedEnv(t, dbURL)) })
}

func testFeedAPI(t *testing.T, e *feedEnv) {
	ctx := context.Background()
	anaB, anaID, home := e.resident(t, "ana@example.org", paris)
	bobB, bobID, bobHome := e.resident(t, "bob@example.org", north(paris, 1000))
	_, cyID, _ := e.resident(t, "cy@example.org", north(paris, 30000))
	ana, bob, cy := e.token(t, anaID), e.token(t, bobID), e.token(t, cyID)

	// A clip of Ana's camera, encrypted to her key.
	member, recipient, wrapped, err := vault.NewMemberKey("ana's long key passphrase", vault.WithWorkFactor(10))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.vault.SetKey(ctx, anaID, recipient, wrapped); err != nil {
		t.Fatal(err)
	}
	code, _, err := e.devices.StartPairing(ctx, anaID, home.ID, device.KindDoorbell, "Front door")
	if err != nil {
		t.Fatal(err)
	}
	cam, _, err := e.devices.Pair(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	const plaintext = "GIF89a someone at the door"
	var ct bytes.Buffer
	w, _ := age.Encrypt(&ct, member.Recipient())
	w.Write([]byte(plaintext))
	w.Close()
	start := e.clock.Now().Add(-time.Hour)
	clip, _, err := e.vault.Put(ctx, vault.Upload{Household: home.ID, Device: cam.ID, Kind: vault.KindVideo, Start: start, End: start.Add(12 * time.Second)}, bytes.NewReader(ct.Bytes()), 1<<20)
	if err != nil {
		t.Fatal(err)
	}

	// The page offers the clip, with the warning, in a part the script
	// shows and enables: without a script the form posts text only.
	p := anaB.get("/feed")
	for _, want := range []string{`<fieldset id="clip-share"`, `data-recipient="` + recipient + `" hidden>`, `<option value="` + string(clip.ID) + `">`,
		`<select id="post-clip" name="clip_id" disabled>`, `name="post_key" id="post-key" disabled>`, "Hearth's server", `src="/static/feed.js"`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("Ana's feed page lacks %q", want)
		}
	}
	if p := bobB.get("/feed"); strings.Contains(p.body, string(clip.ID)) || strings.Contains(p.body, "clip-share") {
		t.Error("Bob is offered Ana's clip")
	}

	// The browser's part: a post key, the clip's file key wrapped for it.
	postKey, _ := age.GenerateX25519Identity()
	header, err := vault.Rewrap(ct.Bytes(), member, postKey.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	body := fmt.Sprintf(`{"household_id":%q,"category":"suspicious","text":"He tried our door.","clip_id":%q,"post_key":%q}`, home.ID, clip.ID, postKey.String())
	if st, out := bobB.apiCall("POST", "/api/v1/posts", ana, body); st != http.StatusBadRequest || !strings.Contains(fmt.Sprint(out), "not yet shared") {
		t.Fatalf("post before the wrap: %d %v", st, out)
	}
	wrap, _ := json.Marshal(map[string]string{"recipient": postKey.Recipient().String(), "header": base64.StdEncoding.EncodeToString(header)})
	if st, out := bobB.apiCall("PUT", "/api/v1/clips/"+string(clip.ID)+"/wraps", ana, string(wrap)); st != http.StatusNoContent {
		t.Fatalf("wrap: %d %v", st, out)
	}
	st, out := bobB.apiCall("POST", "/api/v1/posts", ana, body)
	if st != http.StatusCreated || out["type"] != "post" || out["mine"] != true {
		t.Fatalf("post: %d %v", st, out)
	}
	postID := out["id"].(string)
	clipInfo, _ := out["clip"].(map[string]any)
	if clipInfo["post_key"] != postKey.String() || clipInfo["url"] != "/api/v1/posts/"+postID+"/clip" {
		t.Fatalf("the post's clip: %v", out)
	}

	// Bob reads the feed and the clip.
	st, out = bobB.apiCall("GET", "/api/v1/feed?household="+string(bobHome.ID), bob, "")
	items, _ := out["items"].([]any)
	if st != 200 || len(items) != 1 || out["radius_m"] != 2000.0 || out["next_cursor"] != "" {
		t.Fatalf("Bob's feed: %d %v", st, out)
	}
	item := items[0].(map[string]any)
	pub := household.PublicLocation(household.Location{Lat: paris.Lat, Lng: paris.Lng})
	away := math.Round(geo.DistanceMeters(north(paris, 1000), geo.Point{Lat: pub.Lat, Lng: pub.Lng})/100) * 100
	if item["id"] != postID || item["distance_m"] != away || item["mine"] != nil || item["text"] != "He tried our door." || item["category_label"] != "Suspicious activity" {
		t.Fatalf("Bob's item: %v", item)
	}
	for _, leak := range []string{"household", "author", string(home.ID), string(anaID)} {
		if b, _ := json.Marshal(item); strings.Contains(string(b), leak) {
			t.Errorf("the feed item tells %q: %s", leak, b)
		}
	}
	got := download(t, e.srv.URL+"/api/v1/posts/"+postID+"/clip", bob)
	id, _ := age.ParseX25519Identity(item["clip"].(map[string]any)["post_key"].(string))
	r, err := age.Decrypt(bytes.NewReader(got), id)
	if err != nil {
		t.Fatal(err)
	}
	if plain, _ := io.ReadAll(r); string(plain) != plaintext {
		t.Fatalf("Bob decrypted %q", plain)
	}
	if st, _ := bobB.apiCall("GET", "/api/v1/posts/"+postID+"/clip", cy, ""); st != http.StatusNotFound {
		t.Errorf("Cy, 30 km away, fetches the clip: %d", st)
	}

	// Bad input gets a reason.
	for path, want := range map[string]string{
		"/api/v1/feed": "household=",
		"/api/v1/feed?household=" + string(bobHome.ID) + "&limit=x":    "limit",
		"/api/v1/feed?household=" + string(bobHome.ID) + "&limit=201":  "1 to 200",
		"/api/v1/feed?household=" + string(bobHome.ID) + "&radius_m=3": "500 m",
	} {
		if st, out := bobB.apiCall("GET", path, bob, ""); st != http.StatusBadRequest || !strings.Contains(fmt.Sprint(out), want) {
			t.Errorf("%s: %d %v", path, st, out)
		}
	}
	if st, _ := bobB.apiCall("GET", "/api/v1/feed?household="+string(home.ID), bob, ""); st != http.StatusNotFound {
		t.Errorf("Bob reads Ana's household's feed: %d", st)
	}

	// Only Ana deletes, and that un-shares the clip.
	if st, _ := bobB.apiCall("DELETE", "/api/v1/posts/"+postID, bob, ""); st != http.StatusForbidden {
		t.Errorf("Bob deletes: %d", st)
	}
	if st, out := bobB.apiCall("DELETE", "/api/v1/posts/"+postID, ana, ""); st != http.StatusNoContent {
		t.Fatalf("Ana deletes: %d %v", st, out)
	}
	if st, _ := bobB.apiCall("GET", "/api/v1/posts/"+postID+"/clip", bob, ""); st != http.StatusNotFound {
		t.Errorf("the clip of a deleted post: %d", st)
	}
	wraps, err := e.vault.ListWraps(ctx, anaID, clip.ID)
	if err != nil || len(wraps) != 0 {
		t.Errorf("wraps after deleting the post: %v, %v", wraps, err)
	}
}

// download GETs path with a bearer token and returns the body.
func download(t *testing.T, u, token string) []byte {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", u, resp.StatusCode, b)
	}
	return b
}

// TestFeedShareInterop runs clipkeys.js's rewrap (what feed.js shares with) in node on a clip that Go's
// age encrypted, and opens the result with Go's age: the header the browser
// makes, in front of the clip's payload, is an age file for the post's key.
func TestFeedShareInterop(t *testing.T) {
	t.Parallel()
	node := jsTool(t, "node")
	member, _ := age.GenerateX25519Identity()
	post, _ := age.GenerateX25519Identity()
	plain := bytes.Repeat([]byte("GIF89a a shared frame "), 5000) // several STREAM chunks
	var ct bytes.Buffer
	w, _ := age.Encrypt(&ct, member.Recipient(), must(age.GenerateX25519Identity()).Recipient()) // two stanzas, as for two members
	w.Write(plain)
	w.Close()
	clipPath := filepath.Join(t.TempDir(), "clip.age")
	if err := os.WriteFile(clipPath, ct.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs("static/clipkeys.js")
	if err != nil {
		t.Fatal(err)
	}
	src, _ := json.Marshal((&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String())
	out := runBundle(t, node, `
globalThis.document = { getElementById: () => null, querySelectorAll: () => [] };
const feed = await import(`+string(src)+`);
const ct = (await import("node:fs")).readFileSync(process.env.CLIP);
const end = feed.headerEnd(new Uint8Array(ct));
if (feed.headerEnd(new Uint8Array(ct.subarray(0, end - 1))) !== 0) throw new Error("a partial header counts as whole");
const header = await feed.rewrap(new Uint8Array(ct.subarray(0, end)), process.env.MEMBER, process.env.POST);
console.log(JSON.stringify({ end, header: Buffer.from(header).toString("base64") }));
`, "CLIP="+clipPath, "MEMBER="+member.String(), "POST="+post.Recipient().String())
	var got struct {
		End    int
		Header string
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("node printed %q: %v", out, err)
	}
	header, err := base64.StdEncoding.DecodeString(got.Header)
	if err != nil {
		t.Fatal(err)
	}
	want, err := vault.Rewrap(ct.Bytes(), member, post.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	if got.End != bytes.Index(ct.Bytes(), []byte("\n--- "))+len("\n--- ")+43+1 || bytes.Count(header, []byte("\n")) != bytes.Count(want, []byte("\n")) {
		t.Fatalf("header end %d; browser header:\n%s\nGo's:\n%s", got.End, header, want)
	}
	r, err := age.Decrypt(io.MultiReader(bytes.NewReader(header), bytes.NewReader(ct.Bytes()[got.End:])), post)
	if err != nil {
		t.Fatalf("Go's age cannot open the browser's header: %v\n%s", err, header)
	}
	if b, _ := io.ReadAll(r); !bytes.Equal(b, plain) {
		t.Fatal("the rewrapped clip decrypts to something else")
	}
	if _, err := age.Decrypt(io.MultiReader(bytes.NewReader(header), bytes.NewReader(ct.Bytes()[got.End:])), member); err == nil {
		t.Fatal("the post's header opens for the member's key too: it should hold the post's key only")
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestFeedOldClipNotShared: a clip that started more than 7 days ago cannot
// be shared in a post, through the API as through the form, even when the
// browser has wrapped it for the post's key.
func TestFeedOldClipNotShared(t *testing.T) {
	t.Parallel()
	onEveryStore(t, func(t *testing.T, env *env) {
		e := &feedEnv{env}
		ctx := context.Background()
		anaB, anaID, home := e.resident(t, "ana@example.org", paris)
		ana := e.token(t, anaID)
		member, recipient, wrapped, err := vault.NewMemberKey("ana's long key passphrase", vault.WithWorkFactor(10))
		if err != nil {
			t.Fatal(err)
		}
		if err := e.vault.SetKey(ctx, anaID, recipient, wrapped); err != nil {
			t.Fatal(err)
		}
		code, _, err := e.devices.StartPairing(ctx, anaID, home.ID, device.KindDoorbell, "Front door")
		if err != nil {
			t.Fatal(err)
		}
		cam, _, err := e.devices.Pair(ctx, code)
		if err != nil {
			t.Fatal(err)
		}
		var ct bytes.Buffer
		w, _ := age.Encrypt(&ct, member.Recipient())
		w.Write([]byte("GIF89a last week"))
		w.Close()
		start := e.clock.Now().Add(-time.Hour)
		clip, _, err := e.vault.Put(ctx, vault.Upload{Household: home.ID, Device: cam.ID, Kind: vault.KindVideo, Start: start, End: start.Add(12 * time.Second)}, bytes.NewReader(ct.Bytes()), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		postKey, _ := age.GenerateX25519Identity()
		header, err := vault.Rewrap(ct.Bytes(), member, postKey.Recipient())
		if err != nil {
			t.Fatal(err)
		}
		wrap, _ := json.Marshal(map[string]string{"recipient": postKey.Recipient().String(), "header": base64.StdEncoding.EncodeToString(header)})
		if st, out := anaB.apiCall("PUT", "/api/v1/clips/"+string(clip.ID)+"/wraps", ana, string(wrap)); st != http.StatusNoContent {
			t.Fatalf("wrap: %d %v", st, out)
		}
		// A week and a minute after it started, the clip is too old.
		e.clock.Advance(feed.MaxClipAge - time.Hour + time.Minute)
		if p := anaB.get("/feed"); strings.Contains(p.body, string(clip.ID)) {
			t.Error("the form offers a clip older than 7 days")
		}
		body := fmt.Sprintf(`{"household_id":%q,"category":"suspicious","text":"Last week.","clip_id":%q,"post_key":%q}`, home.ID, clip.ID, postKey.String())
		if st, out := anaB.apiCall("POST", "/api/v1/posts", ana, body); st != http.StatusBadRequest || !strings.Contains(fmt.Sprint(out), "last 7 days") {
			t.Fatalf("post sharing an 8-day-old clip: %d %v", st, out)
		}
		page, err := e.feed.Feed(ctx, anaID, home.ID, 0, "", 0)
		if err != nil || len(page.Items) != 0 {
			t.Fatalf("the post was stored: %v, %v", page, err)
		}
	})
}
