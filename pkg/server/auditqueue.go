package server

import (
	"context"
	"log/slog"
	"time"

	"github.com/hexwatch/hexwatch/pkg/store"
)

// auditQueue writes the consult events of aggregate queries in batches:
// a hotspot answer from the cache takes microseconds, and one insert per
// answer would be most of its cost. Events that change nothing are the
// only ones queued; every change is audited in its own transaction. At
// most a flush interval of events is lost if the process dies. Events the
// database does not take are kept and written again (up to
// auditQueueLen: then the requests that would queue one fail), and lost
// if the process dies meanwhile.
type auditQueue struct {
	db   *store.DB
	log  *slog.Logger
	ch   chan store.AuditEvent
	kick chan chan struct{} // Flush's request, answered once all is written
}

const (
	auditQueueLen   = 10000
	auditBatch      = 500
	auditFlushEvery = 100 * time.Millisecond
)

func newAuditQueue(db *store.DB, log *slog.Logger) *auditQueue {
	q := &auditQueue{db: db, log: log, ch: make(chan store.AuditEvent, auditQueueLen), kick: make(chan chan struct{})}
	go q.run()
	return q
}

// add queues ev; when the queue is full it is written at once, so that a
// burst slows down rather than loses events.
func (q *auditQueue) add(ctx context.Context, ev store.AuditEvent) error {
	select {
	case q.ch <- ev:
		return nil
	default:
		return q.db.Audit(ctx, ev)
	}
}

// Flush writes every queued event before it returns.
func (q *auditQueue) Flush() {
	done := make(chan struct{})
	q.kick <- done
	<-done
}

func (q *auditQueue) run() {
	t := time.NewTicker(auditFlushEvery)
	defer t.Stop()
	var (
		batch   []store.AuditEvent
		failing bool // the last write failed: retry at each tick only
	)
	write := func() {
		if len(batch) == 0 {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := q.db.AuditMany(ctx, batch); err != nil {
			// Kept and written again: an answer given is never left
			// unaudited because the database (the primary, for an
			// instance reading a standby) was away for a while.
			if !failing {
				q.log.Error("audit: consult events not written; kept until the database takes them", "events", len(batch), "err", err)
			}
			failing = true
			return
		}
		if failing {
			q.log.Info("audit: the consult events kept are written", "events", len(batch))
		}
		failing = false
		batch = batch[:0]
	}
	for {
		// At most auditQueueLen kept: then the channel fills, add writes
		// at once, and fails while the database does.
		in := q.ch
		if len(batch) >= auditQueueLen {
			in = nil
		}
		select {
		case ev := <-in:
			batch = append(batch, ev)
			if len(batch) >= auditBatch && !failing {
				write()
			}
		case <-t.C:
			write()
		case done := <-q.kick:
			for drained := false; !drained; {
				select {
				case ev := <-q.ch:
					batch = append(batch, ev)
				default:
					drained = true
				}
			}
			write()
			if failing {
				q.log.Error("audit: consult events still not written at the flush", "events", len(batch))
			}
			close(done)
		}
	}
}
