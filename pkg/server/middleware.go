package server

import (
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
)

const requestIDKey = "request_id"

// requestID gives every request an id of our own making, returned in
// X-Request-Id and carried into logs and audit records. An id sent by the
// client is not trusted: audit records must not carry caller-chosen ids.
func requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := uuid.Must(uuid.NewV7()).String()
		c.Set(requestIDKey, id)
		c.Response().Header().Set(echo.HeaderXRequestID, id)
		return next(c)
	}
}

// RequestID is the id of the request being served.
func RequestID(c echo.Context) string {
	id, _ := c.Get(requestIDKey).(string)
	return id
}

// observe handles the error of the rest of the chain, then writes one JSON
// access log line and the request metrics. Query strings are left out of the
// log: they can carry search terms.
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		elapsed := time.Since(start)
		route := c.Path()
		// The router's own errors: label them as one route, so that
		// scanners cannot blow up the metrics' cardinality.
		if err == echo.ErrNotFound || err == echo.ErrMethodNotAllowed {
			route = "unmatched"
		}
		status := c.Response().Status
		s.metrics.observe(c.Request().Method, route, status, elapsed)

		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		remote := c.RealIP()
		if publicRoute(c.Request().URL.Path) {
			remote = "" // who reports a concern is not logged
		}
		s.log.LogAttrs(c.Request().Context(), level, "request",
			slog.String("request_id", RequestID(c)),
			slog.String("method", c.Request().Method),
			slog.String("path", c.Request().URL.Path),
			slog.String("route", route),
			slog.Int("status", status),
			slog.Int64("bytes", c.Response().Size),
			slog.Float64("ms", float64(elapsed.Microseconds())/1000),
			slog.String("remote", remote),
		)
		return nil
	}
}

// strictQuery refuses a query string that does not say one thing: a pair
// separated by ';' (which would be dropped silently) or a parameter given
// more than once (only one of which would be read). Every parameter of the
// API takes one value; lists are comma-separated.
func strictQuery(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		raw := c.Request().URL.RawQuery
		if raw == "" {
			return next(c)
		}
		seen := map[string]bool{}
		for _, pair := range strings.Split(raw, "&") {
			key, _, _ := strings.Cut(pair, "=")
			name, err := url.QueryUnescape(key)
			if err != nil {
				name = key
			}
			switch {
			case strings.Contains(pair, ";"):
				return badRequest("the query string is not valid", FieldError{Field: name, Message: "';' does not separate parameters: use '&', or %3B for a ';' in a value"})
			case err != nil:
				return badRequest("the query string is not valid", FieldError{Field: key, Message: "not a valid percent-encoded name"})
			case name != "" && seen[name]:
				return badRequest("the query string is not valid", FieldError{Field: name, Message: "given more than once: give it once (lists are comma-separated)"})
			}
			seen[name] = true
		}
		if _, err := url.ParseQuery(raw); err != nil {
			return badRequest("the query string is not valid", FieldError{Field: "query", Message: "not a valid percent-encoded query string"})
		}
		return next(c)
	}
}

// securityHeaders sets the headers every answer carries: a strict content
// security policy (the basemap's host added for images only), no framing,
// no sniffing, no referrer, and HSTS when the request came over TLS.
func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	csp := "default-src 'self'; img-src 'self' data:" + tileSource(s.cfg.TileURL) +
		"; style-src 'self'; script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if c.Scheme() == "https" {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		return next(c)
	}
}
