package server

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb/geojson"

	"github.com/hexwatch/hexwatch/pkg/hexgrid"
	"github.com/hexwatch/hexwatch/pkg/hotspot"
	"github.com/hexwatch/hexwatch/pkg/places"
)

// tileSource is the CSP source of the basemap's tiles, or "" for none.
func tileSource(tileURL string) string {
	if tileURL == "" || tileURL == "none" {
		return ""
	}
	u, err := url.Parse(strings.ReplaceAll(tileURL, "{s}", "a"))
	if err != nil || u.Host == "" {
		return ""
	}
	host := u.Host
	if strings.Contains(tileURL, "{s}.") {
		host = "*." + strings.SplitN(host, ".", 2)[1]
	}
	return " " + u.Scheme + "://" + host
}

// mapConfig is what the map page needs to start.
type mapConfig struct {
	TileURL         string           `json:"tile_url"`
	TileAttribution string           `json:"tile_attribution"`
	ServiceArea     *geojson.Feature `json:"service_area"`
	DataFirst       *string          `json:"data_first"`
	DataLast        *string          `json:"data_last"`
	MinCellReports  int              `json:"min_cell_reports"`
	// Query is what a hotspot query may ask for and what it gets unasked.
	Query queryRules `json:"query"`
	// Published is the menu of the published view, for callers who get it.
	Published *publishedMenu `json:"published,omitempty"`
	// Places label the map when it has no basemap.
	Places []places.Place `json:"places"`
}

// queryRules are the defaults and limits of hotspot parameters, as
// package hotspot states them: the page repeats none of them.
type queryRules struct {
	Defaults struct {
		Res           int    `json:"res"`
		Window        string `json:"window"`
		HalfLife      string `json:"half_life"`
		Period        string `json:"period"`
		K             int    `json:"k"`
		MinSource     int    `json:"min_source"`
		MinAssessment string `json:"min_assessment"`
	} `json:"defaults"`
	Limits struct {
		MinRes      int       `json:"min_res"`
		MaxRes      int       `json:"max_res"`
		MaxK        int       `json:"max_k"`
		HalfLife    [2]string `json:"half_life"`
		Period      [2]string `json:"period"`
		Window      [2]string `json:"window"`
		MaxPeriods  int       `json:"max_periods"`
		MaxBBoxArea int       `json:"max_bbox_area"`
		// CellAreas are the cells' average areas in km², MinRes first.
		CellAreas []float64 `json:"cell_areas_km2"`
	} `json:"limits"`
}

func (s *Server) queryRules() queryRules {
	var q queryRules
	d := hotspot.Params{}.Defaults(time.Time{})
	q.Defaults.Res, q.Defaults.Window, q.Defaults.HalfLife = d.Res, hotspot.DurationText(hotspot.DefaultWindow), hotspot.DurationText(d.HalfLife)
	q.Defaults.Period, q.Defaults.K, q.Defaults.MinSource, q.Defaults.MinAssessment = hotspot.DurationText(d.Period), d.K, d.MinSource, d.MinAssessment
	l := &q.Limits
	l.MinRes, l.MaxRes, l.MaxK, l.MaxPeriods, l.MaxBBoxArea = hotspot.MinRes, hotspot.MaxRes, hotspot.MaxK, hotspot.MaxPeriods, hotspot.MaxBBoxArea
	l.HalfLife = [2]string{hotspot.DurationText(hotspot.MinHalfLife), hotspot.DurationText(hotspot.MaxHalfLife)}
	l.Period = [2]string{hotspot.DurationText(hotspot.MinPeriod), hotspot.DurationText(hotspot.MaxPeriod)}
	l.Window = [2]string{hotspot.DurationText(hotspot.MinWindow), hotspot.DurationText(s.cfg.Retention)}
	for res := hotspot.MinRes; res <= hotspot.MaxRes; res++ {
		l.CellAreas = append(l.CellAreas, hexgrid.AreaKm2(res))
	}
	return q
}

// publishedMenu is what the published view answers: the page offers
// nothing else.
type publishedMenu struct {
	Windows      []string `json:"windows"`
	HalfLives    []string `json:"half_lives"`
	Periods      []string `json:"periods"`
	MaxRes       int      `json:"max_res"`
	K            int      `json:"k"`
	OneCategory  bool     `json:"one_category"`
	MinReports   int      `json:"min_reports"`
	ShowMargin   int      `json:"show_margin"`
	DailyBudget  int      `json:"daily_budget"`
	Perturbation []int    `json:"perturbation"`
	// Releases are the cut-off dates of the stored releases, oldest first;
	// NextRelease is when the next is due.
	Releases    []string `json:"releases"`
	NextRelease string   `json:"next_release"`
}

func durationList(ds []time.Duration) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = hotspot.DurationText(d)
	}
	return out
}

func (s *Server) getMapConfig(c echo.Context) error {
	// The published view's answer reads the releases alone: how long it
	// takes tells nothing of others' writes.
	if s.release(principal(c)) == nil {
		if err := s.engine.Sync(c.Request().Context()); err != nil {
			return err
		}
	}
	cfg := mapConfig{TileURL: s.cfg.TileURL, TileAttribution: s.cfg.TileAttribution,
		ServiceArea: geojson.NewFeature(s.validator.Area.Shape), MinCellReports: s.cfg.MinCellReports, Places: s.places.Places(),
		Query: s.queryRules()}
	if cfg.TileURL == "none" {
		cfg.TileURL = ""
	}
	first, last, ok := s.engine.Span()
	if r := s.release(principal(c)); r != nil {
		// The published view's time grid: the weeks of its releases.
		rs, err := s.releases.Releases(c.Request().Context())
		if err != nil {
			return err
		}
		cfg.Published = &publishedMenu{Windows: durationList(hotspot.PublishedWindows), HalfLives: durationList(hotspot.PublishedHalfLives),
			Periods: durationList(hotspot.PublishedPeriods), MaxRes: s.cfg.PublishedMaxRes, K: hotspot.PublishedK, OneCategory: true,
			MinReports: r.K, ShowMargin: hotspot.ShowMargin, DailyBudget: s.cfg.PublishedBudget, Releases: []string{},
			NextRelease: nextCutoff(time.Now()).Format(time.RFC3339)}
		for _, row := range hotspot.Perturbation {
			cfg.Published.Perturbation = append(cfg.Published.Perturbation, row.Change)
		}
		for _, rel := range rs {
			cfg.Published.Releases = append(cfg.Published.Releases, rel.Cutoff.In(hotspot.London).Format(time.DateOnly))
		}
		ok = len(rs) > 0
		if ok {
			first, last = rs[0].Cutoff.In(hotspot.London), rs[len(rs)-1].Cutoff.In(hotspot.London)
		}
	}
	if ok {
		f, l := first.Format(time.RFC3339), last.Format(time.RFC3339)
		cfg.DataFirst, cfg.DataLast = &f, &l
	}
	return c.JSON(http.StatusOK, cfg)
}
