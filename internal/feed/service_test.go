package feed_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"filippo.io/age"

	"hearth/internal/apperr"
	"hearth/internal/feed"
	"hearth/internal/geo"
	"hearth/internal/translog"
)

var paris = geo.Point{Lat: 48.8566, Lng: 2.3522}

// TestPostRules posts one post per rule.
func TestPostRules(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ana, home := f.home(t, paris)
	eve, _ := f.home(t, paris)
	_, other := f.home(t, paris)
	clip, _ := f.clip(t, ana, home.ID, "a clip")
	key, _ := age.GenerateX25519Identity()
	good := feed.NewPost{Category: feed.CategoryLostPet, Text: "  Our cat Tigrou is missing since this morning.\n"}
	change := func(fn func(*feed.NewPost)) feed.NewPost {
		n := good
		fn(&n)
		return n
	}
	text := func(s string) feed.NewPost { return change(func(n *feed.NewPost) { n.Text = s }) }
	for _, tc := range []struct {
		name string
		user string // "ana" (a member), "eve" (not)
		hh   string // "home", "other"
		post feed.NewPost
		code apperr.Code // "" for accepted
		want string      // a part of the message
	}{
		{"OK", "ana", "home", good, "", ""},
		{"2000 characters", "ana", "home", text(strings.Repeat("é", 2000)), "", ""},
		{"2001 characters", "ana", "home", text(strings.Repeat("é", 2001)), apperr.Invalid, "2000 characters"},
		{"empty text", "ana", "home", text(""), apperr.Invalid, "Write what"},
		{"blank text", "ana", "home", text(" \n\t "), apperr.Invalid, "Write what"},
		{"invalid UTF-8", "ana", "home", text("chat \xff perdu"), apperr.Invalid, "valid text"},
		{"NUL byte", "ana", "home", text("chat\x00perdu"), apperr.Invalid, "control character"},
		{"bidirectional override", "ana", "home", text("chat \u202eudrep"), apperr.Invalid, "bidirectional"},
		{"zero-width only", "ana", "home", text("\u200b\ufeff"), apperr.Invalid, "zero-width"},
		{"unknown category", "ana", "home", change(func(n *feed.NewPost) { n.Category = "gossip" }), apperr.Invalid, "lost pet"},
		{"no category", "ana", "home", change(func(n *feed.NewPost) { n.Category = "" }), apperr.Invalid, "Choose what"},
		{"clip without key", "ana", "home", change(func(n *feed.NewPost) { n.Clip = clip.ID }), apperr.Invalid, "post's key"},
		{"key without clip", "ana", "home", change(func(n *feed.NewPost) { n.PostKey = key.String() }), apperr.Invalid, "choose the clip"},
		{"not a member", "eve", "home", good, apperr.NotFound, "No such household"},
		{"member of another household", "ana", "other", good, apperr.NotFound, "No such household"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			user, hh := ana, home.ID
			if tc.user == "eve" {
				user = eve
			}
			if tc.hh == "other" {
				hh = other.ID
			}
			p, err := f.svc.Post(ctx, user, hh, tc.post)
			if tc.code == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if p.Text != strings.TrimSpace(tc.post.Text) || p.Category != tc.post.Category || p.Author != ana || p.Household != home.ID {
					t.Fatalf("stored %+v", p)
				}
				return
			}
			if !apperr.Is(err, tc.code) || !strings.Contains(apperr.MessageOf(err), tc.want) {
				t.Fatalf("got %v (%q), want %s with %q", err, apperr.MessageOf(err), tc.code, tc.want)
			}
		})
	}
}

// TestPostIsPlacedAtThePublicLocation: a post never carries the home.
func TestPostIsPlacedAtThePublicLocation(t *testing.T) {
	f := newFixture(t)
	home := geo.Point{Lat: 48.858370123, Lng: 2.294481987}
	ana, h := f.home(t, home)
	p := f.post(t, ana, h.ID, "Smoke near the tower")
	if p.Location != public(home) || p.Location == home {
		t.Fatalf("post at %v; home %v, public %v", p.Location, home, public(home))
	}
	if d := geo.DistanceMeters(p.Location, home); d > 500 {
		t.Fatalf("the public point is %.0f m from the home", d)
	}
}

