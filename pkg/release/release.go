// Package release computes, stores and reads the weekly releases of the
// published view: at each week's cut-off (Monday 00:00 Europe/London) the
// hotspots of every combination of the published menu are computed once
// from the reports counted before it, stored, and never changed. Every
// answer to a caller who may not read raw reports is read from a release.
package release

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/hexwatch/hexwatch/pkg/hexgrid"
	"github.com/hexwatch/hexwatch/pkg/hotspot"
	"github.com/hexwatch/hexwatch/pkg/intel"
	"github.com/hexwatch/hexwatch/pkg/store"
)

// Menu is what a release holds a table for: each resolution, window and
// category (all, or one) with every half-life's figures. It is the
// published view's whole menu: each dimension added is another table a
// caller may difference, so it holds no agency, grading, bbox or time
// other than the release's own.
type Menu struct {
	Res        []int           `json:"res"`
	Windows    []time.Duration `json:"windows"`
	HalfLives  []time.Duration `json:"half_lives"`
	Period     time.Duration   `json:"period"`
	Categories []string        `json:"categories"` // "" is every category
	K          int             `json:"min_reports"`
}

// DefaultMenu is the published menu of resolutions 6 to maxRes with the
// floor k.
func DefaultMenu(maxRes, k int) Menu {
	m := Menu{Windows: hotspot.PublishedWindows, HalfLives: hotspot.PublishedHalfLives, Period: hotspot.PublishedPeriods[0],
		Categories: []string{""}, K: k}
	for r := hotspot.MinRes; r <= maxRes; r++ {
		m.Res = append(m.Res, r)
	}
	for _, c := range intel.Categories {
		m.Categories = append(m.Categories, c.Code)
	}
	return m
}

// Tables is the number of tables of a release of m.
func (m Menu) Tables() int { return len(m.Res) * len(m.Windows) * len(m.Categories) }

// Figures are what a half-life changes of a published cell.
type Figures struct {
	Score      float64 `json:"score"`
	Rank       int     `json:"rank"`
	Confidence int     `json:"confidence"`
}

// Cell is a published cell of a table.
type Cell struct {
	Cell       hexgrid.Cell   `json:"cell"`
	Reports    int            `json:"reports"`
	Categories map[string]int `json:"categories"`
	Trend      string         `json:"trend"`
	// Sensitive is true when an OFFICIAL-SENSITIVE report is behind the
	// cell: it classifies the snapshots that freeze the table, and is not
	// shown on its own.
	Sensitive bool `json:"sensitive,omitempty"`
	// ByHalfLife is keyed by the half-life as hotspot.DurationText writes it.
	ByHalfLife map[string]Figures `json:"by_half_life"`
	Splits     *hotspot.Splits    `json:"splits"`
}

// Table is one table of a release.
type Table struct {
	Cutoff     time.Time `json:"cutoff"`
	Res        int       `json:"res"`
	Window     int       `json:"window_days"`
	Category   string    `json:"category"`
	StudyCells int       `json:"study_cells"`
	Cells      []Cell    `json:"cells"`
	// at indexes Cells by cell.
	at map[hexgrid.Cell]int
}

// Lookup is the published cell c, if the table shows it.
func (t *Table) Lookup(c hexgrid.Cell) (Cell, bool) {
	i, ok := t.at[c]
	if !ok {
		return Cell{}, false
	}
	return t.Cells[i], true
}

func (t *Table) index() {
	t.at = make(map[hexgrid.Cell]int, len(t.Cells))
	for i, c := range t.Cells {
		t.at[c.Cell] = i
	}
}

// Result is the table as a hotspot result under half-life h: the shown
// cells by their rank, within bbox when p has one.
func (t *Table) Result(p hotspot.Params) *hotspot.Result {
	h := hotspot.DurationText(p.HalfLife)
	out := &hotspot.Result{Params: p, StudyCells: t.StudyCells, Cells: make([]hotspot.CellScore, 0, len(t.Cells))}
	for _, c := range t.Cells {
		f := c.ByHalfLife[h]
		if p.BBox != nil {
			if center, err := c.Cell.Center(); err != nil || !p.BBox.Contains(center) {
				continue
			}
		}
		out.Cells = append(out.Cells, hotspot.CellScore{Cell: c.Cell, Score: f.Score, Reports: c.Reports, Categories: c.Categories,
			Rank: f.Rank, Confidence: f.Confidence, Trend: c.Trend, Sensitive: c.Sensitive})
	}
	slices.SortFunc(out.Cells, func(a, b hotspot.CellScore) int { return a.Rank - b.Rank })
	return out
}

