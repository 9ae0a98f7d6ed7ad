package server

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/hexwatch/hexwatch/pkg/hotspot"
	"github.com/hexwatch/hexwatch/pkg/intel"
)

// Messages that several parameters share.
const (
	msgCursor = "must be a next_cursor of an earlier page"
	msgUUID   = "must be a UUID"
)

// query is a resource's typed query: parse reads it from the query string,
// returning every problem at once.
type query interface {
	parse(url.Values) intel.FieldErrors
}

// parseQuery reads the request's query string into q, or is the 400 that
// names every problem.
func parseQuery(c echo.Context, q query, what string) error {
	if errs := q.parse(c.QueryParams()); errs != nil {
		return badRequest("the "+what+" query is not valid", errs...)
	}
	return nil
}

// queryReader reads the parameters of a list endpoint into typed values,
// collecting every problem as a FieldError naming its parameter; each
// resource's query type has a parse method built on it, in its own file.
type queryReader struct {
	v    url.Values
	errs intel.FieldErrors
}

func (r *queryReader) get(name string) string { return r.v.Get(name) }

// bbox is name as west,south,east,north in degrees, or nil when absent.
func (r *queryReader) bbox(name string) *[4]float64 {
	s := r.get(name)
	if s == "" {
		return nil
	}
	b, msg := intel.ParseBBox(s, hotspot.MaxBBoxArea)
	if msg != "" {
		r.errs.Add(name, msg)
	}
	return &b
}

// categories are name's comma-separated category codes.
func (r *queryReader) categories(name string) []string {
	return intel.ParseCategories(r.get(name), name, &r.errs)
}

// agencies are name's comma-separated agency ids.
func (r *queryReader) agencies(name string) []uuid.UUID {
	return intel.ParseAgencies(r.get(name), name, &r.errs)
}

// time is name as a date or an RFC 3339 time; zero when absent.
func (r *queryReader) time(name string) time.Time {
	s := r.get(name)
	if s == "" {
		return time.Time{}
	}
	t, msg := intel.ParseTime(s)
	if msg != "" {
		r.errs.Add(name, msg)
	}
	return t
}

// uuid is name as a UUID, or nil when absent.
func (r *queryReader) uuid(name string) *uuid.UUID {
	s := r.get(name)
	if s == "" {
		return nil
	}
	id, err := uuid.Parse(s)
	if err != nil {
		r.errs.Add(name, msgUUID)
	}
	return &id
}

// oneOf is name, which must be one of allowed when given.
func (r *queryReader) oneOf(name, msg string, allowed ...string) string {
	s := r.get(name)
	if s != "" && !slices.Contains(allowed, s) {
		r.errs.Add(name, msg)
	}
	return s
}

// int is name as a whole number from lo to hi; 0 when absent.
func (r *queryReader) int(name string, lo, hi int) int {
	s := r.get(name)
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		r.errs.Add(name, fmt.Sprintf("must be %d to %d", lo, hi))
	}
	return n
}

// limit is the page size: defaultPage when absent, at most maxPage.
func (r *queryReader) limit() int {
	n, fe := pageLimit(r.get("limit"))
	if fe != nil {
		r.errs = append(r.errs, *fe)
	}
	return n
}

// idCursor is the cursor of a list in id order: the last id of a page.
func (r *queryReader) idCursor() uuid.UUID {
	s := r.get("cursor")
	if s == "" {
		return uuid.Nil
	}
	id, err := uuid.Parse(s)
	if err != nil {
		r.errs.Add("cursor", msgCursor)
	}
	return id
}

// seqCursor is the cursor of a list in sequence order: the last number of a page.
func (r *queryReader) seqCursor() int64 {
	s := r.get("cursor")
	if s == "" {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 {
		r.errs.Add("cursor", msgCursor)
	}
	return n
}

// timeIDCursor is the cursor of a list by time and id, as
// timeIDCursorOf writes it.
func (r *queryReader) timeIDCursor() (time.Time, uuid.UUID) {
	s := r.get("cursor")
	if s == "" {
		return time.Time{}, uuid.Nil
	}
	at, id, ok := strings.Cut(s, "_")
	t, err1 := time.Parse(time.RFC3339Nano, at)
	u, err2 := uuid.Parse(id)
	if !ok || err1 != nil || err2 != nil {
		r.errs.Add("cursor", msgCursor)
	}
	return t, u
}

// timeIDCursorOf is the next_cursor after the item of time t and id.
func timeIDCursorOf(t time.Time, id uuid.UUID) string {
	return t.UTC().Format(time.RFC3339Nano) + "_" + id.String()
}
