package intel

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// DecodeSubmission reads one report from JSON strictly: one object, no
// unknown fields, valid UTF-8. Every problem comes back as a field error.
func DecodeSubmission(b []byte) (Submission, FieldErrors) {
	var s Submission
	if !utf8.Valid(b) {
		return s, FieldErrors{{"body", "is not valid UTF-8"}}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return s, FieldErrors{ExplainJSON(err)}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return s, FieldErrors{{"body", "holds more than one JSON value"}}
	}
	return s, nil
}

// ExplainJSON turns an encoding/json error into a field error a sender can act on.
func ExplainJSON(err error) FieldError {
	var (
		syntax  *json.SyntaxError
		typeErr *json.UnmarshalTypeError
	)
	switch {
	case errors.Is(err, io.EOF):
		return FieldError{"body", "is empty: send a JSON object"}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return FieldError{"body", "the JSON is truncated"}
	case errors.As(err, &syntax):
		return FieldError{"body", fmt.Sprintf("malformed JSON at byte %d", syntax.Offset)}
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return FieldError{"body", "must be a JSON object"}
		}
		if strings.HasPrefix(typeErr.Value, "number ") && typeErr.Type.Kind().String() == "float64" {
			return FieldError{typeErr.Field, "number out of range"}
		}
		return FieldError{typeErr.Field, "must be " + jsonKind(typeErr.Type.Kind().String()) + ", got " + typeErr.Value}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return FieldError{strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), "unknown field"}
	default:
		return FieldError{"body", "is not valid JSON"}
	}
}

func jsonKind(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "an array"
	case "map", "struct", "ptr":
		return "an object"
	default:
		return "a number"
	}
}
