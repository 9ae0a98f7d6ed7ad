package server

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/hexwatch/hexwatch/pkg/intel"
	"github.com/labstack/echo/v4"
)

// invalid is the 400 of a report that failed validation.
func invalid(errs []intel.FieldError) *Problem {
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
const maxBBoxArea = 25

// parseBBox reads west,south,east,north in degrees.
func parseBBox(v string) ([4]float64, string) {
	var b [4]float64
	parts := strings.Split(v, ",")
	if len(parts) != 4 {
		return b, "must be west,south,east,north in degrees"
	}
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || f != f || f > 180 || f < -180 {
			return b, "must be four finite numbers: west,south,east,north in degrees"
		}
		b[i] = f
	}
	switch {
	case b[1] < -90 || b[3] > 90:
		return b, "latitudes must be within -90 to 90"
	case b[0] >= b[2] || b[1] >= b[3]:
		return b, "is inverted or empty: west must be less than east, south less than north"
	case (b[2]-b[0])*(b[3]-b[1]) > maxBBoxArea:
		return b, fmt.Sprintf("covers more than %d square degrees: narrow it", maxBBoxArea)
	}
	return b, ""
}

// categoryList reads the comma-separated category codes of parameter
// name, telling add about unknown ones.
func categoryList(q url.Values, name string, add func(field, msg string)) []string {
	cats := splitList(q.Get(name))
	for _, c := range cats {
		if _, ok := intel.CategoryByCode(c); !ok {
			add(name, fmt.Sprintf("unknown category %q", c))
		}
	}
	return cats
}

// agencyList reads the comma-separated agency ids of parameter name,
// telling add when one is not an id.
func agencyList(q url.Values, name string, add func(field, msg string)) []uuid.UUID {
	var ids []uuid.UUID
	for _, a := range splitList(q.Get(name)) {
		id, err := uuid.Parse(a)
		if err != nil {
			add(name, "must be agency ids, comma-separated")
		}
		ids = append(ids, id)
	}
	return ids
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

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
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if d, err := time.Parse(time.DateOnly, v); err == nil {
		return d, nil
	}
	return time.Time{}, &FieldError{Field: field, Message: "must be a date (2026-01-31) or an RFC 3339 time with offset (2026-01-31T09:00:00Z)"}
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