// Params are the parameters of the table's query under half-life h.
func (m Menu) Params(cutoff time.Time, res int, window time.Duration, category string, h time.Duration) hotspot.Params {
	p := hotspot.Params{Res: res, AsOf: cutoff, HalfLife: h, Period: m.Period, K: hotspot.PublishedK, Release: &hotspot.Release{K: m.K},
		From: cutoff.In(hotspot.London).AddDate(0, 0, -int(window/(24*time.Hour))).UTC()}
	if category != "" {
		p.Categories = []string{category}
	}
	return p.Defaults(cutoff)
}

// Compute is the table of res, window and category of the release of
// cutoff over the reports in eng.
func (m Menu) Compute(ctx context.Context, eng *hotspot.Engine, cutoff time.Time, res int, window time.Duration, category string) (*Table, error) {
	t := &Table{Cutoff: cutoff, Res: res, Window: int(window / (24 * time.Hour)), Category: category}
	for hi, h := range m.HalfLives {
		p := m.Params(cutoff, res, window, category, h)
		r, err := eng.HotspotsContext(ctx, p)
		if err != nil {
			return nil, err
		}
		if hi == 0 {
			// Which cells are shown, their counts and trends do not depend
			// on the half-life.
			t.StudyCells = r.StudyCells
			splits, err := eng.ReleaseSplits(ctx, p, r)
			if err != nil {
				return nil, err
			}
			for _, c := range r.Cells {
				sp := splits[c.Cell]
				t.Cells = append(t.Cells, Cell{Cell: c.Cell, Reports: c.Reports, Categories: sp.ByCategory, Trend: c.Trend,
					Sensitive: c.Sensitive, ByHalfLife: map[string]Figures{}, Splits: sp})
			}
			slices.SortFunc(t.Cells, func(a, b Cell) int { return compareCells(a.Cell, b.Cell) })
			t.index()
		}
		key := hotspot.DurationText(h)
		for _, c := range r.Cells {
			i, ok := t.at[c.Cell]
			if !ok {
				return nil, fmt.Errorf("release: cell %s shown under one half-life and not another", c.Cell)
			}
			t.Cells[i].ByHalfLife[key] = Figures{Score: c.Score, Rank: c.Rank, Confidence: c.Confidence}
		}
	}
	return t, nil
}

func compareCells(a, b hexgrid.Cell) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Encode is the stored form of t: gzipped JSON.
func (t *Table) Encode() ([]byte, error) { return encode(t) }

// Decode reads a table stored by Encode.
func Decode(body []byte) (*Table, error) {
	var t Table
	if err := decode(body, &t); err != nil {
		return nil, err
	}
	t.index()
	return &t, nil
}

// encode is v as gzipped JSON, the stored form of a release's parts.
func encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := json.NewEncoder(zw).Encode(v); err != nil {
		return nil, fmt.Errorf("release: encode: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("release: encode: %w", err)
	}
	return buf.Bytes(), nil
}

// decode reads into v what encode stored.
func decode(body []byte, v any) error {
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("release: decode: %w", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return fmt.Errorf("release: decode: %w", err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("release: decode: %w", err)
	}
	return nil
}

// Build computes every table of the release of cutoff; progress, when
// not nil, is told of each table done.
func (m Menu) Build(ctx context.Context, eng *hotspot.Engine, cutoff time.Time, progress func(done, total int)) ([]store.ReleaseTable, error) {
	out := make([]store.ReleaseTable, 0, m.Tables())
	for _, res := range m.Res {
		for _, w := range m.Windows {
			for _, cat := range m.Categories {
				t, err := m.Compute(ctx, eng, cutoff, res, w, cat)
				if err != nil {
					return nil, err
				}
				body, err := t.Encode()
				if err != nil {
					return nil, err
				}
				out = append(out, store.ReleaseTable{Res: res, WindowDays: t.Window, Category: cat, Cells: len(t.Cells), Body: body})
				if progress != nil {
					progress(len(out), m.Tables())
				}
			}
		}
	}
	return out, nil
}
