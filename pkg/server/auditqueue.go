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
// most a flush interval of events is lost if the process dies.
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
	var batch []store.AuditEvent
	write := func() {
		if len(batch) == 0 {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := q.db.AuditMany(ctx, batch); err != nil {
			q.log.Error("audit: consult events not written", "events", len(batch), "err", err)
		}
		batch = batch[:0]
	}
	for {
		select {
		case ev := <-q.ch:
			batch = append(batch, ev)
			if len(batch) >= auditBatch {
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
			close(done)
		}
	}
}
