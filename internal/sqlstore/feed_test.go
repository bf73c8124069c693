package sqlstore

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hearth/internal/apperr"
	"hearth/internal/feed"
	"hearth/internal/geo"
)

// feedFixture is householdFixture and a FeedStore.
func feedFixture(t *testing.T, db *DB) *FeedStore {
	t.Helper()
	householdFixture(t, db)
	return NewFeedStore(db)
}

func samplePost(id string, at time.Time, lat, lng float64) *feed.Post {
	return &feed.Post{ID: feed.PostID(id), Household: "h_1", Author: "u_ana", Category: feed.CategorySuspicious,
		Text: "Someone is trying car doors on rue Oberkampf.", Location: geo.Point{Lat: lat, Lng: lng}, PostedAt: at}
}

func mustCreatePost(t *testing.T, s *FeedStore, p *feed.Post) {
	t.Helper()
	if err := s.CreatePost(context.Background(), p); err != nil {
		t.Fatalf("CreatePost(%s): %v", p.ID, err)
	}
}

// postIDs lists the ids of posts, in order.
func postIDs(posts []*feed.Post) []string {
	out := []string{}
	for _, p := range posts {
		out = append(out, string(p.ID))
	}
	return out
}

func TestStore_FeedPosts(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s := feedFixture(t, db)
		p := samplePost("p_1", t0, 48.8575, 2.3525)
		p.Clip, p.ClipRecipient, p.PostKey, p.ClipLogIndex = "c_1", "age1recipient", "AGE-SECRET-KEY-1POSTKEY", 41
		mustCreatePost(t, s, p)
		got, err := s.FindPost(ctx, "p_1")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(p, got); diff != "" {
			t.Errorf("FindPost (-want +got):\n%s", diff)
		}
		_, err = s.FindPost(ctx, "p_none")
		wantCode(t, "FindPost of an unknown post", err, apperr.NotFound)
		wantCode(t, "CreatePost with a taken id", s.CreatePost(ctx, samplePost("p_1", t0, 0, 0)), apperr.Conflict)
		orphan := samplePost("p_2", t0, 0, 0)
		orphan.Household = "h_none"
		wantCode(t, "CreatePost for an unknown household", s.CreatePost(ctx, orphan), apperr.NotFound)
		orphan = samplePost("p_3", t0, 0, 0)
		orphan.Author = "u_nobody"
		wantCode(t, "CreatePost by an unknown author", s.CreatePost(ctx, orphan), apperr.NotFound)

		if err := s.DeletePost(ctx, "p_1"); err != nil {
			t.Fatal(err)
		}
		_, err = s.FindPost(ctx, "p_1")
		wantCode(t, "FindPost after DeletePost", err, apperr.NotFound)
		wantCode(t, "DeletePost twice", s.DeletePost(ctx, "p_1"), apperr.NotFound)
	})
}

// TestStore_FeedBox checks that ListPosts keeps to the box, its edges
// included, also when the box wraps around the antimeridian.
func TestStore_FeedBox(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s := feedFixture(t, db)
		places := map[string]geo.Point{
			"p_centre":     {Lat: 10, Lng: 20},
			"p_south_edge": {Lat: 9, Lng: 20},
			"p_north_edge": {Lat: 11, Lng: 20},
			"p_west_edge":  {Lat: 10, Lng: 19},
			"p_east_edge":  {Lat: 10, Lng: 21},
			"p_too_south":  {Lat: 8.999, Lng: 20},
			"p_too_east":   {Lat: 10, Lng: 21.001},
			"p_fiji_east":  {Lat: -17, Lng: 179.5},
			"p_fiji_west":  {Lat: -17, Lng: -179.5},
			"p_fiji_far":   {Lat: -17, Lng: 178},
		}
		i := 0
		for id, at := range places {
			i++
			mustCreatePost(t, s, samplePost(id, t0.Add(time.Duration(i)*time.Second), at.Lat, at.Lng))
		}
		for _, tc := range []struct {
			name string
			box  feed.Box
			want []string
		}{
			{"plain", feed.Box{South: 9, North: 11, West: 19, East: 21},
				[]string{"p_centre", "p_east_edge", "p_north_edge", "p_south_edge", "p_west_edge"}},
			{"across the antimeridian", feed.Box{South: -18, North: -16, West: 179, East: -179},
				[]string{"p_fiji_east", "p_fiji_west"}},
			{"everywhere", feed.Box{South: -90, North: 90, West: -180, East: 180}, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				posts, err := s.ListPosts(ctx, tc.box, feed.Mark{}, 100)
				if err != nil {
					t.Fatal(err)
				}
				want := tc.want
				if want == nil {
					for id := range places {
						want = append(want, id)
					}
				}
				got := map[string]bool{}
				for _, p := range posts {
					got[string(p.ID)] = true
					if !tc.box.Contains(p.Location.Lat, p.Location.Lng) {
						t.Errorf("%s at %v is outside the box", p.ID, p.Location)
					}
				}
				if len(got) != len(want) {
					t.Errorf("got %v, want %v", postIDs(posts), want)
				}
				for _, id := range want {
					if !got[id] {
						t.Errorf("%s is missing; got %v", id, postIDs(posts))
					}
				}
			})
		}
	})
}

// TestStore_FeedPages reads a feed whose posts share times, two at a time,
// and requires every post exactly once, newest first, ties by id (larger
// first), whatever the id's characters.
func TestStore_FeedPages(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s := feedFixture(t, db)
		// Underscores and digits sort differently under language
		// collations; the store must compare bytes.
		ids := []string{"p_a", "p_b", "p_2", "p_a_b", "p_ab", "rfa_z"}
		var want []string
		for i, id := range ids {
			at := t0.Add(time.Duration(i/3) * time.Minute) // three posts per minute
			mustCreatePost(t, s, samplePost(id, at, 10, 20))
		}
		// Newest first: the second minute's posts, by id descending, then the first's.
		want = []string{"rfa_z", "p_ab", "p_a_b", "p_b", "p_a", "p_2"}
		box := feed.Box{South: 9, North: 11, West: 19, East: 21}
		var got []string
		var mark feed.Mark
		for pages := 0; ; pages++ {
			if pages > len(ids) {
				t.Fatalf("pagination does not end: %v", got)
			}
			posts, err := s.ListPosts(ctx, box, mark, 2)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, postIDs(posts)...)
			if len(posts) < 2 {
				break
			}
			last := posts[len(posts)-1]
			mark = feed.Mark{Time: last.PostedAt, ID: string(last.ID)}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("pages (-want +got):\n%s", diff)
		}
		// A mark between stored ids, like one a request's id makes.
		posts, err := s.ListPosts(ctx, box, feed.Mark{Time: t0.Add(time.Minute), ID: "p_ac"}, 10)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"p_ab", "p_a_b", "p_b", "p_a", "p_2"}, postIDs(posts)); diff != "" {
			t.Errorf("after a mark between ids (-want +got):\n%s", diff)
		}
		if posts, err := s.ListPosts(ctx, box, feed.Mark{}, 0); err != nil || len(posts) != 0 {
			t.Errorf("limit 0: %v, %v", postIDs(posts), err)
		}
	})
}
