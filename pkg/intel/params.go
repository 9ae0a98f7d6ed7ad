package intel

// Parsers of the values of query parameters that name the domain's things
// (places, times, categories, agencies), shared by every query of the API.

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// ParseTime reads a date (2026-01-31, midnight UTC) or an RFC 3339 time
// with offset; the message says what is wrong otherwise.
func ParseTime(s string) (time.Time, string) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, ""
	}
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		return d, ""
	}
	return time.Time{}, "must be a date (2026-01-31) or an RFC 3339 time with offset (2026-01-31T09:00:00Z)"
}

// ParseBBox reads west,south,east,north in degrees, covering at most
// maxArea square degrees; the message says what is wrong otherwise.
func ParseBBox(s string, maxArea int) ([4]float64, string) {
	var b [4]float64
	parts := strings.Split(s, ",")
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
	case (b[2]-b[0])*(b[3]-b[1]) > float64(maxArea):
		return b, fmt.Sprintf("covers more than %d square degrees: narrow it", maxArea)
	}
	return b, ""
}

// ParseCategories reads comma-separated category codes, adding to errs
// (as field) each unknown one.
func ParseCategories(s, field string, errs *FieldErrors) []string {
	cats := splitList(s)
	for _, c := range cats {
		if _, ok := CategoryByCode(c); !ok {
			errs.Add(field, fmt.Sprintf("unknown category %q", c))
		}
	}
	return cats
}

// ParseAgencies reads comma-separated agency ids, adding to errs (as
// field) when one is not an id.
func ParseAgencies(s, field string, errs *FieldErrors) []uuid.UUID {
	var ids []uuid.UUID
	for _, a := range splitList(s) {
		id, err := uuid.Parse(a)
		if err != nil {
			errs.Add(field, "must be agency ids, comma-separated")
		}
		ids = append(ids, id)
	}
	return ids
}

func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}
