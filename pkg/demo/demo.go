// Package demo makes a clearly labelled, seeded synthetic dataset of
// intelligence over Cambridgeshire and Peterborough: hotspots at stations,
// town centres and estates that appear, persist, grow and fade over the
// last two years, reported by several agencies. Nothing in it is real.
package demo

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"time"

	"github.com/hexwatch/hexwatch/pkg/intel"
)

// Days is the span of the dataset, back from its anchor day.
const Days = 730

// site is a place where intelligence clusters, and how its activity runs
// over the Days of the dataset.
type site struct {
	name     string
	lat, lon float64
	weight   float64
	// activity gives the relative rate on day d (0 = oldest, Days-1 = newest).
	activity func(d float64) float64
	cats     []string
}

func persistent(float64) float64 { return 1 }
func growing(d float64) float64  { return 0.1 + d/Days }
func fading(d float64) float64   { return math.Max(0.02, 1-d/(Days*0.6)) }
func emerging(d float64) float64 {
	if d < Days-120 {
		return 0.02
	}
	return 1.5
}
func sporadic(d float64) float64 {
	if int(d/56)%2 == 0 {
		return 1
	}
	return 0.05
}

var sites = []site{
	{"Cambridge station", 52.1943, 0.1373, 3, persistent, []string{"transport_hub", "drug_supply", "deal_line_activity", "child_exploitation"}},
	{"Cambridge market", 52.2055, 0.1190, 2, sporadic, []string{"drug_supply", "community_concern", "violence"}},
	{"Kings Hedges", 52.2295, 0.1335, 2, growing, []string{"cuckooing", "drug_supply", "child_exploitation", "weapons"}},
	{"Peterborough station", 52.5749, -0.2503, 3, persistent, []string{"transport_hub", "missing_found", "child_exploitation", "drug_supply"}},
	{"Peterborough centre", 52.5726, -0.2430, 2, growing, []string{"drug_supply", "violence", "weapons", "grooming_association"}},
	{"Millfield", 52.5820, -0.2560, 2, emerging, []string{"cuckooing", "stash_location", "drug_supply"}},
	{"Orton", 52.5450, -0.2850, 1, fading, []string{"drug_supply", "suspicious_vehicle", "community_concern"}},
	{"Huntingdon centre", 52.3306, -0.1846, 1, fading, []string{"drug_supply", "grooming_association"}},
	{"Ely station", 52.3917, 0.2666, 1, sporadic, []string{"transport_hub", "deal_line_activity"}},
	{"Wisbech centre", 52.6664, 0.1590, 2, emerging, []string{"cuckooing", "child_exploitation", "drug_supply", "missing_found"}},
	{"March station", 52.5600, 0.0917, 1, persistent, []string{"transport_hub", "suspicious_vehicle"}},
	{"St Neots centre", 52.2286, -0.2661, 1, growing, []string{"drug_supply", "community_concern"}},
}

// background is the share of reports scattered around the towns, outside any hotspot.
const background = 0.25

var indicators = []string{"missing_from_home_or_school", "found_out_of_area", "unexplained_money_or_goods", "multiple_phones",
	"older_controlling_associates", "carrying_weapon", "gang_association", "social_media_contact", "parental_concern"}

// Report is one synthetic report and the index of the agency that sends it.
type Report struct {
	Agency int
	Sub    intel.Submission
}

// Generator makes the dataset, report by report, the same for the same
// seed and anchor day.
type Generator struct {
	rng      *rand.Rand
	n, i     int
	seed     uint64
	anchor   time.Time
	agencies int
	total    float64
	area     *intel.ServiceArea
}

// New returns a generator of n reports inside area from agencies senders,
// ending at the day of anchor.
func New(seed uint64, n, agencies int, anchor time.Time, area *intel.ServiceArea) *Generator {
	g := &Generator{rng: rand.New(rand.NewPCG(seed, 0x6865787761746368)), n: n, seed: seed, agencies: agencies,
		anchor: anchor.UTC().Truncate(24 * time.Hour), area: area}
	for _, s := range sites {
		g.total += s.weight
	}
	return g
}

