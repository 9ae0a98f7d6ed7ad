package bench

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/hexwatch/hexwatch/pkg/auth"
	"github.com/hexwatch/hexwatch/pkg/demo"
	"github.com/hexwatch/hexwatch/pkg/identity"
	"github.com/hexwatch/hexwatch/pkg/store"
)

// policeWithKeys adds a police agency (it grades its own reports: they
// count at once) and issues it a partner's and an analyst's key, as actor.
func policeWithKeys(ctx context.Context, db *store.DB, name, actor string) (store.Agency, map[auth.Role]string, error) {
	ev := store.AuditEvent{Action: store.ActionAdmin, Actor: actor}
	agency, err := identity.AddAgency(ctx, db, name, "police", ev)
	if err != nil {
		return agency, nil, err
	}
	keys := map[auth.Role]string{}
	for _, role := range []auth.Role{auth.Partner, auth.Analyst} {
		if _, keys[role], err = identity.IssueKey(ctx, db, identity.NewKey{Agency: agency.Name, Role: role, CreatedBy: actor}, ev); err != nil {
			return agency, nil, err
		}
	}
	return agency, keys, nil
}

// LoadResult is what a load test held and found.
type LoadResult struct {
	Requests, Failed, Accepted, Stored, Distinct int
	Duration                                     time.Duration
}

// LoadTest mixes single posts (some of them resent, as after a timeout),
// bulk uploads (some sent twice) and map requests against a server on
// loopback for the duration, then checks that every report the server
// accepted is stored exactly once.
func LoadTest(ctx context.Context, opt Options) (LoadResult, error) {
	var res LoadResult
	db, err := store.Open(ctx, opt.DatabaseURL, 4)
	if err != nil {
		return res, err
	}
	defer db.Close()
	agency, keys, err := policeWithKeys(ctx, db, "LOADTEST "+uuid.NewString()[:8], "loadtest")
	if err != nil {
		return res, err
	}
	srv, err := startServer(ctx, opt)
	if err != nil {
		return res, err
	}
	defer srv.stop()

	var (
		mu       sync.Mutex
		accepted = map[string]bool{}
		requests atomic.Int64
		failed   atomic.Int64
		seq      atomic.Int64
	)
	accept := func(refs ...string) {
		mu.Lock()
		for _, r := range refs {
			accepted[r] = true
		}
		mu.Unlock()
	}
	do := func(method, path, contentType string, body []byte, key string) (*http.Response, []byte) {
		req, _ := http.NewRequestWithContext(ctx, method, srv.base+path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		requests.Add(1)
		resp, err := client.Do(req)
		if err != nil {
			failed.Add(1)
			return nil, nil
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 400 {
			failed.Add(1)
		}
		return resp, b
	}
	// genErr is the first failure to make a report or its body: the run
	// goes on with what it has and fails at the end.
	var genErr error
	fail := func(err error) {
		mu.Lock()
		genErr = cmp.Or(genErr, err)
		mu.Unlock()
	}
	submission := func(rep demo.Report) []byte {
		b, err := json.Marshal(rep.Sub)
		if err != nil {
			fail(fmt.Errorf("loadtest: encoding a report: %w", err))
		}
		return b
	}
	gen := func(n int) []demo.Report {
		g := demo.New(uint64(seq.Add(1)), n, 1, time.Now(), opt.Validator.Area)
		out := make([]demo.Report, 0, n)
		for {
			r, err := g.Next()
			if errors.Is(err, io.EOF) {
				return out
			}
			if err != nil {
				fail(fmt.Errorf("loadtest: generating reports: %w", err))
				return out
			}
			r.Sub.ExternalRef = fmt.Sprintf("load-%d-%s", seq.Add(1), r.Sub.ExternalRef)
			out = append(out, r)
		}
	}

	deadline := time.Now().Add(opt.Duration)
	start := time.Now()
	var wg sync.WaitGroup
	workers := map[string]int{"post": 4, "bulk": 2, "map": 4}
	for kind, n := range workers {
		for w := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(w), 9))
				for time.Now().Before(deadline) {
					switch kind {
					case "post":
						reps := gen(1)
						if len(reps) == 0 {
							return
						}
						rep := reps[0]
						body := submission(rep)
						for range 1 + rng.IntN(2) { // sometimes resent, as after a timeout
							if resp, _ := do(http.MethodPost, "api/v1/reports", "application/json", body, keys[auth.Partner]); resp != nil && resp.StatusCode < 300 {
								accept(rep.Sub.ExternalRef)
							}
						}
					case "bulk":
						reps := gen(500)
						var body bytes.Buffer
						refs := make([]string, len(reps))
						for i, rep := range reps {
							body.Write(submission(rep))
							body.WriteByte('\n')
							refs[i] = rep.Sub.ExternalRef
						}
						for range 1 + rng.IntN(2) {
							resp, b := do(http.MethodPost, "api/v1/reports/bulk", "application/x-ndjson", body.Bytes(), keys[auth.Partner])
							var sum struct{ Created, Duplicate, Rejected int }
							if resp != nil && resp.StatusCode == http.StatusOK && json.Unmarshal(b, &sum) == nil && sum.Created+sum.Duplicate == len(refs) {
								accept(refs...)
							}
						}
					case "map":
						q := fmt.Sprintf("api/v1/hotspots?res=%d&half_life=%dd", 7+rng.IntN(3), 7*(1+rng.IntN(8)))
						do(http.MethodGet, q, "", nil, keys[auth.Analyst])
					}
				}
			}()
		}
	}
	wg.Wait()
	res.Duration = time.Since(start)
	res.Requests, res.Failed, res.Accepted = int(requests.Load()), int(failed.Load()), len(accepted)
	mu.Lock()
	defer mu.Unlock()
	if genErr != nil {
		return res, genErr
	}
	var refs []string
	for r := range accepted {
		refs = append(refs, r)
	}
	var found int
	res.Stored, res.Distinct, found, err = db.StoredRefs(ctx, agency.ID, refs)
	if err != nil {
		return res, err
	}
	if found != len(refs) || res.Stored != res.Distinct || res.Stored != len(refs) {
		return res, fmt.Errorf("loadtest: %d reports accepted, %d of them stored, %d stored in all (%d distinct): something was lost or stored twice",
			len(refs), found, res.Stored, res.Distinct)
	}
	return res, nil
}
