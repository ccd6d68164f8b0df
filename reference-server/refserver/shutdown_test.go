package refserver

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/reference-server/store"
)

// TestGracefulShutdownKeepsAcknowledged stops the server while stats are
// posted concurrently: every acknowledged event is in the database.
func TestGracefulShutdownKeepsAcknowledged(t *testing.T) {
	ts := startServer(t)
	const workers, stopAfter = 4, 200
	var (
		mu    sync.Mutex
		acked []string
		wg    sync.WaitGroup
		once  sync.Once
	)
	client := &http.Client{Timeout: 10 * time.Second}
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Bounded: the server stops after stopAfter acknowledgements.
			for i := range 100 * stopAfter {
				id := fmt.Sprintf("w%d-%d", w, i)
				e := event(uuid(w), "app_moved_to_foreground", "1.1.0", "")
				e.Metadata = map[string]string{"id": id}
				st, ok := post(client, ts.URL+"/stats", []protocol.StatsEvent{e})
				if !ok {
					return
				}
				if st != 200 {
					continue
				}
				mu.Lock()
				acked = append(acked, id)
				n := len(acked)
				mu.Unlock()
				if n >= stopAfter {
					once.Do(func() { go ts.stop() })
				}
			}
		}()
	}
	wg.Wait()
	ts.stop()
	st, err := store.Open(context.Background(), ts.DB)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	stored := map[string]bool{}
	st.Events(context.Background(), DemoAppID, time.Time{}, func(e store.Event) error {
		stored[e.Metadata["id"]] = true
		return nil
	})
	for _, id := range acked {
		if !stored[id] {
			t.Fatalf("acknowledged event %s lost (acknowledged %d, stored %d)", id, len(acked), len(stored))
		}
	}
	if len(acked) < stopAfter {
		t.Fatalf("only %d acknowledged", len(acked))
	}
}
