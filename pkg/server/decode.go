package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/hexwatch/hexwatch/pkg/intel"
)

// decodeJSON reads the request body into v strictly: JSON content type,
// one object, no unknown fields. Every failure is a 4xx naming the problem.
func decodeJSON(c echo.Context, v any) error {
	body, err := readJSON(c, "the body")
	if err != nil {
		return err
	}
	if !utf8.Valid(body) {
		return badRequest("the body is not valid UTF-8", FieldError{Field: "body", Message: "is not valid UTF-8"})
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonProblem(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badRequest("the body holds more than one JSON value")
	}
	return nil
}

// jsonProblem explains a JSON decoding error to the sender, naming the
// field when there is one.
func jsonProblem(err error) error {
	var httpError *echo.HTTPError
	if errors.As(err, &httpError) {
		return err // the body limit
	}
	fe := intel.ExplainJSON(err)
	return badRequest("the JSON body cannot be used: see errors", fe)
}

// readJSON reads a request body that must be JSON, bounded by the body
// limit; what names it in the answer to any other content type.
func readJSON(c echo.Context, what string) ([]byte, error) {
	mt, _, err := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	if err != nil || mt != echo.MIMEApplicationJSON {
		return nil, newProblem(http.StatusUnsupportedMediaType, "send "+what+" as application/json")
	}
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		var he *echo.HTTPError
		if errors.As(err, &he) {
			return nil, err // the body limit
		}
		return nil, badRequest("the body could not be read")
	}
	return body, nil
}
