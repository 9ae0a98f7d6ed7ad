package hotspot

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/paulmach/orb"

	"github.com/hexwatch/hexwatch/pkg/hexgrid"
)

// Params are the parameters of a hotspot query. Zero fields take the
// defaults of Defaults.
type Params struct {
	Res      int
	AsOf     time.Time
	From     time.Time
	HalfLife time.Duration
	// Categories and Agencies restrict the reports counted; empty means all.
	Categories []string
	Agencies   []uuid.UUID
	// MinSource keeps sources at least this reliable (1 best, 3 worst).
	MinSource int
	// MinAssessment keeps assessments at least this good ("A" best, "D" worst).
	MinAssessment string
	// K is the ring radius of Gi* neighbourhoods.
	K int
	// BBox, if set, limits the cells returned (not the statistics).
	BBox *orb.Bound
	// FDR applies the Benjamini–Hochberg correction to confidences.
	FDR bool
	// Period is the length of the periods of the trend analysis.
	Period time.Duration
	// Release, when set, makes the answer a published view.
	Release *Release
}

// The defaults.
const (
	DefaultRes      = 8
	DefaultWindow   = 365 * 24 * time.Hour
	DefaultHalfLife = 28 * 24 * time.Hour
	DefaultPeriod   = 28 * 24 * time.Hour
	DefaultK        = 1
)

// Defaults fills every zero field with its default, as of now.
func (p Params) Defaults(now time.Time) Params {
	if p.Res == 0 {
		p.Res = DefaultRes
	}
	if p.AsOf.IsZero() {
		p.AsOf = now
	}
	p.AsOf = p.AsOf.UTC()
	if p.From.IsZero() {
		p.From = p.AsOf.Add(-DefaultWindow)
	}
	p.From = p.From.UTC()
	if p.HalfLife == 0 {
		p.HalfLife = DefaultHalfLife
	}
	if p.MinSource == 0 {
		p.MinSource = 3
	}
	if p.MinAssessment == "" {
		p.MinAssessment = "D"
	}
	if p.K == 0 {
		p.K = DefaultK
	}
	if p.Period == 0 {
		p.Period = DefaultPeriod
	}
	p.Categories = slices.Sorted(slices.Values(p.Categories))
	p.Agencies = slices.SortedFunc(slices.Values(p.Agencies), func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) })
	return p
}

// Valid resolutions and radii.
const (
	MinRes = hexgrid.MinRes
	MaxRes = hexgrid.MaxRes
	MaxK   = 3
)

// MaxPeriods bounds the trend periods of one query: each costs a Gi* over
// the whole study area.
const MaxPeriods = 120

// Periods is the number of whole trend periods in the window, at least one.
func (p Params) Periods() int { return p.periods() }

func (p Params) periods() int {
	n := int(p.AsOf.Sub(p.From) / p.Period)
	return max(n, 1)
}

// Key is a canonical text of every field of p: two Params ask the same
// question exactly when their keys are equal. ETags and caches of answers
// are keyed by it; TestKeyNamesEveryField fails when a field is left out.
func (p Params) Key() string {
	var b strings.Builder
	fmt.Fprintf(&b, "res=%d|as_of=%s|from=%s|half_life=%d|categories=%s|agencies=", p.Res, p.AsOf.UTC().Format(time.RFC3339Nano),
		p.From.UTC().Format(time.RFC3339Nano), p.HalfLife, strings.Join(p.Categories, ","))
	for i, a := range p.Agencies {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(a.String())
	}
	fmt.Fprintf(&b, "|min_source=%d|min_assessment=%s|k=%d|fdr=%t|period=%d", p.MinSource, p.MinAssessment, p.K, p.FDR, p.Period)
	if p.BBox != nil {
		fmt.Fprintf(&b, "|bbox=%v,%v,%v,%v", p.BBox.Min[0], p.BBox.Min[1], p.BBox.Max[0], p.BBox.Max[1])
	}
	if r := p.Release; r != nil {
		fmt.Fprintf(&b, "|release=%d", r.K)
	}
	return b.String()
}
