package hotspot

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/hexwatch/hexwatch/pkg/config"
	"github.com/hexwatch/hexwatch/pkg/intel"
)

// Values are the parameters of a query by name, as text: what a query
// string holds, and what a snapshot's JSON parameters decode into.
type Values map[string]string

// ValuesOfJSON reads parameters given as JSON values: a string as it is,
// a number or a boolean as written, a list joined by commas, null as not
// given, so that clients may send {"res": 8} or {"res": "8"}. Anything else
// is an error naming the parameter.
func ValuesOfJSON(m map[string]json.RawMessage) (Values, intel.FieldErrors) {
	v := Values{}
	var errs intel.FieldErrors
	for _, k := range slices.Sorted(maps.Keys(m)) {
		var x any
		s, ok := "", json.Unmarshal(m[k], &x) == nil
		if ok {
			s, ok = textOf(x)
		}
		if !ok {
			errs = append(errs, intel.FieldError{Field: k, Message: "must be a string, a number, true or false, or a list of those"})
			continue
		}
		if s != "" {
			v[k] = s
		}
	}
	return v, errs
}

func textOf(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(v), true
	case nil:
		return "", true
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			s, ok := textOf(x)
			if !ok {
				return "", false
			}
			parts[i] = s
		}
		return strings.Join(parts, ","), true
	}
	return "", false
}

// ParamNames are the parameters a query may give.
var ParamNames = []string{"res", "as_of", "from", "window", "half_life", "categories", "agencies",
	"min_source", "min_assessment", "k", "bbox", "fdr", "period"}

// Limits of the parameters, beside their defaults (params.go).
const (
	MinHalfLife  = time.Hour
	MaxHalfLife  = 3650 * 24 * time.Hour
	MinPeriod    = 24 * time.Hour
	MaxPeriod    = 365 * 24 * time.Hour
	MinWindow    = 24 * time.Hour
	MaxBBoxArea  = 25 // square degrees
	maxAsOfAhead = 24 * time.Hour
)