// Next returns the next report, or io.EOF after n.
func (g *Generator) Next() (Report, error) {
	if g.i >= g.n {
		return Report{}, io.EOF
	}
	g.i++
	r := g.rng
	s := g.pickSite()
	day := g.pickDay(s)
	lat, lon := s.lat+r.NormFloat64()*0.0025, s.lon+r.NormFloat64()*0.004
	cat := s.cats[r.IntN(len(s.cats))]
	if r.Float64() < background {
		// Scattered reports keep the map honest: not every report is a hotspot.
		for {
			lat, lon = s.lat+r.NormFloat64()*0.03, s.lon+r.NormFloat64()*0.045
			if g.area.Contains(intel.Point{Lat: lat, Lon: lon}) {
				break
			}
		}
		cat = intel.Categories[r.IntN(len(intel.Categories))].Code
	}
	observed := g.anchor.Add(-time.Duration(Days-day) * 24 * time.Hour).Add(time.Duration(r.IntN(86400)) * time.Second)
	var inds []string
	for range r.IntN(3) {
		ind := indicators[r.IntN(len(indicators))]
		if !contains(inds, ind) {
			inds = append(inds, ind)
		}
	}
	grading := &intel.Grading{Source: 1 + r.IntN(3), Assessment: string(rune('A' + r.IntN(4))), Handling: "P"}
	if r.Float64() < 0.1 {
		grading.Handling, grading.Conditions = "C", "DEMO: not to be shared outside the partnership"
	}
	prec := []float64{10, 25, 50, 100, 250}[r.IntN(5)]
	class := "OFFICIAL"
	if r.Float64() < 0.3 {
		class = "OFFICIAL-SENSITIVE"
	}
	loc, err := json.Marshal(intel.Point{Lat: lat, Lon: lon})
	if err != nil {
		return Report{}, fmt.Errorf("demo: location: %w", err)
	}
	return Report{
		Agency: r.IntN(g.agencies),
		Sub: intel.Submission{
			ExternalRef: fmt.Sprintf("DEMO-%d-%d", g.seed, g.i), Category: cat, Indicators: inds,
			ObservedAt: observed.Format(time.RFC3339), Location: loc, PrecisionM: &prec, Grading: grading,
			Classification: class, Narrative: fmt.Sprintf("[DEMO] Synthetic report near %s. Not real intelligence.", s.name),
		},
	}, nil
}

func (g *Generator) pickSite() site {
	x := g.rng.Float64() * g.total
	for _, s := range sites {
		if x -= s.weight; x < 0 {
			return s
		}
	}
	return sites[len(sites)-1]
}

// pickDay draws a day from the site's activity by rejection sampling.
func (g *Generator) pickDay(s site) int {
	for {
		d := g.rng.IntN(Days)
		if g.rng.Float64()*1.6 < s.activity(float64(d)) {
			return d
		}
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// AgencyRows reads the reports of one agency as ingest rows.
type AgencyRows struct {
	Gen    *Generator
	Agency int
}

// Next implements intel.RowReader.
func (a *AgencyRows) Next() (intel.Row, error) {
	for {
		r, err := a.Gen.Next()
		if err != nil {
			return intel.Row{}, err
		}
		if r.Agency == a.Agency {
			return intel.Row{N: a.Gen.i, Sub: r.Sub}, nil
		}
	}
}

// Validated passes each of the n reports of the dataset of seed and anchor,
// from agencies agencies, to each as v validates it, with the index of its
// agency: the facts the engine's benchmarks hold.
func Validated(seed uint64, n, agencies int, anchor time.Time, v *intel.Validator, each func(agency int, r intel.Report)) error {
	gen := New(seed, n, agencies, anchor, v.Area)
	for {
		r, err := gen.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		rep, verr := v.Validate(r.Sub)
		if verr != nil {
			return fmt.Errorf("demo: report %d: %w", gen.i, verr)
		}
		each(r.Agency, rep)
	}
}
