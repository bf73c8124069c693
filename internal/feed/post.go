package feed

import (
	"strings"
	"time"
	"unicode/utf8"

	"hearth/internal/apperr"
	"hearth/internal/geo"
	"hearth/internal/household"
	"hearth/internal/identity"
	"hearth/internal/randid"
	"hearth/internal/text"
	"hearth/internal/vault"
)

// PostID identifies a post: "p_" and 26 base32 characters.
type PostID string

// Valid reports whether id has the shape of the identifier of a post ("p_"
// and 26 base32 characters). One that does not names nothing, and is not
// looked up.
func (id PostID) Valid() bool { return randid.Valid("p", string(id)) }

// Category is what a post is about.
type Category string

// The categories a post may have.
const (
	CategoryCrime      Category = "crime"
	CategorySafety     Category = "safety"
	CategorySuspicious Category = "suspicious"
	CategoryLostPet    Category = "lost_pet"
	CategoryFire       Category = "fire"
	CategoryOther      Category = "other"
)

// Categories lists every category, in the order a form offers them.
var Categories = []Category{CategoryCrime, CategorySafety, CategorySuspicious, CategoryLostPet, CategoryFire, CategoryOther}

var categoryLabels = map[Category]string{
	CategoryCrime:      "Crime",
	CategorySafety:     "Safety",
	CategorySuspicious: "Suspicious activity",
	CategoryLostPet:    "Lost pet",
	CategoryFire:       "Fire",
	CategoryOther:      "Other",
}

// Valid reports whether c is one of Categories.
func (c Category) Valid() bool { _, ok := categoryLabels[c]; return ok }

// Label is the category's name for people.
func (c Category) Label() string { return categoryLabels[c] }

// MaxTextLength is the most characters a post's text may have.
const MaxTextLength = 2000

// Post is a resident's alert. It never changes; its author may delete it.
type Post struct {
	ID        PostID
	Household household.ID
	Author    identity.UserID // never shown to other readers
	Category  Category
	Text      string
	// Location is the household's public location when the post was made
	// (household.PublicLocation): never the precise home.
	Location geo.Point
	PostedAt time.Time
	// Clip is the shared clip, "" when none. PostKey is the age identity
	// (AGE-SECRET-KEY-1…) made for this post, which opens the clip's wrap
	// for ClipRecipient, its public key. Whoever reads the post reads them.
	Clip          vault.ClipID
	PostKey       string
	ClipRecipient string
	// ClipLogIndex is the transparency log entry that recorded the sharing.
	ClipLogIndex uint64
}

// HasClip reports whether the post shares a clip.
func (p *Post) HasClip() bool { return p.Clip != "" }

// NewPost is what a resident submits.
type NewPost struct {
	Category Category
	Text     string
	// Clip and PostKey are both set to share a clip, both empty otherwise.
	// The clip must already be wrapped for PostKey's public key.
	Clip    vault.ClipID
	PostKey string
}

// check returns n with its text trimmed, or Invalid naming the first rule
// n breaks.
func (n NewPost) check() (NewPost, error) {
	const op = "feed.NewPost"
	n.PostKey = strings.TrimSpace(n.PostKey)
	if !n.Category.Valid() {
		return n, apperr.E(op, apperr.Invalid, "Choose what the post is about: "+categoryList()+".")
	}
	if utf8.ValidString(n.Text) && strings.TrimSpace(n.Text) == "" {
		return n, apperr.E(op, apperr.Invalid, "Write what your neighbours should know.")
	}
	var err error
	if n.Text, err = (text.Field{Name: "the text", Max: MaxTextLength, Required: true, Multiline: true}).Check(n.Text); err != nil {
		return n, apperr.Wrap(op, err)
	}
	if err := text.Plain("the post key", n.PostKey); err != nil {
		return n, apperr.Wrap(op, err)
	}
	switch {
	case n.Clip == "" && n.PostKey != "":
		return n, apperr.E(op, apperr.Invalid, "A post key is only needed with a clip; choose the clip to share.")
	case n.Clip != "" && n.PostKey == "":
		return n, apperr.E(op, apperr.Invalid, "Sharing a clip needs the post's key, which your browser makes (it needs JavaScript and your unlocked vault key).")
	}
	return n, nil
}

func categoryList() string {
	names := make([]string, len(Categories))
	for i, c := range Categories {
		names[i] = strings.ToLower(c.Label())
	}
	return strings.Join(names, ", ")
}
