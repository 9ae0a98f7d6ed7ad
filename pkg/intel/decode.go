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
		return s, FieldErrors{{Field: "body", Message: "is not valid UTF-8"}}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return s, FieldErrors{ExplainJSON(err)}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return s, FieldErrors{{Field: "body", Message: "holds more than one JSON value"}}
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
		return FieldError{Field: "body", Message: "is empty: send a JSON object"}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return FieldError{Field: "body", Message: "the JSON is truncated"}
	case errors.As(err, &syntax):
		return FieldError{Field: "body", Message: fmt.Sprintf("malformed JSON at byte %d", syntax.Offset)}
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return FieldError{Field: "body", Message: "must be a JSON object"}
		}
		if strings.HasPrefix(typeErr.Value, "number ") && typeErr.Type.Kind().String() == "float64" {
			return FieldError{Field: typeErr.Field, Message: "number out of range"}
		}
		return FieldError{Field: typeErr.Field, Message: "must be " + jsonKind(typeErr.Type.Kind().String()) + ", got " + typeErr.Value}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return FieldError{Field: strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), Message: "unknown field"}
	default:
		return FieldError{Field: "body", Message: "is not valid JSON"}
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
