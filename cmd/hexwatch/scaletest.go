package main

import (
	"context"
	"fmt"
	"time"

	"github.com/hexwatch/hexwatch/pkg/bench"
)

// scaletestCmd proves the instance-per-replica layout on a private primary
// and hot standby (bench.ScaleTest).
func scaletestCmd(ctx context.Context, env *environment, args []string) error {
	fs := flagSet(env, "scaletest")
	reports := fs.Int("reports", 20000, "DEMO reports stored before the instances start")
	cfg, pos, err := loadInterspersed(fs, args, env)
	if err != nil {
		return err
	}
	if err := wantArgs(pos, 0, "no arguments besides flags"); err != nil {
		return err
	}
	v, err := newValidator(cfg)
	if err != nil {
		return err
	}
	opt, err := instanceOptions(cfg, env, v)
	if err != nil {
		return err
	}
	opt.Reports = *reports
	start := time.Now()
	res, err := bench.ScaleTest(ctx, opt)
	if err != nil {
		return err
	}
	var worst time.Duration
	for _, d := range res.Seen {
		worst = max(worst, d)
	}
	fmt.Fprintf(env.stdout, "scaletest passed in %s: %d reports reached the reading instance's hotspots within %s of their acceptance (at most %s); "+
		"the same bytes from both; stale said %s after the primary stopped, %d answers given meanwhile and %d of their consult events audited on its return; current again %s after it returned\n",
		time.Since(start).Round(time.Second), len(res.Seen), bench.MaxSeen, worst.Round(time.Millisecond), res.StaleAfter.Round(time.Millisecond),
		res.Answered, res.Audited, res.CaughtUp.Round(time.Millisecond))
	return nil
}
