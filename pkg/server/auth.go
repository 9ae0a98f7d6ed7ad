package server

import (
	"crypto/subtle"
	"errors"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/hexwatch/hexwatch/pkg/auth"
	"github.com/hexwatch/hexwatch/pkg/store"
)

const (
	sessionCookie = "hexwatch_session"
	csrfHeader    = "X-CSRF-Token"
	principalKey  = "principal"
)

// principal is the authenticated caller of the request, or nil.
func principal(c echo.Context) *auth.Principal {
	p, _ := c.Get(principalKey).(*auth.Principal)
	return p
}

// authenticate finds the caller from a Bearer API key or a session cookie.
// A request with neither goes on anonymous; require decides what it may do.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		if h := c.Request().Header.Get(echo.HeaderAuthorization); h != "" {
			key, ok := strings.CutPrefix(h, "Bearer ")
			if !ok && isOGC(c) {
				// GIS clients that send no headers of their own (ArcGIS Pro)
				// send the key as the password of HTTP Basic, any user name.
				_, key, ok = c.Request().BasicAuth()
			}
			if !ok {
				if isOGC(c) {
					return unauthorized("Authorization must be \"Bearer\" followed by an API key, or HTTP Basic with the API key as the password")
				}
				return unauthorized("Authorization must be \"Bearer\" followed by an API key")
			}
			p, err := s.db.KeyPrincipal(ctx, auth.HashSecret(strings.TrimSpace(key)))
			if errors.Is(err, store.ErrNotFound) {
				// A wrong key is charged to its address, like an anonymous
				// caller: guessing keys is as slow as anything else.
				if s.limits != nil {
					if wait := s.limits.wait("ip:"+c.RealIP(), time.Now()); wait > 0 {
						c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
						return newProblem(http.StatusTooManyRequests, "too many requests from this address: slow down")
					}
				}
				return unauthorized("unknown or revoked API key")
			}
			if err != nil {
				return err
			}
			c.Set(principalKey, &p)
			return next(c)
		}
		if ck, err := c.Cookie(sessionCookie); err == nil && ck.Value != "" {
			p, err := s.db.SessionPrincipal(ctx, auth.HashSecret(ck.Value), s.cfg.SessionIdle)
			switch {
			case err == nil:
				c.Set(principalKey, &p)
			case !errors.Is(err, store.ErrNotFound):
				return err
			}
		}
		return next(c)
	}
}

// isOGC: the request is to the OGC API, which GIS clients read.
func isOGC(c echo.Context) bool {
	return c.Request().URL.Path == ogcPath || strings.HasPrefix(c.Request().URL.Path, ogcPath+"/")
}

func unauthorized(detail string) *Problem {
	return newProblem(http.StatusUnauthorized, detail)
}

func unsafeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

