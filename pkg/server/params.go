package server

import (
	"net/http"
	"net/url"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/hexwatch/hexwatch/pkg/hotspot"
	"github.com/hexwatch/hexwatch/pkg/intel"
	"github.com/labstack/echo/v4"
)

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
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
	t, msg := intel.ParseTime(v)
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

// textCode is the code of the mistake in s, a text of 1 to max characters.
func textCode(s string, max int) string {
	switch {
	case s == "":
		return intel.CodeRequired
	case utf8.RuneCountInString(s) > max:
		return intel.CodeTooLong
	}
	return ""
}