// TestSharedClip follows a clip from the poster's household to a
// neighbour and back out: the share is logged first, only readers near the
// post can fetch it, and deleting the post un-shares it.
func TestSharedClip(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ana, home := f.home(t, paris)
	bob, _ := f.home(t, toward(paris, 90, 3000))  // a neighbour 3 km away
	cy, _ := f.home(t, toward(paris, 180, 20000)) // beyond every radius
	const plaintext = "GIF89a the person at the door"
	clip, member := f.clip(t, ana, home.ID, plaintext)
	withClip := func(key string) feed.NewPost {
		return feed.NewPost{Category: feed.CategorySuspicious, Text: "This man tried our door.", Clip: clip.ID, PostKey: key}
	}

	// The browser has not wrapped the clip for the key yet, or sends no key.
	unshared, _ := age.GenerateX25519Identity()
	for name, tc := range map[string]struct {
		post feed.NewPost
		code apperr.Code
		want string
	}{
		"clip not wrapped for the key": {withClip(unshared.String()), apperr.Invalid, "not yet shared"},
		"not an age identity":          {withClip("AGE-SECRET-KEY-1NOTAKEY"), apperr.Invalid, "age identity"},
		"identity in lower case":       {withClip(strings.ToLower(unshared.String())), apperr.Invalid, "age identity"},
		"a recipient, not an identity": {withClip(unshared.Recipient().String()), apperr.Invalid, "age identity"},
		"unknown clip": {feed.NewPost{Category: feed.CategorySafety, Text: "x", Clip: "c_none", PostKey: unshared.String()},
			apperr.NotFound, "No such clip"},
	} {
		if _, err := f.svc.Post(ctx, ana, home.ID, tc.post); !apperr.Is(err, tc.code) || !strings.Contains(apperr.MessageOf(err), tc.want) {
			t.Errorf("%s: %v (%q), want %s with %q", name, err, apperr.MessageOf(err), tc.code, tc.want)
		}
	}
	// Ana also belongs to a second household: its clips are not this one's.
	dee, second := f.home(t, paris)
	token, _, err := f.households.Invite(ctx, dee, second.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.households.Join(ctx, ana, token); err != nil {
		t.Fatal(err)
	}
	theirs, theirMember := f.clip(t, dee, second.ID, "their clip")
	theirKey := f.share(t, dee, theirs, theirMember)
	_, err = f.svc.Post(ctx, ana, home.ID, feed.NewPost{Category: feed.CategorySafety, Text: "x", Clip: theirs.ID, PostKey: theirKey.String()})
	if !apperr.Is(err, apperr.NotFound) || !strings.Contains(apperr.MessageOf(err), "not one of this household's") {
		t.Fatalf("another household's clip: %v", err)
	}

	// Shared as the browser does it: logged, then visible.
	postKey := f.share(t, ana, clip, member)
	p, err := f.svc.Post(ctx, ana, home.ID, withClip(postKey.String()))
	if err != nil {
		t.Fatal(err)
	}
	if p.ClipRecipient != postKey.Recipient().String() || p.PostKey != postKey.String() {
		t.Fatalf("post %+v", p)
	}
	if _, err := f.Log.AwaitCheckpoint(ctx, p.ClipLogIndex); err != nil {
		t.Fatal(err)
	}
	raw, err := f.Log.ReadEntry(ctx, p.ClipLogIndex)
	if err != nil {
		t.Fatal(err)
	}
	var entry struct {
		Type translog.EntryType
		Body map[string]string
	}
	if err := json.Unmarshal(raw, &entry); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	if entry.Type != feed.EntryClipShared || entry.Body["post"] != string(p.ID) || entry.Body["clip"] != string(clip.ID) || len(entry.Body) != 2 {
		t.Fatalf("log entry %s", raw)
	}
	if strings.Contains(string(raw), string(home.ID)) || strings.Contains(string(raw), string(ana)) {
		t.Fatalf("the log entry names the household or the author: %s", raw)
	}

	// A neighbour opens it with the post's key; someone far away cannot fetch it.
	_, body, err := f.svc.Clip(ctx, bob, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := decrypt(t, body, p.PostKey)
	if got != plaintext {
		t.Fatalf("the neighbour decrypted %q", got)
	}
	if _, _, err := f.svc.Clip(ctx, cy, p.ID); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("a reader 20 km away: %v", err)
	}
	textOnly := f.post(t, ana, home.ID, "no clip here")
	if _, _, err := f.svc.Clip(ctx, bob, textOnly.ID); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("a post without a clip: %v", err)
	}

	// Only the author deletes; deleting un-shares.
	if err := f.svc.Delete(ctx, bob, p.ID); !apperr.Is(err, apperr.Forbidden) {
		t.Fatalf("a neighbour deletes: %v", err)
	}
	if err := f.svc.Delete(ctx, ana, p.ID); err != nil {
		t.Fatal(err)
	}
	wraps, err := f.vault.ListWraps(ctx, ana, clip.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range wraps {
		if w.Recipient == p.ClipRecipient {
			t.Fatal("the clip is still wrapped for the deleted post's key")
		}
	}
	if _, _, err := f.svc.Clip(ctx, bob, p.ID); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("the clip of a deleted post: %v", err)
	}
	if err := f.svc.Delete(ctx, ana, p.ID); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("deleting twice: %v", err)
	}
}

// TestSharingNeedsTheLog: when the log cannot be written, the clip is not
// shared and no post appears.
func TestSharingNeedsTheLog(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ana, home := f.home(t, paris)
	clip, member := f.clip(t, ana, home.ID, "a clip")
	postKey := f.share(t, ana, clip, member)
	if err := f.Log.Close(ctx); err != nil {
		t.Fatal(err)
	}
	_, err := f.svc.Post(ctx, ana, home.ID, feed.NewPost{Category: feed.CategoryCrime, Text: "Car broken into", Clip: clip.ID, PostKey: postKey.String()})
	if !apperr.Is(err, apperr.Unavailable) {
		t.Fatalf("posting with the log closed: %v", err)
	}
	page, err := f.svc.Feed(ctx, ana, home.ID, 0, "", 0)
	if err != nil || len(page.Items) != 0 {
		t.Fatalf("the feed after a refused post: %+v, %v", page, err)
	}
}

// decrypt reads an age file with the identity.
func decrypt(t *testing.T, body io.ReadCloser, identity string) string {
	t.Helper()
	defer body.Close()
	id, err := age.ParseX25519Identity(identity)
	if err != nil {
		t.Fatal(err)
	}
	r, err := age.Decrypt(body, id)
	if err != nil {
		t.Fatalf("decrypt: %v", err)
	}
	var out bytes.Buffer
	if _, err := out.ReadFrom(r); err != nil {
		t.Fatal(err)
	}
	return out.String()
}
