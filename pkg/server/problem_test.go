package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/hexwatch/hexwatch/pkg/identity"
	"github.com/hexwatch/hexwatch/pkg/intel"
	"github.com/hexwatch/hexwatch/pkg/store"
)

// TestProblemForEveryKindOfError is the table of problemFor: each kind of
// error becomes its status, and an internal failure never tells its text.
func TestProblemForEveryKindOfError(t *testing.T) {
	s := &Server{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	secret := errors.New(`ERROR: relation "reports" violates constraint (SQLSTATE 23505)`)
	for _, c := range []struct {
		name   string
		err    error
		cancel bool
		status int
		detail string
		fields int
	}{
		{"a problem", newProblem(http.StatusTeapot, "short and stout"), false, http.StatusTeapot, "short and stout", 0},
		{"field errors", fmt.Errorf("wrapped: %w", intel.FieldErrors{{Field: "category", Message: "unknown"}}), false, http.StatusBadRequest, "the request is not valid", 1},
		{"a name taken", &identity.Taken{FieldError: intel.FieldError{Field: "username", Message: "is taken"}}, false, http.StatusConflict, "is taken", 1},
		{"a database failure during an upload", &storageError{err: secret}, false, http.StatusServiceUnavailable, "the database failed during the upload", 0},
		{"not found", fmt.Errorf("store: report: %w", store.ErrNotFound), false, http.StatusNotFound, "", 0},
		{"a conflict", store.ErrConflict, false, http.StatusConflict, "it clashes", 0},
		{"a body too large", echo.NewHTTPError(http.StatusRequestEntityTooLarge, "Request Entity Too Large"), false, http.StatusRequestEntityTooLarge, "Request Entity Too Large", 0},
		{"an echo 500", echo.NewHTTPError(http.StatusInternalServerError, secret.Error()), false, http.StatusInternalServerError, "", 0},
		{"the client went away", context.Canceled, true, statusClientClosed, "", 0},
		{"a deadline", fmt.Errorf("store: %w", context.DeadlineExceeded), false, http.StatusServiceUnavailable, "the request took too long", 0},
		{"anything else", secret, false, http.StatusInternalServerError, "", 0},
	} {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/reports", nil)
		if c.cancel {
			ctx, cancel := context.WithCancel(req.Context())
			cancel()
			req = req.WithContext(ctx)
		}
		p := s.problemFor(c.err, echo.New().NewContext(req, httptest.NewRecorder()))
		switch {
		case p.Status != c.status:
			t.Errorf("%s: status %d, want %d", c.name, p.Status, c.status)
		case !strings.HasPrefix(p.Detail, c.detail) || (c.detail == "" && p.Detail != ""):
			t.Errorf("%s: detail %q, want %q", c.name, p.Detail, c.detail)
		case len(p.Errors) != c.fields:
			t.Errorf("%s: %d field errors, want %d", c.name, len(p.Errors), c.fields)
		case strings.Contains(p.Detail, "SQLSTATE"):
			t.Errorf("%s: the answer tells the internal error: %q", c.name, p.Detail)
		}
	}
}
