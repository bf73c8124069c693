package web

import (
	"net/http"

	"hearth/internal/apperr"
	"hearth/internal/identity"
)

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) error {
	status, code := "ok", http.StatusOK
	if err := s.health(r.Context()); err != nil {
		s.logger.Error("health check failed", "err", err)
		status, code = "unavailable", http.StatusServiceUnavailable
	}
	writeJSON(w, code, map[string]string{"status": status, "version": s.cfg.Version, "store": s.cfg.StoreKind})
	return nil
}

func (s *Server) handleHome(w http.ResponseWriter, r *http.Request) error {
	if a := authFrom(r.Context()); a != nil && a.session != nil && a.session.Stage == identity.StageFull {
		http.Redirect(w, r, "/account", http.StatusSeeOther)
		return nil
	}
	s.render(w, r, http.StatusOK, "home", &homePage{pageBase{Title: "Welcome"}})
	return nil
}

func (s *Server) handleSignUpForm(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, http.StatusOK, "signup", &signupPage{pageBase: pageBase{Title: "Sign up"}})
	return nil
}

// handleSignUp answers the same page whether or not the address has an
// account: the e-mail the service sends tells the address's owner which.
func (s *Server) handleSignUp(w http.ResponseWriter, r *http.Request) error {
	email := r.PostFormValue("email")
	err := s.identity.SignUp(r.Context(), email, r.PostFormValue("password"), s.clientInfo(r))
	if apperr.Is(err, apperr.Invalid) {
		s.render(w, r, apperr.HTTPStatus(err), "signup", &signupPage{pageBase: pageBase{Title: "Sign up", Error: apperr.MessageOf(err)}, Email: email})
		return nil
	} else if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "signup_sent", &signupPage{pageBase: pageBase{Title: "Check your e-mail"}, Email: email})
	return nil
}

// handleConfirmSignUpForm shows a button rather than acting: mail scanners
// open links, and opening one must not use it up.
func (s *Server) handleConfirmSignUpForm(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, http.StatusOK, "signup_confirm", &signupConfirmPage{pageBase: pageBase{Title: "Confirm your e-mail address"}, Token: r.PathValue("token")})
	return nil
}

func (s *Server) handleConfirmSignUp(w http.ResponseWriter, r *http.Request) error {
	_, g, err := s.identity.ConfirmSignUp(r.Context(), r.PathValue("token"), s.clientInfo(r))
	if err != nil {
		return err
	}
	s.setSessionCookie(w, r, g)
	http.Redirect(w, r, "/signup/enroll", http.StatusSeeOther)
	return nil
}

func (s *Server) handleEnrollForm(w http.ResponseWriter, r *http.Request) error {
	a, err := requireStage(r, identity.StageEnroll)
	if err != nil {
		return err
	}
	return s.renderEnroll(w, r, a, http.StatusOK, "")
}

func (s *Server) renderEnroll(w http.ResponseWriter, r *http.Request, a *auth, status int, msg string) error {
	en, err := s.identity.PendingEnrollment(r.Context(), a.session)
	if err != nil {
		return err
	}
	s.render(w, r, status, "enroll", &enrollPage{
		pageBase: pageBase{Title: "Set up two-factor sign-in", Error: msg}, Enrollment: en, Email: a.user.Email,
		Action: "/signup/enroll",
	})
	return nil
}

func (s *Server) handleEnroll(w http.ResponseWriter, r *http.Request) error {
	a, err := requireStage(r, identity.StageEnroll)
	if err != nil {
		return err
	}
	codes, g, err := s.identity.ConfirmEnrollment(r.Context(), a.session, r.PostFormValue("code"), s.clientInfo(r))
	if apperr.Is(err, apperr.Unauthenticated) || apperr.Is(err, apperr.RateLimited) {
		return s.renderEnroll(w, r, a, apperr.HTTPStatus(err), apperr.MessageOf(err))
	} else if err != nil {
		return err
	}
	s.setSessionCookie(w, r, g)
	s.render(w, r, http.StatusOK, "recovery", &recoveryPage{pageBase: pageBase{Title: "Your recovery codes"}, Codes: codes})
	return nil
}

func (s *Server) handleLogInForm(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, http.StatusOK, "login", &loginPage{pageBase: pageBase{Title: "Sign in"}})
	return nil
}

func (s *Server) handleLogIn(w http.ResponseWriter, r *http.Request) error {
	email := r.PostFormValue("email")
	g, err := s.identity.LogIn(r.Context(), email, r.PostFormValue("password"), s.clientInfo(r))
	switch apperr.CodeOf(err) {
	case "":
	case apperr.Invalid, apperr.Unauthenticated, apperr.RateLimited:
		s.render(w, r, apperr.HTTPStatus(err), "login", &loginPage{pageBase: pageBase{Title: "Sign in", Error: apperr.MessageOf(err)}, Email: email})
		return nil
	default:
		return err
	}
	s.setSessionCookie(w, r, g)
	next := "/account"
	switch g.Session.Stage {
	case identity.StageSecondFactor:
		next = "/login/code"
	case identity.StageEnroll:
		next = "/signup/enroll"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

func (s *Server) handleCodeForm(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireStage(r, identity.StageSecondFactor); err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "code", &codePage{pageBase{Title: "Enter your code"}})
	return nil
}

func (s *Server) handleCode(w http.ResponseWriter, r *http.Request) error {
	a, err := requireStage(r, identity.StageSecondFactor)
	if err != nil {
		return err
	}
	g, err := s.identity.VerifySecondFactor(r.Context(), a.session, r.PostFormValue("code"), s.clientInfo(r))
	if apperr.Is(err, apperr.Unauthenticated) || apperr.Is(err, apperr.RateLimited) {
		s.render(w, r, apperr.HTTPStatus(err), "code", &codePage{pageBase{Title: "Enter your code", Error: apperr.MessageOf(err)}})
		return nil
	} else if err != nil {
		return err
	}
	s.setSessionCookie(w, r, g)
	http.Redirect(w, r, "/account", http.StatusSeeOther)
	return nil
}

func (s *Server) handleLogOut(w http.ResponseWriter, r *http.Request) error {
	if a := authFrom(r.Context()); a != nil && a.session != nil {
		if err := s.identity.LogOut(r.Context(), a.session); err != nil {
			return err
		}
	}
	s.clearSessionCookie(w, r)
	http.Redirect(w, r, "/login?signed_out=1", http.StatusSeeOther)
	return nil
}
