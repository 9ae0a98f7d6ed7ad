package server

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb/geojson"

	"github.com/hexwatch/hexwatch/pkg/hotspot"
	"github.com/hexwatch/hexwatch/pkg/snapshot"
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
	// Published is the menu of the published view, for callers who get it.
	Published *publishedMenu `json:"published,omitempty"`
	// Places label the map when it has no basemap.
	Places []snapshot.Place `json:"places"`
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
	ExcludesOwn  bool     `json:"excludes_own"`
	MinReports   int      `json:"min_reports"`
	Dominance    bool     `json:"dominance"`
	LatestAsOf   string   `json:"latest_as_of"`
	DailyBudget  int      `json:"daily_budget"`
	Perturbation []int    `json:"perturbation"`
}

func durationList(ds []time.Duration) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = duration(d)
	}
	return out
}

func (s *Server) getMapConfig(c echo.Context) error {
	if err := s.engine.Sync(c.Request().Context()); err != nil {
		return err
	}
	cfg := mapConfig{TileURL: s.cfg.TileURL, TileAttribution: s.cfg.TileAttribution,
		ServiceArea: geojson.NewFeature(s.validator.Area.Shape), MinCellReports: s.cfg.MinCellReports, Places: s.places.Places()}
	if cfg.TileURL == "none" {
		cfg.TileURL = ""
	}
	first, last, ok := s.engine.Span()
	if r := s.release(principal(c)); r != nil {
		// The published view's time grid: weeks of data, up to today.
		today := hotspot.DayStart(time.Now())
		first, last = hotspot.WeekStart(first), today
		cfg.Published = &publishedMenu{Windows: durationList(hotspot.PublishedWindows), HalfLives: durationList(hotspot.PublishedHalfLives),
			Periods: durationList(hotspot.PublishedPeriods), MaxRes: s.cfg.PublishedMaxRes, K: hotspot.PublishedK, OneCategory: true,
			ExcludesOwn: r.Exclude != uuid.Nil, MinReports: r.K, Dominance: r.Dominance, LatestAsOf: today.Format(time.DateOnly),
			DailyBudget: s.cfg.PublishedBudget}
		for _, row := range hotspot.Perturbation {
			cfg.Published.Perturbation = append(cfg.Published.Perturbation, row.Change)
		}
	}
	if ok {
		f, l := first.Format(time.RFC3339), last.Format(time.RFC3339)
		cfg.DataFirst, cfg.DataLast = &f, &l
	}
	return c.JSON(http.StatusOK, cfg)
}
