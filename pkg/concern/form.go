package concern

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hexwatch/hexwatch/pkg/intel"
	"github.com/hexwatch/hexwatch/pkg/places"
)

// Box is one "what did you see" tick box: plain words for the public and
// what they mean in the taxonomy.
type Box struct {
	Code       string   `json:"code"`
	Label      string   `json:"label"`
	Category   string   `json:"-"`
	Indicators []string `json:"-"`
}

// Boxes are the page's tick boxes, in its order. Several ticked give the
// weightiest of their categories and all of their indicators.
var Boxes = []Box{
	{"out_of_place", "Young people who seem out of place or far from home", "child_exploitation", []string{"found_out_of_area"}},
	{"short_visits", "Lots of visitors to one address for short visits", "drug_supply", nil},
	{"home_taken_over", "Someone's home seems taken over by other people", "cuckooing", nil},
	{"unexplained_gifts", "A child with money, phones or gifts they cannot explain", "child_exploitation", []string{"unexplained_money_or_goods", "multiple_phones"}},
	{"older_controlling", "Older people who seem to be in charge of young people", "grooming_association", []string{"older_controlling_associates"}},
	{"missing_child", "A child who seems to be missing from home or school", "missing_found", []string{"missing_from_home_or_school"}},
	{"weapons", "Weapons, like knives", "weapons", []string{"carrying_weapon"}},
	{"drug_dealing", "Drug dealing", "drug_supply", nil},
	{"something_else", "Something else that worried me", "community_concern", nil},
}

// TimeOfDay is a rough time of day and the hour (Europe/London) it stands for.
type TimeOfDay struct {
	Code  string `json:"code"`
	Label string `json:"label"`
	hour  int
}

// Times are the page's times of day.
var Times = []TimeOfDay{
	{"morning", "Morning (6am to 12 noon)", 9},
	{"afternoon", "Afternoon (12 noon to 6pm)", 15},
	{"evening", "Evening (6pm to midnight)", 21},
	{"night", "Night (midnight to 6am)", 3},
	{"not_sure", "I'm not sure", 12},
}

// Field limits of a concern.
const (
	MaxDetails     = 1000
	MaxContactName = 100
	MaxContactWay  = 200
	// MaxAge is how far back a concern may tell of.
	MaxAge = 365 * 24 * time.Hour
	// Precision bounds of a place tapped on the map, in metres.
	MinTapM = 25
	MaxTapM = 5000
	// tapPixels is how far a fingertip's tap may miss, in CSS pixels.
	tapPixels = 24
)

// Request is a concern as the page sends it.
type Request struct {
	Where struct {
		Lat   *float64 `json:"lat"`
		Lon   *float64 `json:"lon"`
		Zoom  *float64 `json:"zoom"`
		Place string   `json:"place"`
	} `json:"where"`
	When struct {
		Day  string `json:"day"`
		Date string `json:"date"`
		Time string `json:"time"`
	} `json:"when"`
	Seen    []string `json:"seen"`
	Details string   `json:"details"`
	Contact struct {
		Name string `json:"name"`
		Way  string `json:"way"`
	} `json:"contact"`
	// Website is a honeypot: hidden from people, filled by some scripts.
	Website  string `json:"website"`
	Nonce    string `json:"nonce"`
	Solution string `json:"solution"`
}

// Concern is a request made into a report's submission.
type Concern struct {
	Submission intel.Submission
	// Near is the gazetteer's place nearest to where it was.
	Near string
	// Contact is what the person gave to be contacted by, or "".
	Contact string
}

// London is the time zone of the page's days.
var London = func() *time.Location {
	l, err := time.LoadLocation("Europe/London")
	if err != nil {
		return time.UTC
	}
	return l
}()

