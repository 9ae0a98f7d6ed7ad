package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/hexwatch/hexwatch/pkg/identity"
	"github.com/hexwatch/hexwatch/pkg/intel"
	"github.com/hexwatch/hexwatch/pkg/store"
)

// statusClientClosed is logged for requests whose client went away.
const statusClientClosed = 499

// FieldError names one field or parameter of a request and what is wrong with it.
type FieldError = intel.FieldError

// Problem is an RFC 9457 problem details object. A handler may return one
// as its error to answer with exactly that status and detail.
type Problem struct {
	Type      string       `json:"type"`
	Title     string       `json:"title"`
	Status    int          `json:"status"`
	Detail    string       `json:"detail,omitempty"`
	Instance  string       `json:"instance,omitempty"`
	RequestID string       `json:"request_id,omitempty"`
	Errors    []FieldError `json:"errors,omitempty"`
}

func (p *Problem) Error() string { return p.Title + ": " + p.Detail }

// newProblem builds a Problem of the given status with the standard title.
func newProblem(status int, detail string, errs ...FieldError) *Problem {
	title := http.StatusText(status)
	if status == statusClientClosed {
		title = "Client Closed Request"
	}
	return &Problem{Type: "about:blank", Title: title, Status: status, Detail: detail, Errors: errs}
}

// badRequest is a 400 naming the offending fields or parameters.
func badRequest(detail string, errs ...FieldError) *Problem {
	return newProblem(http.StatusBadRequest, detail, errs...)
}

// handleError is echo's HTTPErrorHandler: every error becomes problem+json.
// Internal failures are logged here, once, and never described to the client.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	p := s.problemFor(err, c)
	p.Instance = c.Request().URL.Path
	p.RequestID = RequestID(c)
	if c.Request().Method == http.MethodHead {
		err = c.NoContent(p.Status)
	} else {
		c.Response().Header().Set(echo.HeaderContentType, "application/problem+json")
		c.Response().WriteHeader(p.Status)
		err = jsonEncode(c.Response(), p)
	}
	if err != nil {
		s.log.Debug("write problem", "request_id", p.RequestID, "err", err)
	}
}

func (s *Server) problemFor(err error, c echo.Context) *Problem {
	var (
		p     *Problem
		he    *echo.HTTPError
		fes   intel.FieldErrors
		taken *identity.Taken
	)
	switch {
	case errors.As(err, &p):
		return p
	case errors.As(err, &fes):
		return badRequest("the request is not valid", fes...)
	case errors.As(err, &taken):
		return newProblem(http.StatusConflict, taken.Message, taken.FieldError)
	case errors.As(err, new(*storageError)):
		s.log.Error("bulk upload stopped", "request_id", RequestID(c), "err", err)
		c.Response().Header().Set("Retry-After", "30")
		return newProblem(http.StatusServiceUnavailable, "the database failed during the upload: no batch was half-written; send the whole file again and rows already stored will be recognised as duplicates")
	case errors.Is(err, store.ErrNotFound):
		return newProblem(http.StatusNotFound, "")
	case errors.Is(err, store.ErrPublicAgency):
		return badRequest("the request is not valid", FieldError{Field: "agency_id", Message: "the public agency has no users or API keys"})
	case errors.Is(err, store.ErrConflict):
		return newProblem(http.StatusConflict, "it clashes with what is stored")
	case errors.Is(err, store.ErrUnreachable):
		s.log.Warn("database unreachable", "request_id", RequestID(c), "err", err)
		c.Response().Header().Set("Retry-After", "5")
		return newProblem(http.StatusServiceUnavailable, "the database does not answer; try again shortly")
	case errors.Is(err, store.ErrReadOnly):
		return newProblem(http.StatusServiceUnavailable, "this instance reads a standby of the database: changes are made through an instance of the primary")
	case errors.As(err, &he):
		detail := ""
		if msg, ok := he.Message.(string); ok && he.Code < 500 {
			detail = msg
		}
		if he.Code >= 500 {
			s.log.Error("request failed", "request_id", RequestID(c), "err", err)
		}
		return newProblem(he.Code, detail)
	case errors.Is(err, context.Canceled) && c.Request().Context().Err() != nil:
		// The client went away; nobody reads the answer.
		return newProblem(statusClientClosed, "")
	case errors.Is(err, context.DeadlineExceeded):
		s.log.Warn("request timed out", "request_id", RequestID(c), "err", err)
		return newProblem(http.StatusServiceUnavailable, "the request took too long; try again or narrow it")
	default:
		s.log.Error("request failed", "request_id", RequestID(c), "err", err)
		return newProblem(http.StatusInternalServerError, "")
	}
}

// prefixed is errs with each field under prefix, for errors of a part of a
// request body ("parameters.res").
func prefixed(prefix string, errs []FieldError) []FieldError {
	out := make([]FieldError, len(errs))
	for i, fe := range errs {
		fe.Field = prefix + fe.Field
		out[i] = fe
	}
	return out
}

// invalid is the 400 of a report that failed validation.
func invalid(errs intel.FieldErrors) *Problem {
	return badRequest("the report is not valid: see errors", errs...)
}

// jsonEncode writes v as JSON, leaving <, > and & as they are.
func jsonEncode(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