// require lets the request through only for a caller that holds perm (any
// authenticated caller when perm is ""). Cookie-authenticated requests
// that change state must carry the session's CSRF token in X-CSRF-Token.
func (s *Server) require(perm auth.Permission) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			p := principal(c)
			if p == nil {
				c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="hexwatch"`)
				if isOGC(c) {
					c.Response().Header().Add(echo.HeaderWWWAuthenticate, `Basic realm="hexwatch", charset="UTF-8"`)
				}
				return unauthorized("log in, or send an API key as Authorization: Bearer <key>")
			}
			if p.KeyID == uuid.Nil && unsafeMethod(c.Request().Method) &&
				subtle.ConstantTimeCompare([]byte(c.Request().Header.Get(csrfHeader)), []byte(p.CSRFToken)) != 1 {
				return newProblem(http.StatusForbidden, "missing or wrong "+csrfHeader+" header")
			}
			if perm != "" && !p.Can(perm) {
				ev := s.event(c, store.ActionAccessDenied)
				ev.ObjectType, ev.ObjectID = "route", c.Request().Method+" "+c.Path()
				if err := s.db.Audit(c.Request().Context(), ev); err != nil {
					return err
				}
				return newProblem(http.StatusForbidden, "the "+string(p.Role)+" role may not do this")
			}
			return next(c)
		}
	}
}

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// meResponse describes the caller to itself.
type meResponse struct {
	Username    string            `json:"username,omitempty"`
	Key         string            `json:"key,omitempty"`
	Role        auth.Role         `json:"role"`
	AgencyID    uuid.UUID         `json:"agency_id"`
	Agency      string            `json:"agency"`
	Permissions []auth.Permission `json:"permissions"`
	CSRFToken   string            `json:"csrf_token,omitempty"`
}

func me(p *auth.Principal) meResponse {
	m := meResponse{Role: p.Role, AgencyID: p.AgencyID, Agency: p.AgencyName, Permissions: auth.Matrix[p.Role], CSRFToken: p.CSRFToken}
	if p.KeyID != uuid.Nil {
		m.Key = p.Name
	} else {
		m.Username = p.Name
	}
	return m
}

func (s *Server) getMe(c echo.Context) error {
	return c.JSON(http.StatusOK, me(principal(c)))
}

// login checks a username and password and starts a new session. Unknown
// users and wrong passwords get the same answer in the same time; repeated
// failures for a username or from an address are refused with 429.
func (s *Server) login(c echo.Context) error {
	var req loginRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	req.Username = strings.ToLower(strings.TrimSpace(req.Username))
	var errs []FieldError
	if req.Username == "" || len(req.Username) > 64 {
		errs = append(errs, FieldError{Field: "username", Message: "required, at most 64 characters", Code: textCode(req.Username, 64)})
	}
	if req.Password == "" || len(req.Password) > 1024 {
		errs = append(errs, FieldError{Field: "password", Message: "required, at most 1024 characters", Code: textCode(req.Password, 1024)})
	}
	if errs != nil {
		return badRequest("the login is incomplete", errs...)
	}
	ctx := c.Request().Context()
	// A check is reserved before the password is hashed: concurrent
	// guesses take turns, and past the limit each waits longer.
	attempt, wait, err := s.db.ReserveLogin(ctx, req.Username, c.RealIP(), store.LoginLimits{
		Window: s.cfg.LoginWindow, PerUser: s.cfg.LoginMaxFailures, PerAddr: 10 * s.cfg.LoginMaxFailures, Base: time.Second})
	if err != nil {
		return err
	}
	if wait > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		return newProblem(http.StatusTooManyRequests, "too many failed logins; try again later")
	}

	u, err := s.db.UserByName(ctx, req.Username)
	ok := false
	switch {
	case errors.Is(err, store.ErrNotFound):
		auth.BurnPasswordCheck(req.Password)
	case err != nil:
		return err
	default:
		hash, err := s.db.PasswordHash(ctx, u.ID)
		if err != nil {
			return err
		}
		if ok, err = auth.VerifyPassword(hash, req.Password); err != nil {
			return err
		}
		ok = ok && !u.Disabled
	}
	if err := s.db.FinishLogin(ctx, attempt, ok); err != nil {
		return err
	}
	if !ok {
		ev := s.event(c, store.ActionLoginFailed)
		ev.ObjectType, ev.ObjectID = "user", req.Username
		if err := s.db.Audit(ctx, ev); err != nil {
			return err
		}
		return unauthorized("wrong username or password")
	}

	// A new session id at every login: a token planted before it is worthless.
	var replaced []byte
	if ck, err := c.Cookie(sessionCookie); err == nil && ck.Value != "" {
		replaced = auth.HashSecret(ck.Value)
	}
	token, csrf := auth.NewSecret(), auth.NewSecret()
	p := &auth.Principal{UserID: u.ID, Name: u.Username, Role: u.Role, AgencyID: u.AgencyID, AgencyName: u.AgencyName, CSRFToken: csrf}
	c.Set(principalKey, p)
	expires := time.Now().Add(s.cfg.SessionMax)
	if err := s.db.CreateSession(ctx, u.ID, auth.HashSecret(token), replaced, csrf, expires, s.event(c, store.ActionLogin)); err != nil {
		return err
	}
	c.SetCookie(s.sessionCookie(c, token, expires))
	return c.JSON(http.StatusOK, me(p))
}

// logout ends the caller's session on the server and clears the cookie.
func (s *Server) logout(c echo.Context) error {
	ck, err := c.Cookie(sessionCookie)
	if err != nil || principal(c).KeyID != uuid.Nil {
		return newProblem(http.StatusForbidden, "there is no session to end: API keys are revoked, not logged out")
	}
	ev := s.event(c, store.ActionLogout)
	ev.ObjectType, ev.ObjectID = "user", principal(c).UserID.String()
	if err := s.db.DeleteSession(c.Request().Context(), auth.HashSecret(ck.Value), ev); err != nil {
		return err
	}
	c.SetCookie(s.sessionCookie(c, "", time.Unix(0, 0)))
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) sessionCookie(c echo.Context, value string, expires time.Time) *http.Cookie {
	return &http.Cookie{
		Name: sessionCookie, Value: value, Path: "/", Expires: expires,
		HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: c.Scheme() == "https" || !isLocalhost(c.Request().Host),
	}
}

// isLocalhost reports whether host (with or without a port) names this
// machine: only there may a session cookie travel over plain http.
func isLocalhost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
