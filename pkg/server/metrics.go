package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hexwatch/hexwatch/pkg/store"
)

// metrics is the server's own Prometheus registry: no global state.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	handler  http.Handler
}

// newMetrics registers the server's metrics; bulkInProgress reads the
// number of bulk uploads being processed.
func newMetrics(db *store.DB, bulkInProgress func() int) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hexwatch_http_requests_total",
			Help: "HTTP requests answered, by method, route and status.",
		}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hexwatch_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by method and route.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"method", "route"}),
	}
	bulk := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "hexwatch_bulk_uploads_in_progress",
		Help: "Bulk uploads being processed (bounded by HEXWATCH_BULK_CONCURRENCY).",
	}, func() float64 { return float64(bulkInProgress()) })
	m.reg.MustRegister(m.requests, m.latency, bulk, poolCollector{db},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
	return m
}

func (m *metrics) observe(method, route string, status int, d time.Duration) {
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(method, route).Observe(d.Seconds())
}

// poolCollector reports the database pool's statistics at scrape time.
type poolCollector struct{ db *store.DB }

var (
	poolTotal    = prometheus.NewDesc("hexwatch_db_pool_connections", "Open database connections.", nil, nil)
	poolAcquired = prometheus.NewDesc("hexwatch_db_pool_acquired_connections", "Database connections in use.", nil, nil)
	poolIdle     = prometheus.NewDesc("hexwatch_db_pool_idle_connections", "Idle database connections.", nil, nil)
	poolMax      = prometheus.NewDesc("hexwatch_db_pool_max_connections", "Largest number of database connections.", nil, nil)
	poolAcquires = prometheus.NewDesc("hexwatch_db_pool_acquires_total", "Connections acquired from the pool.", nil, nil)
	poolWaits    = prometheus.NewDesc("hexwatch_db_pool_empty_acquires_total", "Acquires that waited for a connection.", nil, nil)
	poolWaitTime = prometheus.NewDesc("hexwatch_db_pool_acquire_seconds_total", "Time spent acquiring connections.", nil, nil)
)

func (p poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{poolTotal, poolAcquired, poolIdle, poolMax, poolAcquires, poolWaits, poolWaitTime} {
		ch <- d
	}
}

func (p poolCollector) Collect(ch chan<- prometheus.Metric) {
	st := p.db.PoolStat()
	ch <- prometheus.MustNewConstMetric(poolTotal, prometheus.GaugeValue, float64(st.TotalConns()))
	ch <- prometheus.MustNewConstMetric(poolAcquired, prometheus.GaugeValue, float64(st.AcquiredConns()))
	ch <- prometheus.MustNewConstMetric(poolIdle, prometheus.GaugeValue, float64(st.IdleConns()))
	ch <- prometheus.MustNewConstMetric(poolMax, prometheus.GaugeValue, float64(st.MaxConns()))
	ch <- prometheus.MustNewConstMetric(poolAcquires, prometheus.CounterValue, float64(st.AcquireCount()))
	ch <- prometheus.MustNewConstMetric(poolWaits, prometheus.CounterValue, float64(st.EmptyAcquireCount()))
	ch <- prometheus.MustNewConstMetric(poolWaitTime, prometheus.CounterValue, st.AcquireDuration().Seconds())
}
