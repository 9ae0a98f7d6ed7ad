package release

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/hexwatch/hexwatch/pkg/hexgrid"
	"github.com/hexwatch/hexwatch/pkg/hotspot"
	"github.com/hexwatch/hexwatch/pkg/store"
)

// EvalWeeks are the numbers of weeks before and after a date that a
// published evaluation of a location answers, and EvalHistory how many
// weeks back from the cut-off its date may be: the menu of a location's
// published figures, each a fixed set of whole weeks.
var EvalWeeks = []int{4, 8, 13, 26}

// EvalHistory is how many weeks back from a release's cut-off the date of
// a published evaluation may be.
const EvalHistory = 52

// TimelinePeriod is the span, in weeks, of a published timeline's periods.
const TimelinePeriod = 4

// Figure is a published figure of a region: nil when the release does not
// show it (too few reports).
type Figure struct {
	Reports *int     `json:"reports"`
	Harm    *float64 `json:"harm"`
}

// Regions are a location's figures in its area, buffer and control.
type Regions struct {
	Area    Figure `json:"area"`
	Buffer  Figure `json:"buffer"`
	Control Figure `json:"control"`
}

// Evaluation is a location's published figures in the weeks before and
// after one date. WeeksAfter is how many weeks after it had passed at the
// cut-off, at most Weeks.
type Evaluation struct {
	Weeks      int     `json:"weeks"`
	WeeksAfter int     `json:"weeks_after"`
	Before     Regions `json:"before"`
	After      Regions `json:"after"`
}

// Period is a published figure of the area over some weeks.
type Period struct {
	Start string `json:"start"`
	Weeks int    `json:"weeks"`
	Figure
}

// Location is a location's figures in a release: those of the area
// version in force at its cut-off.
type Location struct {
	Cutoff       time.Time      `json:"cutoff"`
	LocationID   uuid.UUID      `json:"location_id"`
	Version      int            `json:"version"`
	Res          int            `json:"res"`
	Cells        []hexgrid.Cell `json:"cells"`
	BufferRings  int            `json:"buffer_rings"`
	BufferCells  int            `json:"buffer_cells"`
	ControlCells int            `json:"control_cells"`
	// Evaluations are keyed by EvalKey.
	Evaluations map[string]Evaluation `json:"evaluations"`
	// Timeline is the area's figures in periods of TimelinePeriod weeks
	// back from the cut-off, oldest first.
	Timeline []Period `json:"timeline"`
}

// EvalKey names the evaluation of the week of at and weeks.
func EvalKey(at time.Time, weeks int) string {
	return fmt.Sprintf("%s/%d", hotspot.WeekStart(at).Format(time.DateOnly), weeks)
}

// Sides are the regions of an area: its cells, the buffer of rings around
// them, and the number of study cells of the control.
func Sides(eng *hotspot.Engine, res int, cells []hexgrid.Cell, rings int) (buffer []hexgrid.Cell, control int, err error) {
	if buffer, err = hexgrid.Buffer(cells, rings); err != nil {
		return nil, 0, err
	}
	in := 0
	for _, c := range append(append([]hexgrid.Cell{}, cells...), buffer...) {
		if eng.InStudy(c) {
			in++
		}
	}
	return buffer, eng.StudyCells(res) - in, nil
}

// LocationWeeks is how many weeks back from a cut-off the figures of a
// location reach: the history of dates and the longest weeks before one.
func LocationWeeks() int { return EvalHistory + EvalWeeks[len(EvalWeeks)-1] }

// LocationCells are the cell weeks a release computes its locations' figures
// of, at res: the LocationWeeks weeks before cutoff, of the reports counted
// before it, with the cells' draws keyed by salt (store.ReleaseSalt).
func LocationCells(ctx context.Context, eng *hotspot.Engine, cutoff time.Time, res int, salt uint64) (*hotspot.CellWeeks, error) {
	return eng.CellWeeks(ctx, res, cutoff.In(hotspot.London).AddDate(0, 0, -7*LocationWeeks()), LocationWeeks(), cutoff, salt)
}

// ComputeLocation is the figures of area in the release of cutoff, from
// cw (LocationCells of the area's resolution), with a buffer of rings and
// the floor k.
func ComputeLocation(eng *hotspot.Engine, cw *hotspot.CellWeeks, cutoff time.Time, area store.LocationArea, rings, k int) (*Location, error) {
	cells := make([]hexgrid.Cell, len(area.Cells))
	for i, c := range area.Cells {
		cells[i] = hexgrid.Cell(c)
	}
	buffer, control, err := Sides(eng, area.Res, cells, rings)
	if err != nil {
		return nil, err
	}
	total := LocationWeeks()
	from := cutoff.In(hotspot.London).AddDate(0, 0, -7*total)
	both := append(append([]hexgrid.Cell{}, cells...), buffer...)
	figure := func(t hotspot.Tally) Figure {
		n, h := t.Published(k)
		return Figure{Reports: n, Harm: h}
	}
	regions := func(lo, hi int) Regions {
		lo, hi = max(lo, 0), min(hi, total)
		return Regions{Area: figure(cw.Tally(cells, lo, hi)), Buffer: figure(cw.Tally(buffer, lo, hi)), Control: figure(cw.Rest(both, lo, hi))}
	}
	out := &Location{Cutoff: cutoff, LocationID: area.LocationID, Version: area.Version, Res: area.Res, Cells: cells, BufferRings: rings,
		BufferCells: len(buffer), ControlCells: control, Evaluations: map[string]Evaluation{}}
	for at := total - EvalHistory; at < total; at++ {
		date := from.AddDate(0, 0, 7*at)
		for _, n := range EvalWeeks {
			out.Evaluations[EvalKey(date, n)] = Evaluation{Weeks: n, WeeksAfter: min(n, total-at), Before: regions(at-n, at), After: regions(at, at+n)}
		}
	}
	for hi := total; hi-TimelinePeriod >= total-EvalHistory; hi -= TimelinePeriod {
		lo := hi - TimelinePeriod
		out.Timeline = append([]Period{{Start: from.AddDate(0, 0, 7*lo).Format(time.DateOnly), Weeks: TimelinePeriod,
			Figure: figure(cw.Tally(cells, lo, hi))}}, out.Timeline...)
	}
	return out, nil
}
