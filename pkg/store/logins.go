package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// LoginLimits throttle password guessing: after PerUser failures of one
// username (PerAddr from one address) within Window, each further attempt
// waits Base, doubled for every failure beyond, at most Window, after the
// last failure. The real user gets in after a short wait; a guesser slows
// to a crawl.
type LoginLimits struct {
	Window           time.Duration
	PerUser, PerAddr int
	Base             time.Duration
}

// wait is how long after the last of n failures the next attempt waits.
func (l LoginLimits) wait(n, limit int) time.Duration {
	if n < limit {
		return 0
	}
	d := l.Base
	for i := limit; i < n && d < l.Window; i++ {
		d *= 2
	}
	return min(d, l.Window)
}

// loginCountSQL counts the failed and pending attempts of a username or
// address within the window, and when the last was.
const loginCountSQL = `SELECT count(*), coalesce(max(at), now()), now() FROM login_attempts
	WHERE %s = $1 AND outcome <> 'ok' AND at > now() - make_interval(secs => $2)`

// ReserveLogin reserves the right to check one password of username from
// addr: the reservation's id, or how long to wait first. Reservations of
// one username are taken in turn, so at most PerUser checks run before the
// waits begin, however many arrive at once.
func (db *DB) ReserveLogin(ctx context.Context, username, addr string, l LoginLimits) (int64, time.Duration, error) {
	var (
		id   int64
		wait time.Duration
	)
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		// The address's turn first, then the username's, always in that
		// order: guesses at many usernames from one address take turns too.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('login-addr:' || $1))`, addr); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('login:' || $1))`, username); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM login_attempts WHERE at < now() - make_interval(secs => $1)`, l.Window.Seconds()); err != nil {
			return err
		}
		for _, c := range []struct {
			column, value string
			limit         int
		}{{"username", username, l.PerUser}, {"addr", addr, l.PerAddr}} {
			var (
				n         int
				last, now time.Time
			)
			if err := tx.QueryRow(ctx, fmt.Sprintf(loginCountSQL, c.column), c.value, l.Window.Seconds()).Scan(&n, &last, &now); err != nil {
				return err
			}
			wait = max(wait, last.Add(l.wait(n, c.limit)).Sub(now))
		}
		if wait > 0 {
			return nil
		}
		return tx.QueryRow(ctx, `INSERT INTO login_attempts (username, addr) VALUES ($1, $2) RETURNING id`, username, addr).Scan(&id)
	})
	return id, wait, mapErr("reserve login", err)
}

// FinishLogin records the outcome of the check reserved as id.
func (db *DB) FinishLogin(ctx context.Context, id int64, ok bool) error {
	outcome := "failed"
	if ok {
		outcome = "ok"
	}
	_, err := db.pool.Exec(ctx, `UPDATE login_attempts SET outcome = $2 WHERE id = $1`, id, outcome)
	return mapErr("finish login", err)
}
