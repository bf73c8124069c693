package web

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"
	"image/png"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/pquerna/otp"
)

var templateFuncs = template.FuncMap{
	"datetime": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	// qrcode renders an otpauth URI as a PNG data URI, server-side, so the
	// secret never reaches a third-party QR service and no script is needed.
	"qrcode": func(uri string) (template.URL, error) {
		k, err := otp.NewKeyFromURL(uri)
		if err != nil {
			return "", err
		}
		img, err := k.Image(240, 240)
		if err != nil {
			return "", err
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			return "", err
		}
		return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())), nil
	},
	"clock":       clockTime,
	"byteSize":    byteSize,
	"eventDetail": eventDetail,
	"clipLength":  clipLength,
	// groups splits a secret in groups of four for reading aloud or typing.
	"groups": func(s string) string {
		var parts []string
		for len(s) > 4 {
			parts = append(parts, s[:4])
			s = s[4:]
		}
		return strings.Join(append(parts, s), " ")
	},
}

// parsePages parses every page with the layout and the shared partials,
// once, at start; a broken template stops the server from starting rather
// than failing a request. Execution is strict: a field or map key the data
// lacks is an error, never an empty string.
func parsePages() (map[string]*template.Template, error) {
	names, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		if path.Base(n) == "layout.html" {
			continue
		}
		name := strings.TrimSuffix(path.Base(n), ".html")
		t, err := template.New(name).Option("missingkey=error").Funcs(templateFuncs).ParseFS(assets, "templates/layout.html", "templates/partials/*.html", n)
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// render writes a page. data's pageBase gains the CSRF token and the
// signed-in user.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, data pageData) {
	t, ok := s.pages[name]
	if !ok {
		s.logger.Error("no such template", "name", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	b := data.base()
	b.CSRF = s.csrfToken(w, r)
	if a := authFrom(r.Context()); a != nil && a.session != nil && a.session.Stage == "full" {
		b.User = a.user
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		s.logger.Error("render", "template", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
