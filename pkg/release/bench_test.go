package release

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hexwatch/hexwatch/pkg/demo"
	"github.com/hexwatch/hexwatch/pkg/hexgrid"
	"github.com/hexwatch/hexwatch/pkg/hotspot"
	"github.com/hexwatch/hexwatch/pkg/intel"
)

// benchCutoff is the cut-off the benchmarks publish, the anchor of their data.
var benchCutoff = Cutoff(time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC))

// benchEngine holds n synthetic DEMO reports of six agencies, placed as stored.
func benchEngine(b *testing.B, n int) *hotspot.Engine {
	b.Helper()
	area, err := intel.LoadServiceArea("")
	if err != nil {
		b.Fatal(err)
	}
	e, err := hotspot.New(area.Shape)
	if err != nil {
		b.Fatal(err)
	}
	v := &intel.Validator{Area: area, Retention: 2190 * 24 * time.Hour, Skew: time.Hour, Now: func() time.Time { return benchCutoff },
		Spreader: &hexgrid.Spreader{}}
	kinds := []string{"police", "local_authority", "education", "health", "youth_justice", "voluntary"}
	agencies := make([]hotspot.Agency, len(kinds))
	for i, k := range kinds {
		agencies[i] = hotspot.Agency{ID: [16]byte{byte(i + 1)}, Name: fmt.Sprint("agency ", i), Kind: k}
	}
	changes := make([]hotspot.Change, 0, n)
	err = demo.Validated(1, n, len(agencies), benchCutoff, v, func(agency int, rep intel.Report) {
		id := len(changes)
		changes = append(changes, hotspot.Change{Live: true, Fact: hotspot.Fact{ID: [16]byte{byte(id), byte(id >> 8), byte(id >> 16), 1},
			Cell: rep.Cell, ObservedAt: rep.ObservedAt, Category: rep.Category, AgencyID: agencies[agency].ID, Grading: rep.Grading,
			Key: uint32(id) * 2654435761, CountedAt: rep.ObservedAt.Add(48 * time.Hour), Cells: rep.Cells, Spread: rep.Spread}})
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := e.Apply(changes, agencies, int64(n)); err != nil {
		b.Fatal(err)
	}
	e.Trim()
	e.Warm(hotspot.DefaultK)
	return e
}

// BenchmarkRelease computes a whole release (every table of the default
// menu) and reports the bytes it stores:
//
//	go test -run '^$' -bench Release -benchtime 3x ./pkg/release
func BenchmarkRelease(b *testing.B) {
	for _, n := range []int{200_000, 1_000_000} {
		e := benchEngine(b, n)
		m := DefaultMenu(8, 5)
		b.Run(fmt.Sprintf("reports=%d", n), func(b *testing.B) {
			var bytes, cells int
			for i := 0; i < b.N; i++ {
				tables, err := m.Build(context.Background(), e, benchCutoff.AddDate(0, 0, -7*i), nil)
				if err != nil {
					b.Fatal(err)
				}
				bytes, cells = 0, 0
				for _, t := range tables {
					bytes += len(t.Body)
					cells += t.Cells
				}
			}
			b.ReportMetric(float64(bytes), "bytes/release")
			b.ReportMetric(float64(cells), "cells/release")
			b.ReportMetric(float64(m.Tables()), "tables/release")
		})
	}
}

// BenchmarkReadRelease reads the largest table of a release (res 8, 52
// weeks, every category) from its stored bytes and from the server's cache
// of decoded tables, against the published
// query computed live (the published view before releases) on the same
// reports, as_of moving by a week each time; p50 and p95 of each.
//
//	go test -run '^$' -bench ReadRelease -benchtime 60x ./pkg/release
func BenchmarkReadRelease(b *testing.B) {
	e := benchEngine(b, 1_000_000)
	m := DefaultMenu(8, 5)
	window := hotspot.PublishedWindows[len(hotspot.PublishedWindows)-1]
	t, err := m.Compute(context.Background(), e, benchCutoff, 8, window, "")
	if err != nil {
		b.Fatal(err)
	}
	body, err := t.Encode()
	if err != nil {
		b.Fatal(err)
	}
	report := func(b *testing.B, ds []time.Duration) {
		slices.Sort(ds)
		b.ReportMetric(float64(ds[len(ds)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(ds[len(ds)*95/100].Microseconds())/1000, "p95-ms")
	}
	b.Run("stored table", func(b *testing.B) {
		ds := make([]time.Duration, 0, b.N)
		for i := 0; i < b.N; i++ {
			start := time.Now()
			t, err := Decode(body)
			if err != nil {
				b.Fatal(err)
			}
			_ = t.Result(m.Params(benchCutoff, 8, window, "", hotspot.DefaultHalfLife))
			ds = append(ds, time.Since(start))
		}
		report(b, ds)
	})
	b.Run("cached table", func(b *testing.B) {
		ds := make([]time.Duration, 0, b.N)
		for i := 0; i < b.N; i++ {
			start := time.Now()
			_ = t.Result(m.Params(benchCutoff, 8, window, "", hotspot.PublishedHalfLives[i%len(hotspot.PublishedHalfLives)]))
			ds = append(ds, time.Since(start))
		}
		report(b, ds)
	})
	b.Run("live published query", func(b *testing.B) {
		ds := make([]time.Duration, 0, b.N)
		for i := 0; i < b.N; i++ {
			p := m.Params(benchCutoff.AddDate(0, 0, -7*(i%52)), 8, window, "", hotspot.DefaultHalfLife)
			start := time.Now()
			if _, err := e.HotspotsContext(context.Background(), p); err != nil {
				b.Fatal(err)
			}
			ds = append(ds, time.Since(start))
		}
		report(b, ds)
	})
}
