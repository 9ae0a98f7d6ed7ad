package server

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/hexwatch/hexwatch/pkg/hotspot"
	"github.com/hexwatch/hexwatch/pkg/intel"
	"github.com/labstack/echo/v4"
)

// invalid is the 400 of a report that failed validation.
func invalid(errs intel.FieldErrors) *Problem {
	return badRequest("the report is not valid: see errors", errs...)
}

// readBody reads a bounded JSON body of one report.
func readJSONBody(c echo.Context) ([]byte, error) {
	mt, _, err := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	if err != nil || mt != echo.MIMEApplicationJSON {
		return nil, newProblem(http.StatusUnsupportedMediaType, "send the report as application/json")
	}
	b, err := io.ReadAll(c.Request().Body)
	var he *echo.HTTPError
	if errors.As(err, &he) {
		return nil, err
	}
	if err != nil {
		return nil, badRequest("the body could not be read")
	}
	return b, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// maxBBoxArea bounds a bbox filter, in square degrees: the service area is about 1.

// list wraps a collection so that JSON answers are always objects.
type list[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

func newList[T any](items []T) list[T] {
	if items == nil {
		items = []T{}
	}
	return list[T]{Items: items}
}

// parseTime reads a date (2026-01-31, midnight UTC) or an RFC 3339 time
// with offset given as field.
func parseTime(field, v string) (time.Time, *FieldError) {
	t, msg := hotspot.ParseTime(v)
	if msg != "" {
		return t, &FieldError{Field: field, Message: msg}
	}
	return t, nil
}

// queryValues are a query string's parameters, one value each (strictQuery
// refuses a repeated one).
func queryValues(q url.Values) hotspot.Values {
	v := hotspot.Values{}
	for k := range q {
		v[k] = q.Get(k)
	}
	return v
}

// timeParams reads optional time parameters of q into their destinations.
func timeParams(q url.Values, dst map[string]*time.Time) []FieldError {
	var errs []FieldError
	for name, d := range dst {
		if v := q.Get(name); v != "" {
			t, fe := parseTime(name, v)
			if fe != nil {
				errs = append(errs, *fe)
			}
			*d = t
		}
	}
	return errs
}

// pageLimit reads the limit parameter of a list: defaultPage when absent.
func pageLimit(v string) (int, *FieldError) {
	if v == "" {
		return defaultPage, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxPage {
		return defaultPage, &FieldError{Field: "limit", Message: "must be 1 to " + strconv.Itoa(maxPage)}
	}
	return n, nil
}

// idAndBody reads the id of the path and the JSON body of a request that
// changes one object.
func idAndBody[T any](c echo.Context) (uuid.UUID, T, error) {
	var req T
	id, err := pathUUID(c, "id")
	if err != nil {
		return id, req, err
	}
	return id, req, decodeJSON(c, &req)
}

// pathUUID reads a UUID path parameter; a malformed one is simply not found.
func pathUUID(c echo.Context, name string) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Param(name))
	if err != nil {
		return id, newProblem(http.StatusNotFound, "")
	}
	return id, nil
}

const (
	defaultPage = 100
	maxPage     = 1000
)
