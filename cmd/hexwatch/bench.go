package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hexwatch/hexwatch/pkg/bench"
	"github.com/hexwatch/hexwatch/pkg/config"
	"github.com/hexwatch/hexwatch/pkg/intel"
	"github.com/hexwatch/hexwatch/pkg/store"
)

// benchCmd measures hexwatch on an empty database, which it migrates.
func benchCmd(ctx context.Context, env *environment, args []string) error {
	fs := flagSet(env, "bench")
	n := fs.Int("reports", 1_000_000, "synthetic reports to ingest through the API (100000 for a quick run)")
	growth := fs.String("growth", "100000,1000000,3000000", "report counts at which to measure latency growth")
	requests := fs.Int("requests", 200, "varied hotspot requests")
	clients := fs.Int("clients", 16, "concurrent clients of the throughput test")
	duration := fs.Duration("duration", 20*time.Second, "length of each throughput test")
	out := fs.String("out", "BENCHMARKS.md", "file to write the markdown table to (- for none)")
	cfg, pos, err := loadInterspersed(fs, args, env)
	if err != nil {
		return err
	}
	if err := wantArgs(pos, 0, "no arguments besides flags"); err != nil {
		return err
	}
	var sizes []int
	for _, s := range strings.Split(*growth, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || v < 1 {
			return fmt.Errorf("%w: --growth wants report counts such as 100000,1000000", errUsage)
		}
		sizes = append(sizes, v)
	}
	opt, err := measureOptions(cfg, env)
	if err != nil {
		return err
	}
	opt.Reports, opt.Growth, opt.Requests, opt.Clients, opt.Duration = *n, sizes, *requests, *clients, *duration
	res, err := bench.Run(ctx, opt)
	if err != nil {
		return err
	}
	md := res.Markdown(opt)
	if _, err := env.stdout.Write(md); err != nil {
		return err
	}
	if *out != "-" {
		if err := os.WriteFile(*out, md, 0o644); err != nil {
			return err
		}
	}
	if failed := res.Failed(); len(failed) > 0 {
		var names []string
		for _, row := range failed {
			names = append(names, fmt.Sprintf("%s (%s: missed %s)", row.Measure, row.Figure, strings.Join(row.Missed, ", ")))
		}
		return fmt.Errorf("%d figures missed their targets: %s", len(failed), strings.Join(names, "; "))
	}
	return nil
}

// measureOptions migrates the database of a benchmark or load test and
// prepares what both need (instanceOptions).
func measureOptions(cfg config.Config, env *environment) (bench.Options, error) {
	mg, err := store.NewMigrator(cfg.DatabaseURL)
	if err != nil {
		return bench.Options{}, err
	}
	if err := errors.Join(mg.Up(), mg.Close()); err != nil {
		return bench.Options{}, err
	}
	v, err := newValidator(cfg)
	if err != nil {
		return bench.Options{}, err
	}
	return instanceOptions(cfg, env, v)
}

// instanceOptions are what starting hexwatch instances to measure needs:
// this binary to serve with, and the validator of the synthetic reports.
func instanceOptions(cfg config.Config, env *environment, v *intel.Validator) (bench.Options, error) {
	self, err := os.Executable()
	if err != nil {
		return bench.Options{}, err
	}
	return bench.Options{DatabaseURL: cfg.DatabaseURL, Binary: self, Validator: v, Progress: env.stderr,
		// One client stands for many users: the per-caller rate limit is off.
		Env: []string{"HEXWATCH_SERVICE_AREA=" + cfg.ServiceArea, "HEXWATCH_RATE_LIMIT=0"}}, nil
}
