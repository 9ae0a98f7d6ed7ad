package main

import (
	"context"
	"fmt"
	"time"

	"github.com/hexwatch/hexwatch/pkg/bench"
)

// loadtestCmd runs a bounded mixed load on loopback and checks that every
// accepted report is stored exactly once.
func loadtestCmd(ctx context.Context, env *environment, args []string) error {
	fs := flagSet(env, "loadtest")
	duration := fs.Duration("duration", 60*time.Second, "how long the load runs (at most 5m)")
	cfg, pos, err := loadInterspersed(fs, args, env)
	if err != nil {
		return err
	}
	if err := wantArgs(pos, 0, "no arguments besides flags"); err != nil {
		return err
	}
	if *duration <= 0 || *duration > 5*time.Minute {
		return fmt.Errorf("%w: --duration must be more than 0 and at most 5m", errUsage)
	}
	opt, err := measureOptions(cfg, env)
	if err != nil {
		return err
	}
	opt.Duration = *duration
	fmt.Fprintf(env.stderr, "loadtest: posts, bulk uploads and map requests for %s on loopback\n", *duration)
	res, err := bench.LoadTest(ctx, opt)
	fmt.Fprintf(env.stdout, "%d requests in %s (%.0f/s), %d failed; %d reports accepted, %d stored, %d distinct\n",
		res.Requests, res.Duration.Round(time.Millisecond), float64(res.Requests)/res.Duration.Seconds(), res.Failed, res.Accepted, res.Stored, res.Distinct)
	return err
}