// Make checks r and makes it a submission of reference ref, or says every
// field that is wrong, in the page's words.
func Make(r Request, ref string, g *places.Gazetteer, now time.Time) (Concern, intel.FieldErrors) {
	var errs intel.FieldErrors
	sub := intel.Submission{
		ExternalRef: ref, Classification: "OFFICIAL-SENSITIVE",
		// What the public says is untested and known indirectly until an
		// evaluator decides: a suggestion, never a grading.
		Grading: &intel.Grading{Source: 2, Assessment: "C", Handling: "P"},
	}
	var c Concern

	w := r.Where
	switch {
	case strings.TrimSpace(w.Place) != "" && (w.Lat != nil || w.Lon != nil):
		errs.Add("where", "give a place on the map or a place name, not both")
	case strings.TrimSpace(w.Place) != "":
		p, radius, ok := g.Find(w.Place)
		if !ok {
			errs.AddCode("where.place", intel.CodeNotAllowed, "choose a place from the list")
			break
		}
		sub.Location = latLon(p.Lat, p.Lon)
		sub.PrecisionM, c.Near = &radius, p.Name
	case w.Lat != nil && w.Lon != nil:
		lat, lon := *w.Lat, *w.Lon
		zoom := 13.0
		if w.Zoom != nil {
			zoom = *w.Zoom
		}
		if math.IsNaN(zoom) || zoom < 0 || zoom > 22 {
			errs.Add("where.zoom", "must be from 0 to 22")
			break
		}
		if lat < -90 || lat > 90 || lon < -180 || lon > 180 {
			errs.Add("where", "is not a place on the map")
			break
		}
		prec := tapPixels * 156543.03392 * math.Cos(lat*math.Pi/180) / math.Exp2(zoom)
		prec = min(MaxTapM, max(MinTapM, math.Round(prec)))
		sub.Location = latLon(lat, lon)
		sub.PrecisionM, c.Near = &prec, g.Nearest(lat, lon)
	default:
		errs.AddCode("where", intel.CodeRequired, "tap the map, or choose a place from the list")
	}

	observed, field, msg := when(r.When.Day, r.When.Date, r.When.Time, now)
	if msg != "" {
		errs.AddCode(field, intel.CodeRequired, msg)
	}
	sub.ObservedAt = observed.Format(time.RFC3339)

	seen := map[string]bool{}
	for i, code := range r.Seen {
		if !slices.ContainsFunc(Boxes, func(b Box) bool { return b.Code == code }) || seen[code] {
			errs.Add(fmt.Sprintf("seen[%d]", i), "is not one of the boxes")
		}
		seen[code] = true
	}
	if len(r.Seen) == 0 {
		errs.AddCode("seen", intel.CodeRequired, "tick at least one box")
	}
	indicators := map[string]bool{}
	for _, b := range Boxes {
		if seen[b.Code] {
			for _, ind := range b.Indicators {
				indicators[ind] = true
			}
		}
	}
	for _, cat := range intel.Categories { // weightiest first
		if slices.ContainsFunc(Boxes, func(b Box) bool { return seen[b.Code] && b.Category == cat.Code }) {
			sub.Category = cat.Code
			break
		}
	}
	for ind := range indicators {
		sub.Indicators = append(sub.Indicators, ind)
	}
	slices.Sort(sub.Indicators)

	sub.Narrative = strings.TrimSpace(r.Details)
	text(&errs, "details", sub.Narrative, MaxDetails, true)
	name, way := strings.TrimSpace(r.Contact.Name), strings.TrimSpace(r.Contact.Way)
	text(&errs, "contact.name", name, MaxContactName, false)
	text(&errs, "contact.way", way, MaxContactWay, false)
	switch {
	case way != "" && name != "":
		c.Contact = name + " — " + way
	case way != "":
		c.Contact = way
	case name != "":
		errs.Add("contact.way", "give a phone number or email with your name, or leave both empty")
	}
	if errs != nil {
		return Concern{}, errs
	}
	c.Submission = sub
	return c, nil
}

// latLon is the location member of a report at (lat, lon), both finite.
func latLon(lat, lon float64) json.RawMessage {
	b := append([]byte(`{"lat":`), strconv.FormatFloat(lat, 'f', -1, 64)...)
	b = append(append(b, `,"lon":`...), strconv.FormatFloat(lon, 'f', -1, 64)...)
	return append(b, '}')
}

// text checks a free-text field: at most max characters, and lines of text.
func text(errs *intel.FieldErrors, field, s string, max int, lines bool) {
	if n := utf8.RuneCountInString(s); n > max {
		errs.AddCode(field, intel.CodeTooLong, fmt.Sprintf("use %d characters or fewer (you used %d)", max, n))
		return
	}
	if !utf8.ValidString(s) || strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsControl(r) && !(lines && (r == '\n' || r == '\r' || r == '\t'))
	}) >= 0 {
		errs.Add(field, "use only ordinary text")
	}
}

// when is the time a concern tells of: the day and the middle of the time
// of day, never later than now; or the field and what is wrong.
func when(day, date, tod string, now time.Time) (time.Time, string, string) {
	today := now.In(London)
	var d time.Time
	switch day {
	case "today":
		d = today
	case "yesterday":
		d = today.AddDate(0, 0, -1)
	case "date":
		t, err := time.ParseInLocation(time.DateOnly, date, London)
		switch {
		case err != nil:
			return time.Time{}, "when.date", "give the date, like 2026-12-01"
		case t.After(today):
			return time.Time{}, "when.date", "the date cannot be in the future"
		case now.Sub(t) > MaxAge:
			return time.Time{}, "when.date", "give a date in the last year"
		}
		d = t
	default:
		return time.Time{}, "when.day", "say when: today, yesterday or another day"
	}
	i := slices.IndexFunc(Times, func(t TimeOfDay) bool { return t.Code == tod })
	if i < 0 {
		return time.Time{}, "when.time", "choose a time of day, or \"I'm not sure\""
	}
	t := time.Date(d.Year(), d.Month(), d.Day(), Times[i].hour, 0, 0, 0, London)
	if t.After(now) {
		t = now
	}
	return t.UTC().Truncate(time.Second), "", ""
}

// Fingerprint is what makes two concerns of one address the same: the
// words given, the boxes, the place (a tap to about 100 m) and the time.
func (r Request) Fingerprint() string {
	var lat, lon float64
	if r.Where.Lat != nil && r.Where.Lon != nil {
		lat, lon = *r.Where.Lat, *r.Where.Lon
	}
	seen := slices.Clone(r.Seen)
	slices.Sort(seen)
	return fmt.Sprintf("%s %v %s %.3f %.3f %s %s %s", strings.TrimSpace(r.Details), seen, strings.ToLower(strings.TrimSpace(r.Where.Place)),
		lat, lon, r.When.Day, r.When.Date, r.When.Time)
}

// NewReference is a reference for the person to quote: C- and ten
// characters of Crockford's base32 (no I, L, O or U), 50 random bits.
func NewReference() string {
	const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	out := []byte("C-")
	for i, x := range b {
		if i == 5 {
			out = append(out, '-')
		}
		out = append(out, alphabet[x&31])
	}
	return string(out)
}