// Parse reads a query's parameters, checks each against its limits
// (windows no longer than retention), and fills in the defaults as of
// now. It names every parameter that is wrong.
func Parse(v Values, now time.Time, retention time.Duration) (Params, intel.FieldErrors) {
	var (
		p    Params
		errs intel.FieldErrors
	)
	for _, k := range slices.Sorted(maps.Keys(v)) {
		if !slices.Contains(ParamNames, k) {
			errs.Add(k, "unknown parameter; the parameters are "+strings.Join(ParamNames, ", "))
		}
	}
	intParam := func(name string, lo, hi int) int {
		s := v[name]
		if s == "" {
			return 0
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < lo || n > hi {
			errs.Add(name, fmt.Sprintf("must be a whole number from %d to %d", lo, hi))
		}
		return n
	}
	timeParam := func(name string) time.Time {
		if v[name] == "" {
			return time.Time{}
		}
		t, msg := intel.ParseTime(v[name])
		if msg != "" {
			errs.Add(name, msg)
		}
		return t
	}
	durParam := func(name string, lo, hi time.Duration) time.Duration {
		s := v[name]
		if s == "" {
			return 0
		}
		d, err := config.ParseDuration(s)
		if err != nil || d < lo || d > hi {
			errs.Add(name, fmt.Sprintf("must be a duration from %s to %s, such as 28d or 72h", lo, hi))
		}
		return d
	}
	p.Res = intParam("res", MinRes, MaxRes)
	p.K = intParam("k", 1, MaxK)
	p.MinSource = intParam("min_source", 1, 3)
	p.AsOf, p.From = timeParam("as_of"), timeParam("from")
	window := durParam("window", MinWindow, retention)
	p.HalfLife = durParam("half_life", MinHalfLife, MaxHalfLife)
	p.Period = durParam("period", MinPeriod, MaxPeriod)
	if s := v["min_assessment"]; s != "" {
		if r := intel.AssessmentRank(s); r < 1 || r > 4 {
			errs.Add("min_assessment", "must be A, B, C or D (E never scores)")
		}
		p.MinAssessment = s
	}
	p.Categories = intel.ParseCategories(v["categories"], "categories", &errs)
	p.Agencies = intel.ParseAgencies(v["agencies"], "agencies", &errs)
	if s := v["bbox"]; s != "" {
		b, msg := intel.ParseBBox(s, MaxBBoxArea)
		if msg != "" {
			errs.Add("bbox", msg)
		}
		p.BBox = &orb.Bound{Min: orb.Point{b[0], b[1]}, Max: orb.Point{b[2], b[3]}}
	}
	if s := v["fdr"]; s != "" {
		var err error
		if p.FDR, err = strconv.ParseBool(s); err != nil {
			errs.Add("fdr", "must be true or false")
		}
	}
	if errs != nil {
		return p, errs
	}
	if p.AsOf.IsZero() {
		// Whole minutes, so that repeated requests share an ETag.
		p.AsOf = now.UTC().Truncate(time.Minute)
	}
	switch {
	case window != 0 && !p.From.IsZero():
		errs.Add("window", "give from or window, not both")
	case window != 0:
		p.From = p.AsOf.Add(-window)
	}
	p = p.Defaults(now)
	switch {
	case !p.From.Before(p.AsOf):
		errs.Add("from", "must be before as_of")
	case p.AsOf.Sub(p.From) > retention:
		errs.Add("from", "the window may not be longer than the retention period")
	}
	if p.AsOf.After(now.Add(maxAsOfAhead)) {
		errs.Add("as_of", "must not be in the future")
	}
	if n := p.Periods(); n > MaxPeriods {
		errs.Add("period", fmt.Sprintf("the window holds %d trend periods, at most %d may be asked for: lengthen the period or shorten the window", n, MaxPeriods))
	}
	return p, errs
}

// ParsePublished checks the parameters v against the published view's
// menu and sets p's times on its daily grid. Values off the menu are
// refused, naming the allowed ones, never rounded.
func ParsePublished(v Values, p *Params, maxRes int, now time.Time) intel.FieldErrors {
	var errs intel.FieldErrors
	menu := func(name string, allowed []time.Duration, def time.Duration) time.Duration {
		s := v[name]
		if s == "" {
			return def
		}
		d, err := config.ParseDuration(s)
		if err != nil || !slices.Contains(allowed, d) {
			errs.Add(name, "the published view offers "+Durations(allowed))
		}
		return d
	}
	for _, name := range []string{"from", "agencies", "min_source", "min_assessment"} {
		if v[name] != "" {
			errs.Add(name, "not offered by the published view, which shows every agency and grading together; use window for the period")
		}
	}
	if s := v["k"]; s != "" && s != strconv.Itoa(PublishedK) {
		errs.Add("k", fmt.Sprintf("the published view's ring radius is %d", PublishedK))
	}
	if v["res"] == "" {
		p.Res = min(DefaultRes, maxRes)
	} else if p.Res > maxRes {
		errs.Add("res", fmt.Sprintf("the published view goes to resolution %d at most", maxRes))
	}
	if len(p.Categories) > 1 {
		errs.Add("categories", "the published view shows all categories or one")
	}
	window := menu("window", PublishedWindows, PublishedWindows[len(PublishedWindows)-1])
	p.HalfLife = menu("half_life", PublishedHalfLives, DefaultHalfLife)
	p.Period = menu("period", PublishedPeriods, DefaultPeriod)

	today := DayStart(now)
	p.AsOf = today
	if s := v["as_of"]; s != "" {
		t, err := time.ParseInLocation(time.DateOnly, s, London)
		if err != nil {
			t, err = time.Parse(time.RFC3339, s)
		}
		switch {
		case err != nil || !DayStart(t).Equal(t):
			errs.Add("as_of", "the published view is daily: give a date such as "+today.Format(time.DateOnly))
		case t.After(today):
			errs.Add("as_of", "must not be after today, "+today.Format(time.DateOnly))
		default:
			p.AsOf = t
		}
	}
	// Calendar days: a window of whole weeks starts on as_of's weekday
	// whatever the clocks did in between.
	p.From = p.AsOf.In(London).AddDate(0, 0, -int(window/(24*time.Hour))).UTC()
	p.AsOf = p.AsOf.UTC()
	p.K = PublishedK
	return errs
}

// Durations writes durations as a reader would: "14d, 28d or 56d".
func Durations(ds []time.Duration) string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = DurationText(d)
	}
	if len(out) == 1 {
		return out[0]
	}
	return strings.Join(out[:len(out)-1], ", ") + " or " + out[len(out)-1]
}

// DurationText is d in whole days ("28d") or whole hours ("6h") when it
// is one, else as Go writes it.
func DurationText(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	case d%time.Hour == 0:
		return strconv.Itoa(int(d/time.Hour)) + "h"
	}
	return d.String()
}
