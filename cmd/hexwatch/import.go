package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hexwatch/hexwatch/pkg/ingest"
	"github.com/hexwatch/hexwatch/pkg/intel"
	"github.com/hexwatch/hexwatch/pkg/store"
)

// importCmd loads a file of reports for an agency, as the bulk endpoint
// does, showing progress on stderr and printing the summary as JSON on stdout.
func importCmd(ctx context.Context, env *environment, args []string) error {
	fs := flagSet(env, "import")
	agency := fs.String("agency", "", "name of the agency the reports are from (required)")
	format := fs.String("format", "", "csv, ndjson or geojson (default: from the file's extension)")
	dryRun := fs.Bool("dry-run", false, "validate every row and store nothing")
	cfg, pos, err := loadInterspersed(fs, args, env)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *agency == "" {
		return fmt.Errorf("%w: want FILE --agency NAME", errUsage)
	}
	open, err := readerFor(pos[0], *format)
	if err != nil {
		return err
	}
	v, err := newValidator(cfg)
	if err != nil {
		return err
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	db, err := openCurrent(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	a, err := db.AgencyByName(ctx, *agency)
	if err != nil {
		return fmt.Errorf("no agency named %q", *agency)
	}

	counted := &countingReader{r: f}
	rr, err := open(counted)
	if err != nil {
		return err
	}
	bar := newProgress(env.stderr, "import "+filepath.Base(pos[0]))
	ev := store.AuditEvent{Action: store.ActionCollect, Actor: operatorName(), AgencyID: &a.ID, Justification: "operator import of " + filepath.Base(pos[0])}
	sum, err := ingest.Run(ctx, db, v, a.ID, rr, ev, ingest.Options{DryRun: *dryRun, Progress: func(s ingest.Summary) {
		bar.show(s, float64(counted.n)/float64(max(st.Size(), 1)))
	}})
	bar.done(sum)
	enc := json.NewEncoder(env.stdout)
	enc.SetIndent("", "  ")
	if encErr := enc.Encode(sum); encErr != nil {
		return encErr
	}
	return err
}

func readerFor(path, format string) (func(io.Reader) (intel.RowReader, error), error) {
	if format == "" {
		switch strings.ToLower(filepath.Ext(path)) {
		case ".csv":
			format = "csv"
		case ".ndjson", ".jsonl":
			format = "ndjson"
		case ".geojson", ".json":
			format = "geojson"
		}
	}
	switch format {
	case "csv":
		return intel.NewCSVReader, nil
	case "ndjson":
		return func(r io.Reader) (intel.RowReader, error) { return intel.NewNDJSONReader(r), nil }, nil
	case "geojson":
		return func(r io.Reader) (intel.RowReader, error) { return intel.NewGeoJSONReader(r), nil }, nil
	}
	return nil, fmt.Errorf("%w: give --format csv, ndjson or geojson", errUsage)
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// progress is a one-line progress display for long operator commands.
type progress struct {
	w     io.Writer
	label string
	start time.Time
	last  time.Time
}

func newProgress(w io.Writer, label string) *progress {
	return &progress{w: w, label: label, start: time.Now()}
}

func (p *progress) show(s ingest.Summary, frac float64) {
	if time.Since(p.last) < 200*time.Millisecond {
		return
	}
	p.last = time.Now()
	fmt.Fprintf(p.w, "\r%s: %5.1f%%  %d rows  %d created  %d duplicate  %d conflict  %d rejected  %.0f rows/s   ",
		p.label, 100*min(frac, 1), s.Rows, s.Created, s.Duplicate, s.Conflict, s.Rejected, float64(s.Rows)/time.Since(p.start).Seconds())
}

func (p *progress) done(s ingest.Summary) {
	p.last = time.Time{}
	p.show(s, 1)
	fmt.Fprintf(p.w, "\n%s: done in %s\n", p.label, time.Since(p.start).Round(time.Millisecond))
}
