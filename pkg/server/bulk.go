package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/hexwatch/hexwatch/pkg/ingest"
	"github.com/hexwatch/hexwatch/pkg/intel"
	"github.com/hexwatch/hexwatch/pkg/store"
	"github.com/labstack/echo/v4"
)

// bulkFormats maps the media types of bulk uploads to their readers.
var bulkFormats = map[string]func(io.Reader) (intel.RowReader, error){
	"application/x-ndjson": func(r io.Reader) (intel.RowReader, error) { return intel.NewNDJSONReader(r), nil },
	"application/ndjson":   func(r io.Reader) (intel.RowReader, error) { return intel.NewNDJSONReader(r), nil },
	"text/csv":             intel.NewCSVReader,
	mimeGeoJSON:            func(r io.Reader) (intel.RowReader, error) { return intel.NewGeoJSONReader(r), nil },
}

// bulkReports streams an upload into the store batch by batch and answers
// with what became of every row.
func (s *Server) bulkReports(c echo.Context) error {
	mt, _, _ := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	open, ok := bulkFormats[mt]
	if !ok {
		return newProblem(http.StatusUnsupportedMediaType, "send application/x-ndjson, text/csv or application/geo+json")
	}
	dryRun := false
	if v := c.QueryParam("dry_run"); v != "" {
		var err error
		if dryRun, err = strconv.ParseBool(v); err != nil {
			return badRequest("", intel.FieldError{Field: "dry_run", Message: "must be true or false"})
		}
	}
	ctx := c.Request().Context()
	select {
	case s.bulkSlots <- struct{}{}:
		defer func() { <-s.bulkSlots }()
	case <-time.After(10 * time.Second):
		c.Response().Header().Set("Retry-After", "30")
		return newProblem(http.StatusServiceUnavailable, "too many bulk uploads in progress; retry later")
	case <-ctx.Done():
		return ctx.Err()
	}

	rr, err := open(c.Request().Body)
	if err != nil {
		return fileProblem(err, nil)
	}
	sum, err := ingest.Run(ctx, s.db, s.validator, principal(c).AgencyID, rr, s.event(c, store.ActionCollect), ingest.Options{DryRun: dryRun})
	if err != nil {
		return fileProblem(err, &sum)
	}
	return c.JSON(http.StatusOK, sum)
}

// fileProblem explains why an upload stopped; sum, if any, says how far it got.
func fileProblem(err error, sum *ingest.Summary) error {
	var (
		fe *intel.FileError
		he *echo.HTTPError
		p  *Problem
	)
	switch {
	case errors.As(err, &fe):
		p = badRequest("the upload cannot be read: "+fe.Message, intel.FieldError{Field: fe.Field, Message: fe.Message})
	case errors.As(err, &he):
		return err // 413 from the body limit
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	default:
		return &storageError{err: err, sum: sum}
	}
	if sum != nil {
		p.Detail += fmt.Sprintf(" (rows before it: %d created, %d duplicate, %d conflict, %d rejected; batches already stored stay, and sending the fixed file again completes it)",
			sum.Created, sum.Duplicate, sum.Conflict, sum.Rejected)
	}
	return p
}

// storageError is a database failure in the middle of an upload: 503, and
// the client may resend the whole file.
type storageError struct {
	err error
	sum *ingest.Summary
}

func (e *storageError) Error() string { return "bulk upload: " + e.err.Error() }

func (e *storageError) Unwrap() error { return e.err }
