package web

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"hearth/internal/access"
	"hearth/internal/apperr"
	"hearth/internal/device"
	"hearth/internal/feed"
	"hearth/internal/household"
	"hearth/internal/identity"
	"hearth/internal/legal"
	"hearth/internal/neighbors"
	"hearth/internal/vault"
)

// pathIDs gives, by the path segment before it ("/households/{id}"), the
// shape check of the identifier a path value carries.
var pathIDs = map[string]func(string) bool{
	"households":  func(s string) bool { return household.ID(s).Valid() },
	"members":     func(s string) bool { return identity.UserID(s).Valid() },
	"devices":     func(s string) bool { return device.ID(s).Valid() },
	"clips":       func(s string) bool { return vault.ClipID(s).Valid() },
	"agencies":    func(s string) bool { return neighbors.AgencyID(s).Valid() },
	"requests":    func(s string) bool { return neighbors.RequestID(s).Valid() },
	"submissions": func(s string) bool { return neighbors.SubmissionID(s).Valid() },
	"posts":       func(s string) bool { return feed.PostID(s).Valid() },
	"legal":       func(s string) bool { return legal.DemandID(s).Valid() },
	"grants":      func(s string) bool { return access.GrantID(s).Valid() },
	"sessions":    func(s string) bool { return identity.SessionID(s).Valid() },
	"tokens":      func(s string) bool { return identity.TokenID(s).Valid() },
}

// maxPathValue bounds any other path value (an invitation token, a log
// resource path).
const maxPathValue = 512

// checkPathValues answers NotFound for a request whose path values cannot
// name anything: an identifier not of its kind's shape, or any value that
// is not valid UTF-8, holds a NUL or is overlong. It runs before the
// handler, so such bytes never reach a service or a store.
func checkPathValues(r *http.Request) error {
	_, path, _ := strings.Cut(r.Pattern, " ")
	segs := strings.Split(path, "/")
	for i, seg := range segs {
		if !strings.HasPrefix(seg, "{") || seg == "{$}" {
			continue
		}
		name := strings.TrimSuffix(strings.Trim(seg, "{}"), "...")
		v := r.PathValue(name)
		ok := utf8.ValidString(v) && !strings.ContainsRune(v, 0) && len(v) <= maxPathValue
		if valid, known := pathIDs[segs[i-1]]; known && ok {
			ok = valid(v)
		}
		if !ok {
			return apperr.E("web.checkPathValues", apperr.NotFound, "Not found.")
		}
	}
	return nil
}

// withPathValues runs next only for a request whose path values pass
// checkPathValues.
func withPathValues(next handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := checkPathValues(r); err != nil {
			return err
		}
		return next(w, r)
	}
}
