package crm_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/screenpop/screenpop/e2e/suitecrm"
	"github.com/screenpop/screenpop/server/crm"
)

// benchSyncRecords is how many contacts BenchmarkRealSync syncs (beside
// the seeded records); SCREENPOP_BENCH_CRM_RECORDS changes it.
func benchSyncRecords(b *testing.B) int {
	if s := os.Getenv("SCREENPOP_BENCH_CRM_RECORDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			b.Fatalf("SCREENPOP_BENCH_CRM_RECORDS=%q: want a number of records, e.g. 10000", s)
		}
		return n
	}
	return 10_000
}

// BenchmarkRealSync is a full sync of 10,000 contacts from the real
// SuiteCRM (inserted in its database for the run, removed after it),
// beside its floor measured in the same run: the very requests of that
// sync replayed, their answers read whole and not decoded, no directory
// (the CRM's own share, which no client can beat). Then an incremental sync
// with nothing new. It prints a table, and reports the full sync's
// seconds, records/s and ratio to the floor.
func BenchmarkRealSync(b *testing.B) {
	c := suitecrm.Start(b)
	n := benchSyncRecords(b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()

	made := time.Now()
	makeBenchContacts(ctx, b, c, n)
	b.Logf("made %d contacts in %v (SQL)", n, time.Since(made).Round(time.Millisecond))
	b.Cleanup(func() { deleteBenchContacts(context.Background(), b, c) })

	b.ResetTimer()
	var full, floor, incr time.Duration
	records := 0
	var prev *recorder
	for i := range b.N {
		// The floor replays a sync's requests; from the second round on it
		// goes first (replaying the round before), so that neither side
		// always runs on a warmer CRM.
		var floorTime time.Duration
		if prev != nil && i%2 == 1 {
			t := time.Now()
			replay(ctx, b, c, prev)
			floorTime = time.Since(t)
		}
		rec := &recorder{}
		api, err := crm.NewV4Client(crm.V4Config{BaseURL: c.BaseURL, User: c.User, Password: c.Password, HTTP: &http.Client{Transport: rec}})
		if err != nil {
			b.Fatal(err)
		}
		s := &crm.Syncer{Source: api, Directory: newDirectory(b)}
		t0 := time.Now()
		st, err := s.Full(ctx)
		if err != nil {
			b.Fatal(err)
		}
		full += time.Since(t0)
		if floorTime == 0 {
			t := time.Now()
			replay(ctx, b, c, rec)
			floorTime = time.Since(t)
		}
		floor += floorTime
		t1 := time.Now()
		if _, err := s.Sync(ctx); err != nil {
			b.Fatal(err)
		}
		incr += time.Since(t1)
		prev = rec
		records = st.Directory.Records
		if records < n {
			b.Fatalf("the full sync read %d records, want at least %d", records, n)
		}
	}
	b.StopTimer()
	per := func(d time.Duration) float64 { return d.Seconds() / float64(b.N) }
	b.ReportMetric(per(full), "s/full-sync")
	b.ReportMetric(per(floor), "floor-s/full-sync")
	b.ReportMetric(per(full)/per(floor), "x-floor")
	b.ReportMetric(float64(records)/per(full), "records/s")
	b.ReportMetric(per(incr), "s/incremental")
	fmt.Printf("\nSync from the real SuiteCRM %s, %d records (page %d), mean of %d:\n", suitecrm.Version, records, crm.PageSize, b.N)
	fmt.Printf("  %-44s %10s %12s %8s\n", "", "seconds", "records/s", "ratio")
	fmt.Printf("  %-44s %10.2f %12.0f %8.2f\n", "full sync (client + directory)", per(full), float64(records)/per(full), per(full)/per(floor))
	fmt.Printf("  %-44s %10.2f %12.0f %8.2f\n", "floor: its requests replayed, answers unread", per(floor), float64(records)/per(floor), 1.0)
	fmt.Printf("  %-44s %10.3f %12s %8s\n", "incremental sync, nothing new", per(incr), "", "")
}

// benchIDPrefix starts the id of every bench contact, so that the bench
// removes them, and those of a bench interrupted before, by one DELETE.
const benchIDPrefix = "00bench0-"

// makeBenchContacts inserts n contacts with distinct numbers in mixed
// formats straight into the CRM's database (the API takes 66 ms a
// record), stamped now, and returns how many it made.
func makeBenchContacts(ctx context.Context, b *testing.B, c *suitecrm.CRM, n int) int {
	deleteBenchContacts(ctx, b, c)
	formats := []string{"+33 6 %s %s %s %s", "06.%s.%s.%s.%s", "00336%s%s%s%s", "06 %s %s %s %s"}
	var sql strings.Builder
	for start := 0; start < n; start += 1000 {
		sql.WriteString("INSERT INTO contacts (id, date_entered, date_modified, modified_user_id, created_by, deleted, assigned_user_id, first_name, last_name, phone_mobile) VALUES ")
		for i := start; i < min(n, start+1000); i++ {
			if i > start {
				sql.WriteString(",")
			}
			d := fmt.Sprintf("8%07d", i)
			fmt.Fprintf(&sql, "('%s0000-4000-8000-%012d', UTC_TIMESTAMP(), UTC_TIMESTAMP(), '1', '1', 0, '1', 'Bench', 'Contact %d', '%s')",
				benchIDPrefix, i, i, fmt.Sprintf(formats[i%len(formats)], d[0:2], d[2:4], d[4:6], d[6:8]))
		}
		sql.WriteString(";\n")
	}
	if err := c.Exec(ctx, sql.String()); err != nil {
		b.Fatalf("making the bench contacts: %v", err)
	}
	return n
}

func deleteBenchContacts(ctx context.Context, b *testing.B, c *suitecrm.CRM) {
	if err := c.Exec(ctx, "DELETE FROM contacts WHERE id LIKE '"+benchIDPrefix+"%';"); err != nil {
		b.Errorf("deleting the bench contacts: %v", err)
	}
}

// recorder is an http.RoundTripper that keeps the bodies of the
// requests it sends, to replay them.
type recorder struct {
	bodies [][]byte
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		body, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		r.bodies = append(r.bodies, body)
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	return http.DefaultTransport.RoundTrip(req)
}

// replay sends the recorded requests again, one after the other, and
// reads each answer whole without decoding it: the CRM's share of the
// sync they made, which no client can beat.
func replay(ctx context.Context, b *testing.B, c *suitecrm.CRM, r *recorder) {
	for _, body := range r.bodies {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, c.BaseURL+crm.V4Path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil {
			b.Fatal(err)
		}
	}
}
