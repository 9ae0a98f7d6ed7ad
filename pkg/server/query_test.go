package server

import (
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hexwatch/hexwatch/pkg/intel"
	"github.com/hexwatch/hexwatch/pkg/store"
)

// fields are the parameters errs names, in order.
func fields(errs intel.FieldErrors) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Field)
	}
	return out
}

func TestQueriesNameEveryBadParameter(t *testing.T) {
	id := uuid.MustParse("01a24d1f-0000-7000-8000-000000000001")
	at := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	cursor := timeIDCursorOf(at, id)
	for _, c := range []struct {
		name  string
		q     query
		query string
		want  []string
	}{
		{"reports: all good", &reportsQuery{}, "bbox=0,52,0.2,52.3&from=2026-01-01&category=weapons&agency=" + id.String() + "&sort=-observed_at&offset=10&limit=50", nil},
		{"reports: all bad", &reportsQuery{}, "status=gone&bbox=1,2&from=yesterday&category=knives&agency=7&cell=x&sort=up&format=pdf&limit=0", []string{"status", "bbox", "from", "category", "agency", "cell", "sort", "format", "limit"}},
		{"reports: offset pages a sorted list only", &reportsQuery{}, "offset=5", []string{"offset"}},
		{"reports: cursor pages a list in id order only", &reportsQuery{}, "sort=observed_at&cursor=" + id.String(), []string{"cursor"}},
		{"reports: a CSV export says why", &reportsQuery{}, "format=csv", []string{"purpose"}},
		{"evaluations", &evaluationsQuery{}, "agency=x&category=y&bbox=a&cursor=nope&limit=99999", []string{"agency", "category", "bbox", "cursor", "limit"}},
		{"evaluations: a cursor of a page", &evaluationsQuery{}, "cursor=" + url.QueryEscape(cursor), nil},
		{"snapshots", &snapshotsQuery{}, "cursor=2026_x", []string{"cursor"}},
		{"audit", &auditQuery{}, "agency_id=x&from=never&cursor=0", []string{"agency_id", "from", "cursor"}},
		{"review", &reviewQuery{}, "due_before=soon&cursor=x", []string{"due_before", "cursor"}},
	} {
		v, err := url.ParseQuery(c.query)
		if err != nil {
			t.Fatal(err)
		}
		got := fields(c.q.parse(v))
		slices.Sort(got)
		want := slices.Clone(c.want)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: named %v, want %v", c.name, got, want)
		}
	}
}

func TestQueriesReadWhatTheyAreGiven(t *testing.T) {
	id := uuid.MustParse("01a24d1f-0000-7000-8000-000000000001")
	at := time.Date(2026, 11, 30, 9, 0, 0, 123, time.UTC)
	var r reportsQuery
	v, _ := url.ParseQuery("status=live&bbox=0,52,0.2,52.3&from=2026-01-01&to=2026-02-01T10:00:00Z&sort=observed_at&offset=20&limit=7&format=csv&purpose=meeting")
	if errs := r.parse(v); errs != nil {
		t.Fatal(errs)
	}
	f := r.filter
	if f.Status != "live" || *f.BBox != [4]float64{0, 52, 0.2, 52.3} || !f.From.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) ||
		f.Order != store.OldestFirst || f.Offset != 20 || f.Limit != 7 || !r.csv || r.purpose != "meeting" {
		t.Errorf("reports query: %+v", r)
	}
	var e evaluationsQuery
	v, _ = url.ParseQuery("cursor=" + url.QueryEscape(timeIDCursorOf(at, id)))
	if errs := e.parse(v); errs != nil || !e.filter.AfterAt.Equal(at) || e.filter.AfterID != id || e.filter.Limit != defaultPage {
		t.Errorf("evaluations cursor: %+v, %v", e.filter, errs)
	}
	var a auditQuery
	v, _ = url.ParseQuery("cursor=41&agency_id=" + id.String())
	if errs := a.parse(v); errs != nil || a.filter.Before != 41 || *a.filter.AgencyID != id {
		t.Errorf("audit query: %+v, %v", a.filter, errs)
	}
}
